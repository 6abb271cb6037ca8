import { randomInt } from 'node:crypto';
import { buildHttpApiEvent, readHttpApiResult, type HttpRequestInput } from '../../local/api-event';
import { invoke } from '../../local/lambda-runtime';
import { dynamoDocumentClient } from '../../shared/adapters/aws/dynamo';
import { secretsManagerClient } from '../../shared/adapters/aws/secrets';
import { routes, type FunctionId } from '../../shared/routes';
import { callbackDeps } from '../../shared/wiring-pinterest';
import { RequestCounter, type Counted } from './counting';

/**
 * The product's operations run in this process through the same runtime the local server uses
 * (payload 2.0 events, the real middy stacks, the real SDK clients against emulators), with every
 * AWS request and Pinterest call counted. `npm run bench` and the round-trip budget test share it.
 */

export interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  text: string;
}

/** Calls a function as API Gateway would, from a client address of its own (per-client limits). */
export async function call(fn: FunctionId, input: HttpRequestInput): Promise<Answer> {
  const path = input.url.split('?')[0] ?? '/';
  const route = routes.find((r) => r.fn === fn && r.method === input.method.toUpperCase());
  const sourceIp = `10.${String(randomInt(256))}.${String(randomInt(256))}.${String(randomInt(1, 255))}`;
  const event = buildHttpApiEvent({ routeKey: route ? `${route.method} ${route.path}` : `${input.method} ${path}`, sourceIp, ...input });
  const result = readHttpApiResult(await invoke(fn, event));
  return { statusCode: result.statusCode, headers: result.headers, cookies: result.cookies, text: result.body.toString('utf8') };
}

/**
 * A counter on the process-wide SDK clients the functions use, and on the callback's Pinterest
 * client (its two calls), so one figure covers every network round trip an operation makes.
 */
export function countingRequests(): RequestCounter {
  const counter = new RequestCounter();
  counter.instrument('DynamoDB', dynamoDocumentClient().middlewareStack as never);
  counter.instrument('SecretsManager', secretsManagerClient().middlewareStack as never);
  const pinterest = callbackDeps().pinterest;
  const exchange = pinterest.exchangeCode.bind(pinterest);
  const account = pinterest.userAccount.bind(pinterest);
  pinterest.exchangeCode = (...args) => counter.track('Pinterest.exchangeCode', () => exchange(...args));
  pinterest.userAccount = (...args) => counter.track('Pinterest.userAccount', () => account(...args));
  return counter;
}

/**
 * The fewest requests and sequential round trips each operation can make, warm (secrets cached), as
 * the design allows; the budget test fails on more. Why each is what it is:
 * - GET /account: both environments' account items read in parallel, then the security-log entry.
 * - POST /oauth/start: the ticket (conditional create), its log entry, then the request's entry.
 * - GET /oauth/start: the per-client counter, the ticket spent (conditional delete), the state
 *   created, its log entry, then the request's entry.
 * - GET /oauth/callback (first connect): the per-client counter; the state spent with the nonce
 *   (conditional delete); the token exchange and the account lookup at Pinterest; the current
 *   account and the pin read in parallel; the token secret created; the account written
 *   (conditional); the callback's log entry; the request's entry.
 * - GET /audit: one Query whatever the range or the log's size (the log is one partition sorted by
 *   time, and each kind one partition of an index; at most 3 when expired entries TTL has not yet
 *   deleted leave a page short), then the request's own entry.
 */
export const minimums = {
  getAccount: { total: 3, roundTrips: 2 },
  createOAuthLink: { total: 3, roundTrips: 3 },
  openOAuthLink: { total: 5, roundTrips: 5 },
  oauthCallback: { total: 10, roundTrips: 9 },
  getAuditQuiet: { total: 2, roundTrips: 2 },
  getAuditBusy: { total: 2, roundTrips: 2 },
} as const;

export const operator = { authorization: 'Bearer bench', 'content-type': 'application/json' } as const;

/** Creates a start link; answers its path and query (`/oauth/start?ticket=…`). */
export async function startLink(environment: 'sandbox' | 'production' = 'sandbox'): Promise<string> {
  const answer = await call('createOAuthLink', { method: 'POST', url: '/oauth/start', headers: operator, body: JSON.stringify({ environment }) });
  if (answer.statusCode !== 201) throw new Error(`POST /oauth/start answered ${String(answer.statusCode)}: ${answer.text}`);
  const url = new URL((JSON.parse(answer.text) as { url: string }).url);
  return `${url.pathname}${url.search}`;
}

/** Opens a link: answers the authorize URL and the nonce cookie. */
export async function openLink(path: string): Promise<{ authorize: string; cookie: string }> {
  const answer = await call('openOAuthLink', { method: 'GET', url: path });
  if (answer.statusCode !== 302) throw new Error(`GET /oauth/start answered ${String(answer.statusCode)}: ${answer.text}`);
  return { authorize: answer.headers.location ?? '', cookie: (answer.cookies[0] ?? '').split(';')[0] ?? '' };
}

/** Follows the authorize URL at an auto-approving Pinterest emulator; answers the callback path. */
export async function consent(authorize: string): Promise<string> {
  const res = await fetch(authorize, { redirect: 'manual' });
  const back = new URL(res.headers.get('location') ?? '');
  return `${back.pathname}${back.search}`;
}

/** One whole connection, counting only the callback's requests. */
export async function countedCallback(counter: RequestCounter): Promise<{ counted: Counted; answer: Answer }> {
  const { authorize, cookie } = await openLink(await startLink());
  const callbackPath = await consent(authorize);
  let answer: Answer | undefined;
  const counted = await counter.during(async () => {
    answer = await call('oauthCallback', { method: 'GET', url: callbackPath, headers: { cookie } });
  });
  if (answer === undefined) throw new Error('no answer');
  return { counted, answer };
}
