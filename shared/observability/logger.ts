import { Logger } from '@aws-lambda-powertools/logger';
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

/** The product's structured JSON logger (Powertools), redacting by key and by value. */
export function createLogger(serviceName = 'mdz-publisher', logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'): Logger {
  return new Logger({ serviceName, jsonReplacerFn: redactingReplacer, ...(logLevel ? { logLevel } : {}) });
}

export const logger = createLogger();
