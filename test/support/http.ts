import { randomInt } from 'node:crypto';
import { buildHttpApiEvent, readHttpApiResult, type HttpRequestInput } from '../../local/api-event';
import { invoke } from '../../local/lambda-runtime';
import { routes, type FunctionId } from '../../shared/routes';

export interface TestResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  text: string;
  json: () => unknown;
}

/**
 * A client address of its own for each call unless the test gives one: the per-client limits of
 * public routes (route table, `clientLimit`) count per address, and tests share one state table.
 */
function anyClient(): string {
  return `10.${String(randomInt(256))}.${String(randomInt(256))}.${String(randomInt(1, 255))}`;
}

/**
 * Calls a function the way API Gateway would: a payload 2.0 event for the route, through the same
 * in-process runtime the local server uses.
 */
export async function callFunction(fn: FunctionId, input: HttpRequestInput): Promise<TestResponse> {
  const path = input.url.split('?')[0] ?? '/';
  const route = routes.find((r) => r.fn === fn && r.method === input.method.toUpperCase());
  const event = buildHttpApiEvent({ routeKey: route ? `${route.method} ${route.path}` : `${input.method} ${path}`, sourceIp: anyClient(), ...input });
  const result = readHttpApiResult((await invoke(fn, event)));
  const text = result.body.toString('utf8');
  return { statusCode: result.statusCode, headers: result.headers, cookies: result.cookies, text, json: (): unknown => JSON.parse(text) };
}
