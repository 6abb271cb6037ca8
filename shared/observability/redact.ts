/**
 * Redaction applied to every log line, by key and by value, so that no token, credential, cookie,
 * OAuth code, state, ticket or nonce reaches the logs even when it is nested, stringified or embedded
 * in a URL or a message. What is redacted, for the reader: docs/security.md, "Logs".
 */

export const REDACTED = '[REDACTED]';

/** Keys (compared lower-case with `-`/`_` removed) whose values are always hidden. */
const sensitiveKeys = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'cookies',
  'setcookie',
  'code',
  'state',
  'ticket',
  'nonce',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'clientsecret',
  'secret',
  'secretstring',
  'secretbinary',
  'password',
  'credential',
  'operatorcredential',
  'apikey',
  'xapikey',
  'hashingkey',
  // Whole header maps and the authorizer's identity source: any header may carry a credential in a
  // shape no value pattern knows (`Token X`, a bare value, `Bearer:X`).
  'headers',
  'multivalueheaders',
  'identitysource',
]);

/** Key endings that mark a value as sensitive (`sessionToken`, `appSecret`, `browserNonce`, ...). */
const sensitiveSuffixes = ['token', 'secret', 'password', 'credential', 'nonce', 'ticket', 'cookie'];

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function isSensitiveKey(key: string): boolean {
  const k = normaliseKey(key);
  return sensitiveKeys.has(k) || sensitiveSuffixes.some((suffix) => k.endsWith(suffix));
}

const queryParamNames = 'code|state|ticket|nonce|token|access_token|refresh_token|client_secret|id_token|credential';

const valuePatterns: Array<[RegExp, string]> = [
  // Pinterest user, refresh and client-credential tokens.
  [/\bpin(?:a_|c_|r)[A-Za-z0-9._~+/=-]{8,}/g, REDACTED],
  // Authorization header values anywhere in a string.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // Sensitive query or form parameters (`?code=…&state=…`).
  [new RegExp(`([?&#;\\s"'(]|^)(${queryParamNames})=([^&\\s#"';)]+)`, 'gi'), `$1$2=${REDACTED}`],
  // Email addresses (an SES refusal names the recipient, a parse error may quote a header): the
  // privacy policy does not put requesters' addresses in logs. The domain is kept, for diagnosis.
  [/[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)/g, '[address]@$1'],
  // JSON fragments inside strings (`"access_token":"…"`).
  [
    new RegExp(`("(?:${queryParamNames}|clientSecret|accessToken|refreshToken)"\\s*:\\s*)"[^"]*"`, 'gi'),
    `$1"${REDACTED}"`,
  ],
];

/** Exact secret values learned at run time (client secret, operator credential, hashing key). */
const knownSecrets = new Set<string>();

/**
 * Teaches the redactor a secret value that has no recognisable shape, so it is hidden wherever it
 * appears. Values shorter than 8 characters are ignored: they would redact ordinary words.
 */
export function registerSecretValue(value: string): void {
  if (value.length >= 8) knownSecrets.add(value);
}

/** Values presented in requests (a credential in any format), remembered only for a while. */
const transientSecrets: string[] = [];
const MAX_TRANSIENT_SECRETS = 64;

/**
 * Teaches the redactor a value a request presented (say, the whole Authorization header, whatever its
 * format), before anything about the request is logged. Unlike registerSecretValue the set is
 * bounded: callers choose these values, so the oldest are forgotten first.
 */
export function registerTransientSecret(value: string): void {
  if (value.length < 8 || transientSecrets.includes(value)) return;
  transientSecrets.push(value);
  if (transientSecrets.length > MAX_TRANSIENT_SECRETS) transientSecrets.shift();
}

export function redactString(input: string): string {
  let out = input;
  for (const secret of transientSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of valuePatterns) out = out.replace(pattern, replacement);
  return out;
}

/** Returns a deep copy of `value` with sensitive keys and values replaced. Handles cycles and errors. */
export function redact(value: unknown, seen = new WeakSet()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) return redactError(value, seen);
  if (Array.isArray(value)) return value.map((item) => redact(item, seen));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) && item !== undefined && item !== null ? REDACTED : redact(item, seen);
  }
  return out;
}

function redactError(error: Error, seen: WeakSet<object>): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(error)) {
    if (key === 'cause') continue;
    // An error's own `code` is an error code, not an OAuth code: keep it readable as `errorCode`.
    if (key === 'code') extra.errorCode = redact(item, seen);
    else extra[key] = isSensitiveKey(key) ? REDACTED : redact(item, seen);
  }
  return {
    name: error.name,
    message: redactString(error.message),
    stack: error.stack === undefined ? undefined : redactString(error.stack),
    ...extra,
    ...(error.cause === undefined ? {} : { cause: redact(error.cause, seen) }),
  };
}
