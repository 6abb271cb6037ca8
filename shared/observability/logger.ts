import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import { REDACTED, isSensitiveKey, redact, redactString } from './redact';

/**
 * Applied by the logger to every key and value while it serialises a log line, so redaction cannot
 * be forgotten at a call site: sensitive keys are hidden whole, strings are scrubbed by value, and
 * errors become plain objects whose message, stack and fields are scrubbed too.
 */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && isSensitiveKey(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return redactString(value);
  if (value instanceof Error) return redact(value);
  return value;
}

type Attributes = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? redactString(String(value)) : '');

/** The message of an error attribute, scrubbed like any other value. */
function errorText(error: unknown): string {
  if (error instanceof Error) return redactString(error.message);
  if (error !== null && typeof error === 'object' && 'message' in error) return text(error.message);
  return '';
}

/**
 * One short human-readable line for a log item, or undefined to leave it out: a line per request
 * (method, path, status, time, error code) and per Pinterest call, warnings and errors with their
 * reason. Paths are raw paths without the query, so no code, state or ticket can show.
 */
export function compactLine(level: string, attributes: Attributes): string | undefined {
  const time = text(attributes.timestamp).slice(11, 19);
  const message = text(attributes.message);
  if (message === 'request completed') {
    const code = attributes.errorCode === undefined ? '' : ` ${text(attributes.errorCode)}`;
    return `${time} ${text(attributes.method)} ${text(attributes.path)} ${text(attributes.status)} ${text(attributes.durationMs)}ms${code}`;
  }
  if (message === 'pinterest call') {
    return `${time}   → Pinterest ${text(attributes.environment)} ${text(attributes.method)} ${text(attributes.path)} ${text(attributes.status)} ${text(attributes.durationMs)}ms`;
  }
  if (level === 'DEBUG' || message === 'request refused') return undefined;
  const reason = errorText(attributes.error);
  return `${time} ${level === 'INFO' ? '' : `${level} `}${message}${reason === '' ? '' : `: ${reason}`}`;
}

/** Local mode's logger: the same calls as the JSON logger, printed as compact lines. */
class CompactLogger extends Logger {
  protected override printLog(logLevel: number, log: LogItem): void {
    const attributes: Attributes = log.getAttributes();
    const line = compactLine(text(attributes.level), attributes);
    if (line === undefined) return;
    // Levels at WARN (16) and above go to stderr, as Powertools does.
    (logLevel >= 16 ? process.stderr : process.stdout).write(`${line}\n`);
  }
}

/**
 * The product's structured JSON logger (Powertools), redacting by key and by value. With
 * `LOG_FORMAT=compact` (set by `npm start` unless `LOG_FORMAT=json`) it prints one short line per
 * request instead; Lambda never sets it, so functions in AWS always log JSON.
 */
export function createLogger(serviceName = 'mdz-publisher', logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'): Logger {
  const options = { serviceName, jsonReplacerFn: redactingReplacer, ...(logLevel ? { logLevel } : {}) };
  return process.env.LOG_FORMAT === 'compact' ? new CompactLogger(options) : new Logger(options);
}

export const logger = createLogger();
