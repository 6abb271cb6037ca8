import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../zod';
import { AppError, ValidationError, type FieldIssue } from '../domain/errors';

/** Largest JSON body accepted; images travel base64 (≤ 4 MiB decoded) and need more. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** At most this many issues are listed; the rest are counted ("and N more"). */
export const MAX_ISSUES = 20;
const MAX_PATH_CHARS = 120;
const MAX_MESSAGE_CHARS = 200;

/** Cuts text a caller controls (key names, echoed values) to a bounded length. */
function bounded(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The field issues of a failed parse, bounded whatever the input: a body with thousands of unknown
 * keys gets a short answer, not one that repeats every key.
 */
function issuesOf(error: z.core.$ZodError, prefix: string): FieldIssue[] {
  const all = error.issues;
  const listed = all.slice(0, MAX_ISSUES).map((issue) => ({
    path: bounded([prefix, ...issue.path.map(String)].join('.'), MAX_PATH_CHARS),
    message: bounded(issue.message, MAX_MESSAGE_CHARS),
  }));
  if (all.length > MAX_ISSUES) listed.push({ path: prefix, message: `and ${String(all.length - MAX_ISSUES)} more` });
  return listed;
}

function parseWith<S extends z.core.$ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = z.safeParse(schema, value);
  if (parsed.success) return parsed.data;
  throw invalid(issuesOf(parsed.error, where), where);
}

/** One 400 naming every issue (bounded as a schema's are). */
function invalid(issues: FieldIssue[], where: string): ValidationError {
  const first = issues[0];
  const summary = first === undefined ? `Invalid ${where}` : `Invalid ${where}: ${first.path} ${first.message}`;
  return new ValidationError(summary, issues);
}

/**
 * Validates `value` with `schema` and with `more` (checks across fields a schema cannot express, run
 * on the raw value), answering every problem of both in one 400.
 */
export function parseWithChecks<S extends z.core.$ZodType>(schema: S, value: unknown, where: string, more: (value: unknown) => FieldIssue[]): z.output<S> {
  const parsed = z.safeParse(schema, value);
  const extra = more(value).map((issue) => ({ path: bounded(issue.path, MAX_PATH_CHARS), message: bounded(issue.message, MAX_MESSAGE_CHARS) }));
  if (parsed.success && extra.length === 0) return parsed.data;
  const all = [...(parsed.success ? [] : issuesOf(parsed.error, where)), ...extra];
  const seen = new Set<string>();
  const unique = all.filter((issue) => {
    const id = `${issue.path}\u0000${issue.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const listed = unique.slice(0, MAX_ISSUES);
  if (unique.length > MAX_ISSUES) listed.push({ path: where, message: `and ${String(unique.length - MAX_ISSUES)} more` });
  throw invalid(listed, where);
}

/** The JSON body, parsed but not yet validated (content type, size and syntax checked as `jsonBody` does). */
export function rawJsonBody(event: APIGatewayProxyEventV2, maxBytes = DEFAULT_MAX_BODY_BYTES): unknown {
  return jsonBody(event, z.unknown(), maxBytes);
}

/**
 * Reads a JSON body: requires `application/json`, a size limit and well-formed JSON, then validates
 * it with `schema`. Every failure is a 4xx with a message that says what to fix.
 */
export function jsonBody<S extends z.core.$ZodType>(
  event: APIGatewayProxyEventV2,
  schema: S,
  maxBytes = DEFAULT_MAX_BODY_BYTES,
): z.output<S> {
  const contentType = event.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new AppError('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json');
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw, 'utf8') > maxBytes) {
    throw new AppError('payload_too_large', `The body is larger than ${maxBytes} bytes`);
  }
  let value: unknown;
  try {
    value = raw === '' ? undefined : JSON.parse(raw);
  } catch {
    throw new AppError('invalid_json', 'The body is not valid JSON');
  }
  if (value === undefined) throw new ValidationError('A JSON body is required', [{ path: 'body', message: 'required' }]);
  return parseWith(schema, value, 'body');
}

/** Whether a request's body is an HTML form post (`application/x-www-form-urlencoded`). */
export function isFormPost(event: APIGatewayProxyEventV2): boolean {
  return /^application\/x-www-form-urlencoded\s*(;|$)/i.test(event.headers['content-type'] ?? '');
}

/** The name/value pairs of an HTML form post, in order, size-checked. */
function formPairs(event: APIGatewayProxyEventV2, maxBytes: number): Array<[string, string]> {
  if (!isFormPost(event)) throw new AppError('unsupported_media_type', 'Send the form as application/x-www-form-urlencoded');
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw, 'utf8') > maxBytes) throw new AppError('payload_too_large', `The body is larger than ${maxBytes} bytes`);
  return [...new URLSearchParams(raw)];
}

/**
 * The fields of an HTML form post as strings (a name sent twice is refused: a form sends each once),
 * size-checked; validation is the caller's, so a page can show the values back with the problems.
 */
export function formFields(event: APIGatewayProxyEventV2, maxBytes = DEFAULT_MAX_BODY_BYTES): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of formPairs(event, maxBytes)) {
    if (Object.hasOwn(fields, name)) throw new ValidationError(`Invalid body: body.${bounded(name, MAX_PATH_CHARS)} is sent twice`, [{ path: `body.${bounded(name, MAX_PATH_CHARS)}`, message: 'sent twice' }]);
    fields[name] = value;
  }
  return fields;
}

/** A form post's values to show back on a refused form: the first of each name, never an error. */
export function formValuesToShow(event: APIGatewayProxyEventV2, maxBytes = DEFAULT_MAX_BODY_BYTES): Record<string, string> {
  try {
    const values: Record<string, string> = {};
    for (const [name, value] of formPairs(event, maxBytes)) if (!Object.hasOwn(values, name)) values[name] = value;
    return values;
  } catch {
    return {};
  }
}

/** Validates the query string parameters (API Gateway joins repeated keys with commas). */
export function queryParams<S extends z.core.$ZodType>(event: APIGatewayProxyEventV2, schema: S): z.output<S> {
  return parseWith(schema, event.queryStringParameters ?? {}, 'query');
}

/** Validates the path parameters the route table declares. */
export function pathParams<S extends z.core.$ZodType>(event: APIGatewayProxyEventV2, schema: S): z.output<S> {
  return parseWith(schema, event.pathParameters ?? {}, 'path');
}

/** For action routes (POST without fields): nothing, or an empty JSON object, is accepted. */
export function noBodyOrEmptyObject(event: APIGatewayProxyEventV2): void {
  // `{}` with any whitespace around or inside it (`{ }`, `{}\n`).
  if (event.body === undefined || event.isBase64Encoded || !/^\s*\{\s*\}\s*$/.test(event.body)) noBody(event);
}

/** Refuses a body on routes that take none (a GET with a body is malformed). */
export function noBody(event: APIGatewayProxyEventV2): void {
  if (event.body !== undefined && event.body !== '') {
    throw new ValidationError('This route takes no request body', [{ path: 'body', message: 'must be empty' }]);
  }
}
