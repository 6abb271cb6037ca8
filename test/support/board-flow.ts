import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables } from '../../local/boot';
import { startPinterestEmulator, type PinterestEmulator } from '../../local/emulators/pinterest';
import type { LoggedRequest } from '../../local/emulators/pinterest/types';
import type { LocalServer } from '../../local/server';
import { dynamoDocumentClient } from '../../shared/adapters/aws/dynamo';
import { AccountStore } from '../../shared/adapters/dynamo/account-store';
import { BoardStore } from '../../shared/adapters/dynamo/board-store';
import { BoardSyncJobs } from '../../shared/adapters/dynamo/board-sync-jobs';
import { SecurityLog } from '../../shared/adapters/dynamo/security-log';
import { DynamoTable } from '../../shared/adapters/dynamo/table';
import { OperatorMail } from '../../shared/adapters/operator-mail';
import { PinterestClient } from '../../shared/adapters/pinterest/client';
import { PinterestApi } from '../../shared/adapters/pinterest/resources';
import { SecretStore } from '../../shared/adapters/secret-store';
import { SesMailer } from '../../shared/adapters/ses-mailer';
import { TokenVault } from '../../shared/adapters/token-vault';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import type { FunctionId } from '../../shared/routes';
import { secretNames } from '../../shared/secrets';
import type { BoardDeps } from '../../shared/use-cases/board-ports';
import { appSettings, hashingKey } from '../../shared/wiring';
import { pinterestApp } from '../../shared/wiring-connect';
import { clients, names, uniquePrefix } from './aws';
import { FakeClock } from './fake-clock';
import { callFunction, type TestResponse } from './http';
import { useInvokeEndpoint } from './invoke-endpoint';
import { PUBLIC_BASE_URL, REDIRECT_URI } from './oauth-flow';
import { recordingTransport, type Exchange } from './recording-transport';
import { connectConfirmed, readSecret } from './token-flow';

/**
 * The board features driven through the real handlers and adapters against the emulators, isolated
 * per test file. Board partitions (`BOARDS#<env>`), sync jobs (`BOARD_SYNC#<env>`) and account items
 * are keyed by environment only, so each file gets a state, a workflow and an audit table of its own
 * and a Pinterest emulator of its own; the handlers use them through the environment. Lambda's Invoke
 * API is served in the test process (./invoke-endpoint.ts), so `POST /boards/sync` really starts the
 * `syncBoards` function, and `server().background.idle()` waits for the job.
 *
 * `deps` are the use cases' BoardDeps on the same tables and emulator, with a clock the test moves,
 * an invoker that only records (so a test runs the job itself, page by page if it likes) and a
 * Pinterest client whose exchanges are kept (`exchanges`, for contract checks). The handlers keep the
 * system clock. Every DynamoDB request of this process (handlers and `deps`) is recorded at the
 * process-wide SDK client (`dynamo`), with the items of each BatchWriteItem.
 */

export const MIRA = '1000000000000000001';

export interface DynamoRequest {
  command: string;
  /** The sort keys written, for BatchWriteItem. */
  writes?: string[];
}

export interface BoardFlow {
  emulator: PinterestEmulator;
  clock: FakeClock;
  deps: BoardDeps;
  /** What `deps.invoker` was asked to start. */
  invoked: Array<{ fn: FunctionId; payload: unknown }>;
  /** Pinterest exchanges made through `deps` (not the handlers'). */
  exchanges: Exchange[];
  /** DynamoDB requests of this process, oldest first; cleared by `resetBoardFlow`. */
  dynamo: DynamoRequest[];
  tables: { state: string; workflow: string; audit: string };
  server(): LocalServer;
}

export function setUpBoardFlow(label: string): BoardFlow {
  const endpoint = useInvokeEndpoint();
  const recorder = recordingTransport();
  const flow = { invoked: [], exchanges: recorder.exchanges, dynamo: [], server: () => endpoint.server() } as unknown as BoardFlow;
  beforeAll(async () => {
    const prefix = uniquePrefix(label);
    flow.tables = { state: `${prefix}-state`, workflow: `${prefix}-workflow`, audit: `${prefix}-audit` };
    await ensureTables(clients.dynamoDb, flow.tables, '(test)');
    flow.emulator = await startPinterestEmulator({ app: { redirectUris: [REDIRECT_URI] }, consentMode: 'approve' });
    // Before any handler or wiring of this file reads them (they read lazily, once per file).
    Object.assign(process.env, {
      STATE_TABLE: flow.tables.state,
      WORKFLOW_TABLE: flow.tables.workflow,
      AUDIT_TABLE: flow.tables.audit,
      OPERATOR_NOTIFY_EMAIL: `operator-${prefix}@publisher.test`,
      PUBLIC_BASE_URL,
      PINTEREST_AUTHORIZE_URL: flow.emulator.urls.authorize,
      PINTEREST_API_BASE_SANDBOX: flow.emulator.urls.sandbox,
      PINTEREST_API_BASE_PRODUCTION: flow.emulator.urls.production,
    });
    recordDynamoRequests(flow.dynamo);
    flow.clock = new FakeClock(new Date());
    const clock = flow.clock;
    const doc = dynamoDocumentClient();
    const workflow = new DynamoTable(doc, flow.tables.workflow, clock);
    const pinterest = new PinterestClient({ baseUrls: { sandbox: flow.emulator.urls.sandbox, production: flow.emulator.urls.production }, timeoutMs: 8000, transport: recorder.transport });
    flow.deps = {
      clock,
      newId: () => randomUUID(),
      tokens: {
        clock,
        newId: () => randomUUID(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        accounts: new AccountStore(workflow),
        vault: new TokenVault(new SecretStore(clients.secrets, clock, 30_000), secretNames(names.secretPrefix).tokens),
        pinterest,
        appCredentials: pinterestApp,
        securityLog: new SecurityLog(new DynamoTable(doc, flow.tables.audit, clock), clock, hashingKey(), 90),
        notifier: new OperatorMail(new SesMailer(clients.ses, appSettings().SENDER_EMAIL, hashingKey(), clock), `operator-${prefix}@publisher.test`),
        settings: {
          refreshAccessDays: 5,
          refreshWarnDays: 20,
          leaseMs: 90_000,
          pollMs: 20,
          failingNoticeAfterMs: 24 * 3_600_000,
          disconnectedRetentionDays: 90,
          publicBaseUrl: PUBLIC_BASE_URL,
        },
      },
      pinterest: new PinterestApi(pinterest),
      boards: new BoardStore(workflow, () => Promise.resolve()),
      jobs: new BoardSyncJobs(new DynamoTable(doc, flow.tables.state, clock), 7 * 86_400),
      invoker: {
        invoke: (fn, payload) => {
          flow.invoked.push({ fn, payload });
          return Promise.resolve();
        },
      },
      settings: { pageSize: 250, jobLeaseMs: 100_000, handOverBelowMs: 20_000 },
    };
  });
  afterAll(async () => {
    await flow.emulator.close();
  });
  return flow;
}

/** Records every request of the process-wide DynamoDB client (the handlers' and `deps`'), with BatchWriteItem's keys. */
function recordDynamoRequests(log: DynamoRequest[]): void {
  const stack = dynamoDocumentClient().middlewareStack;
  if (stack.identify().some((entry) => entry.startsWith('board-flow-recorder'))) return;
  stack.add(
    (next, context) => (args) => {
      const command = ((context as { commandName?: string }).commandName ?? 'unknown').replace(/Command$/, '');
      const input = args.input as { RequestItems?: Record<string, Array<{ PutRequest?: { Item?: { sk?: unknown } } }>> };
      const writes = command === 'BatchWriteItem' ? Object.values(input.RequestItems ?? {}).flat().map((r) => String(r.PutRequest?.Item?.sk)) : undefined;
      log.push({ command, ...(writes === undefined ? {} : { writes }) });
      return next(args);
    },
    { step: 'initialize', name: 'board-flow-recorder' },
  );
}

/** The BatchWriteItem calls recorded since the last reset: `boards` wrote only board items, `other` the rest (the snapshot record). */
export function batchWrites(flow: BoardFlow): { boards: number; other: number; boardItems: number } {
  const calls = flow.dynamo.filter((r) => r.command === 'BatchWriteItem');
  const onlyBoards = calls.filter((r) => (r.writes ?? []).every((sk) => sk.startsWith('BOARD#')));
  return { boards: onlyBoards.length, other: calls.length - onlyBoards.length, boardItems: onlyBoards.reduce((n, r) => n + (r.writes?.length ?? 0), 0) };
}

/**
 * A fresh start for a test: the emulator's seed back (600 production boards, an empty sandbox; no
 * grants, faults, log or rate counters), this file's board snapshots and sync jobs gone, the clock at
 * now, the recorders empty, and the environments connected again.
 */
export async function resetBoardFlow(flow: BoardFlow, connect: readonly PinterestEnvironment[] = ['production']): Promise<void> {
  await flow.server().background.idle();
  flow.emulator.controls.reset();
  flow.emulator.controls.setTier('trial'); // reset keeps the app as it was
  await deleteWhere(flow.tables.workflow, (pk) => pk.startsWith('BOARDS#'));
  await deleteWhere(flow.tables.state, (pk) => pk.startsWith('BOARD_SYNC#'));
  flow.clock.set(new Date());
  // reset() forgot the grants: connect again (the connection replaces the previous one).
  for (const env of connect) await connectConfirmed(env);
  clearLogs(flow);
}

/** Empties the recorders (emulator request log excepted: it has no clear; compare lengths instead). */
export function clearLogs(flow: BoardFlow): void {
  flow.dynamo.length = 0;
  flow.exchanges.length = 0;
  flow.invoked.length = 0;
}

async function deleteWhere(table: string, keep: (pk: string) => boolean): Promise<void> {
  let start: Record<string, unknown> | undefined;
  const keys: Array<{ pk: string; sk: string }> = [];
  do {
    const page = await clients.dynamo.send(new ScanCommand({ TableName: table, ProjectionExpression: 'pk, sk', ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) if (keep(String(item.pk))) keys.push({ pk: String(item.pk), sk: String(item.sk) });
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  for (let i = 0; i < keys.length; i += 25) {
    await clients.dynamo.send(new BatchWriteCommand({ RequestItems: { [table]: keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })) } }));
  }
}

/** The access token the product holds for an environment (read with the SDK, past every cache). */
export async function productToken(flow: BoardFlow, env: PinterestEnvironment): Promise<string> {
  const { Item } = await clients.dynamo.send(new GetCommand({ TableName: flow.tables.workflow, Key: { pk: `ACCOUNT#${env}`, sk: 'CURRENT' }, ConsistentRead: true }));
  return (await readSecret(String(Item?.secretName))).accessToken;
}

/** An item of this file's workflow table as DynamoDB holds it (read with the SDK, not through the product's store). */
export async function workflowItem(flow: BoardFlow, pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await clients.dynamo.send(new GetCommand({ TableName: flow.tables.workflow, Key: { pk, sk }, ConsistentRead: true }));
  return Item;
}

/** The emulator's `GET /v5/boards` requests of an environment (the board list calls), oldest first. */
export function boardListCalls(flow: BoardFlow, env: PinterestEnvironment = 'production'): LoggedRequest[] {
  return flow.emulator.controls.requests().filter((r) => r.host === env && r.method === 'GET' && r.path === '/v5/boards');
}

export function requestsTo(flow: BoardFlow, method: string, path: string | RegExp): LoggedRequest[] {
  return flow.emulator.controls.requests().filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
}

/** Polls until `check` holds (or fails after `timeoutMs`). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Runs `run` (something that syncs `env`'s boards) so that the first board-list call is answered
 * normally and the second meets `fault` (Pinterest's 429 by default): the first call is held for a
 * moment, and the fault is injected once it has arrived (the emulator decides a request's faults when
 * it arrives, so the held call is not affected).
 */
export async function withFaultOnSecondPage<T>(
  flow: BoardFlow,
  env: PinterestEnvironment,
  fault: { kind: 'rate_limit' } | { kind: 'status'; status: number; body?: unknown },
  run: () => Promise<T>,
): Promise<T> {
  const before = boardListCalls(flow, env).length;
  flow.emulator.controls.injectFault({ host: env, method: 'GET', path: '/v5/boards', kind: 'delay', ms: 500 });
  const running = run();
  await waitFor(() => boardListCalls(flow, env).length > before, 'the first board-list call');
  flow.emulator.controls.injectFault({ host: env, method: 'GET', path: '/v5/boards', ...fault });
  return running;
}

export function withRateLimitOnSecondPage<T>(flow: BoardFlow, env: PinterestEnvironment, run: () => Promise<T>): Promise<T> {
  return withFaultOnSecondPage(flow, env, { kind: 'rate_limit' }, run);
}

// The handlers, as API Gateway calls them.

const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export interface JobJson {
  jobId: string;
  environment: PinterestEnvironment;
  status: 'running' | 'paused' | 'succeeded' | 'failed';
  pagesRead: number;
  boardsSeen: number;
  startedAt: string;
  finishedAt: string | null;
  pausedReason?: string | null;
  resumeAt?: string | null;
  error?: string;
  started?: boolean;
}

export interface BoardJson {
  id: string;
  name: string;
  description: string | null;
  privacy: string | null;
  owner: string | null;
  group: boolean;
  sectionCount: number | null;
  syncedAt: string;
}

export interface BoardListJson {
  environment: PinterestEnvironment;
  syncedAt: string | null;
  items: BoardJson[];
  nextCursor?: string;
}

/** POST /boards/sync; `env` is any text, to try bad ones too. */
export function postSync(env: string): Promise<TestResponse> {
  return callFunction('startBoardSync', { method: 'POST', url: '/boards/sync', ...json({ environment: env }) });
}

export async function getJob(jobId: string): Promise<JobJson> {
  const res = await callFunction('getBoardSync', { method: 'GET', url: `/boards/sync/${encodeURIComponent(jobId)}`, pathParameters: { jobId } });
  if (res.statusCode !== 200) throw new Error(`GET /boards/sync answered ${String(res.statusCode)}: ${res.text}`);
  return res.json() as JobJson;
}

export function getBoards(query: Record<string, string>): Promise<TestResponse> {
  return callFunction('listBoards', { method: 'GET', url: `/boards?${new URLSearchParams(query).toString()}` });
}

/** Every board of GET /boards, following `nextCursor`; answers the boards, the pages and the last page's `syncedAt`. */
export async function allBoards(env: PinterestEnvironment, query: Record<string, string> = {}): Promise<{ boards: BoardJson[]; pages: number; syncedAt: string | null }> {
  const boards: BoardJson[] = [];
  let cursor: string | undefined;
  let pages = 0;
  let syncedAt: string | null;
  do {
    const res = await getBoards({ environment: env, limit: '100', ...query, ...(cursor === undefined ? {} : { cursor }) });
    if (res.statusCode !== 200) throw new Error(`GET /boards answered ${String(res.statusCode)}: ${res.text}`);
    const page = res.json() as BoardListJson;
    boards.push(...page.items);
    syncedAt = page.syncedAt;
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== undefined);
  return { boards, pages, syncedAt };
}

export function getSections(env: string, boardId: string, refresh?: string): Promise<TestResponse> {
  const query = new URLSearchParams({ environment: env, ...(refresh === undefined ? {} : { refresh }) });
  return callFunction('getBoardSections', { method: 'GET', url: `/boards/${boardId}/sections?${query.toString()}`, pathParameters: { id: boardId } });
}

export function postBoard(body: unknown): Promise<TestResponse> {
  return callFunction('createBoard', { method: 'POST', url: '/boards', ...json(body) });
}

/** POST /boards/sync, then waits for the job function (and anything it started) to finish. */
export async function syncAndWait(flow: BoardFlow, env: PinterestEnvironment = 'production'): Promise<JobJson> {
  const res = await postSync(env);
  if (res.statusCode !== 202) throw new Error(`POST /boards/sync answered ${String(res.statusCode)}: ${res.text}`);
  await flow.server().background.idle();
  return getJob((res.json() as JobJson).jobId);
}
