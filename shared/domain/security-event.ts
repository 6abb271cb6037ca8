import * as z from '../zod';

/**
 * The security log's record: what the privacy policy lists under "website and security logs"
 * (requested URL without its query, time, user-agent, rate-limit signals, diagnostic errors) plus
 * request ids. The client address is present only as a keyed hash.
 */

export const securityEventKinds = [
  'http_request',
  'auth_denied',
  'oauth_start',
  'oauth_callback',
  'account',
  'pin_publish',
  'privacy_request',
  'pseudonymised',
] as const;
export type SecurityEventKind = (typeof securityEventKinds)[number];

export const outcomes = ['ok', 'client_error', 'server_error', 'denied', 'rate_limited'] as const;
export type Outcome = (typeof outcomes)[number];

export const securityEventSchema = z.object({
  id: z.string(),
  time: z.string(),
  kind: z.enum(securityEventKinds),
  outcome: z.enum(outcomes),
  method: z.optional(z.string()),
  /** Path only: a query string may carry codes, states or tickets. */
  path: z.optional(z.string()),
  route: z.optional(z.string()),
  status: z.optional(z.number().check(z.int())),
  errorCode: z.optional(z.string()),
  userAgent: z.optional(z.string()),
  clientHash: z.optional(z.string()),
  requestId: z.optional(z.string()),
  lambdaRequestId: z.optional(z.string()),
  rateLimit: z.optional(z.object({ limited: z.boolean(), remaining: z.optional(z.number()) })),
  /** Free-form, non-secret facts about the event (scopes granted, account id, …). */
  detail: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]))),
});
export type SecurityEvent = z.infer<typeof securityEventSchema>;

export type NewSecurityEvent = Omit<SecurityEvent, 'id' | 'time' | 'clientHash'> & {
  /** Raw client address; hashed by the writer, never stored. */
  clientAddress?: string;
};

/**
 * What any writer records about the request behind an entry, built in one place
 * (shared/http/request-facts.ts) from API Gateway's event; the client address only to be hashed.
 */
export type RequestFacts = Pick<NewSecurityEvent, 'method' | 'path' | 'route' | 'userAgent' | 'clientAddress' | 'requestId'>;

/** Where entries go. Writers get the safe one: a failed write is reported and never fails the work. */
export interface SecurityLogPort {
  write(event: NewSecurityEvent): Promise<unknown>;
}

export function outcomeForStatus(status: number): Outcome {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'denied';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'ok';
}

/** Removes a query string and fragment from a path or URL, keeping only the path. */
export function pathOnly(pathOrUrl: string): string {
  const cut = pathOrUrl.search(/[?#]/);
  return cut === -1 ? pathOrUrl : pathOrUrl.slice(0, cut);
}

/** User agents are kept, but bounded: they are attacker-controlled text. */
export function boundedUserAgent(userAgent: string | undefined): string | undefined {
  if (userAgent === undefined || userAgent === '') return undefined;
  return userAgent.length > 512 ? `${userAgent.slice(0, 512)}…` : userAgent;
}
