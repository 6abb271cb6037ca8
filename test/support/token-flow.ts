import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ensureTables } from '../../local/boot';
import { startPinterestEmulator, type PinterestEmulator } from '../../local/emulators/pinterest';
import { AccountStore } from '../../shared/adapters/dynamo/account-store';
import { SecurityLog } from '../../shared/adapters/dynamo/security-log';
import { DynamoTable } from '../../shared/adapters/dynamo/table';
import { OperatorMail } from '../../shared/adapters/operator-mail';
import { PinterestClient } from '../../shared/adapters/pinterest/client';
import { PinterestApi } from '../../shared/adapters/pinterest/resources';
import { SecretStore } from '../../shared/adapters/secret-store';
import { SesMailer } from '../../shared/adapters/ses-mailer';
import { TokenVault } from '../../shared/adapters/token-vault';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { secretNames } from '../../shared/secrets';
import { tables } from '../../shared/tables';
import type { TokenDeps } from '../../shared/use-cases/token-ports';
import { appSettings, hashingKey } from '../../shared/wiring';
import { pinterestApp } from '../../shared/wiring-connect';
import { clients, names, uniquePrefix } from './aws';
import { FakeClock } from './fake-clock';
import { callFunction, type TestResponse } from './http';
import { PUBLIC_BASE_URL, REDIRECT_URI, connect } from './oauth-flow';

/**
 * The token lifecycle driven through the real adapters against the emulators, isolated per test file:
 * a Pinterest emulator of the file's own (sharing the test's fake clock), a workflow and an audit
 * table of its own (account items are keyed by environment only, so a shared table would race the
 * other files), and an operator address of its own (to find its mails in the shared SES store).
 * The handlers (connect, GET /account, disconnect, the `refresh-tokens` schedule) use the same tables,
 * emulator and address through the environment; `deps` are the use cases' TokenDeps on the same real
 * adapters, with the fake clock, so a test can move time.
 */

export const MIRA = '1000000000000000001';
export const OTHER = '1000000000000000002';

export interface TokenFlow {
  emulator: PinterestEmulator;
  /** The clock of `deps` and of the emulator (the handlers keep the system clock). */
  clock: FakeClock;
  deps: TokenDeps;
  api: PinterestApi;
  tables: { workflow: string; audit: string };
  notifyEmail: string;
}

export function setUpTokenFlow(label: string): TokenFlow {
  const flow = {} as TokenFlow;
  beforeAll(async () => {
    const prefix = uniquePrefix(label);
    flow.tables = { workflow: `${prefix}-workflow`, audit: `${prefix}-audit` };
    flow.notifyEmail = `operator-${prefix}@publisher.test`;
    await ensureTables(clients.dynamoDb, { state: names.state, ...flow.tables }, '(test)', [tables.workflow, tables.audit]);
    flow.clock = new FakeClock(new Date());
    flow.emulator = await startPinterestEmulator({ app: { redirectUris: [REDIRECT_URI] }, consentMode: 'approve', clock: flow.clock.read });
    // Before any handler or wiring of this file reads them (both read lazily, once per file).
    Object.assign(process.env, {
      WORKFLOW_TABLE: flow.tables.workflow,
      AUDIT_TABLE: flow.tables.audit,
      OPERATOR_NOTIFY_EMAIL: flow.notifyEmail,
      PUBLIC_BASE_URL,
      PINTEREST_AUTHORIZE_URL: flow.emulator.urls.authorize,
      PINTEREST_API_BASE_SANDBOX: flow.emulator.urls.sandbox,
      PINTEREST_API_BASE_PRODUCTION: flow.emulator.urls.production,
    });
    const pinterest = new PinterestClient({ baseUrls: { sandbox: flow.emulator.urls.sandbox, production: flow.emulator.urls.production }, timeoutMs: 8000 });
    flow.api = new PinterestApi(pinterest);
    const clock = flow.clock;
    flow.deps = {
      clock,
      newId: () => randomUUID(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      accounts: new AccountStore(new DynamoTable(clients.dynamo, flow.tables.workflow, clock)),
      vault: new TokenVault(new SecretStore(clients.secrets, clock, 30_000), secretNames(names.secretPrefix).tokens),
      pinterest,
      appCredentials: pinterestApp,
      securityLog: new SecurityLog(new DynamoTable(clients.dynamo, flow.tables.audit, clock), clock, hashingKey(), 90),
      notifier: new OperatorMail(new SesMailer(clients.ses, appSettings().SENDER_EMAIL, hashingKey(), clock), flow.notifyEmail),
      settings: {
        refreshAccessDays: 5,
        refreshWarnDays: 20,
        leaseMs: 90_000,
        pollMs: 20,
        failingNoticeAfterMs: 24 * 3_600_000,
        disconnectedRetentionDays: 90,
        publicBaseUrl: PUBLIC_BASE_URL,
      },
    };
  });
  afterAll(async () => {
    await flow.emulator.close();
  });
  return flow;
}

export const DAY_MS = 86_400_000;

const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Connects the environment through the OAuth flow and confirms the account if it asks for it. */
export async function connectConfirmed(env: PinterestEnvironment = 'sandbox'): Promise<void> {
  const res = await connect(env);
  if (res.statusCode !== 200) throw new Error(`connect answered ${String(res.statusCode)}: ${res.text}`);
  const view = await accountView(env);
  if (view.status === 'pending_confirmation') {
    const confirmed = await callFunction('confirmAccount', { method: 'POST', url: '/account/confirm', ...json({ environment: env, accountId: view.accountId }) });
    if (confirmed.statusCode !== 200) throw new Error(`confirm answered ${String(confirmed.statusCode)}: ${confirmed.text}`);
  }
}

export interface AccountViewJson {
  status: string;
  accountId: string;
  accessTokenExpiresAt: string;
  refreshTokenExpiresAt: string | null;
  lastRefreshAt: string | null;
  refreshFailingSince: string | null;
  warnings: Array<{ kind: string; since: string }>;
  reauthorizationReason?: string;
  disconnectedAt?: string;
}

/** The environment's entry of GET /account, through the handler. */
export async function accountView(env: PinterestEnvironment = 'sandbox'): Promise<AccountViewJson> {
  const res = await callFunction('getAccount', { method: 'GET', url: '/account' });
  if (res.statusCode !== 200) throw new Error(`GET /account answered ${String(res.statusCode)}: ${res.text}`);
  return (res.json() as { environments: Record<string, AccountViewJson> }).environments[env] as AccountViewJson;
}

export function disconnect(env: PinterestEnvironment = 'sandbox'): Promise<TestResponse> {
  return callFunction('disconnectAccount', { method: 'POST', url: '/account/disconnect', ...json({ environment: env }) });
}

const storedAccountSchema = z.looseObject({
  status: z.string(),
  secretName: z.string(),
  tokenVersion: z.number(),
  version: z.number(),
  accessTokenExpiresAt: z.string(),
  refreshTokenExpiresAt: z.optional(z.string()),
  lastRefreshAt: z.optional(z.string()),
  refreshLockUntil: z.optional(z.number()),
  refreshLeaseId: z.optional(z.string()),
  refreshFailingSince: z.optional(z.string()),
  notices: z.optional(z.record(z.string(), z.string())),
});
export type StoredAccount = z.infer<typeof storedAccountSchema>;

/** The account item as DynamoDB holds it (read with the SDK, not through the product's store). */
export async function storedAccount(flow: TokenFlow, env: PinterestEnvironment = 'sandbox'): Promise<StoredAccount> {
  const { Item } = await clients.dynamo.send(new GetCommand({ TableName: flow.tables.workflow, Key: { pk: `ACCOUNT#${env}`, sk: 'CURRENT' }, ConsistentRead: true }));
  return storedAccountSchema.parse(Item);
}

/** Overwrites attributes of the account item behind the product's back (version unchanged), e.g. to age expiries. */
export async function patchAccount(flow: TokenFlow, set: Record<string, unknown>, env: PinterestEnvironment = 'sandbox'): Promise<void> {
  const entries = Object.entries(set);
  await clients.dynamo.send(
    new UpdateCommand({
      TableName: flow.tables.workflow,
      Key: { pk: `ACCOUNT#${env}`, sk: 'CURRENT' },
      UpdateExpression: `SET ${entries.map((_, i) => `#k${String(i)} = :v${String(i)}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#k${String(i)}`, k])),
      ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${String(i)}`, v])),
    }),
  );
}

export const storedSecretSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenVersion: z.optional(z.number()),
  accessTokenExpiresAt: z.optional(z.string()),
  refreshTokenExpiresAt: z.optional(z.string()),
});

/** The token secret read with the SDK (past every cache); rejects with ResourceNotFoundException when gone. */
export async function readSecret(name: string): Promise<z.infer<typeof storedSecretSchema>> {
  const { SecretString } = await clients.secrets.send(new GetSecretValueCommand({ SecretId: name }));
  return storedSecretSchema.parse(JSON.parse(SecretString ?? 'null'));
}

/** The token-endpoint requests the emulator received (refreshes and code exchanges), oldest first. */
export function tokenRequests(flow: TokenFlow): URLSearchParams[] {
  return flow.emulator.controls
    .requests()
    .filter((r) => r.path === '/v5/oauth/token')
    .map((r) => new URLSearchParams(r.body));
}

export const refreshRequests = (flow: TokenFlow) => tokenRequests(flow).filter((form) => form.get('grant_type') === 'refresh_token');

/** Calls the emulator's token endpoint directly with a refresh token, as Pinterest's docs describe. */
export async function refreshAtEmulator(flow: TokenFlow, refreshToken: string, env: PinterestEnvironment = 'sandbox'): Promise<{ status: number; body: unknown }> {
  const basic = Buffer.from(`${flow.emulator.app.clientId}:${flow.emulator.app.clientSecret}`, 'utf8').toString('base64');
  const res = await fetch(`${flow.emulator.urls[env]}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return { status: res.status, body: await res.json() };
}

export interface OperatorMailJson {
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string };
}

/** The mails the SES emulator holds for this file's operator address, oldest first. */
export async function operatorMails(flow: TokenFlow): Promise<OperatorMailJson[]> {
  const res = await fetch(`${names.sesUrl}/store`);
  const store = (await res.json()) as { emails: OperatorMailJson[] };
  return store.emails.filter((m) => m.destination.to.includes(flow.notifyEmail));
}

export interface SecurityEntry {
  id: string;
  time: string;
  kind: string;
  outcome: string;
  errorCode?: string;
  detail?: Record<string, unknown>;
}

async function allEntries(flow: TokenFlow): Promise<SecurityEntry[]> {
  const { Items = [] } = await clients.dynamo.send(new ScanCommand({ TableName: flow.tables.audit, ConsistentRead: true }));
  return Items as SecurityEntry[];
}

/** The security log's entries so far, to leave out later (entry times follow a clock tests move). */
export async function logMark(flow: TokenFlow): Promise<Set<string>> {
  return new Set((await allEntries(flow)).map((e) => e.id));
}

/** The `account` entries of this file's security log that are not in `before`, oldest first. */
export async function accountLog(flow: TokenFlow, before: Set<string> = new Set()): Promise<SecurityEntry[]> {
  return (await allEntries(flow)).filter((e) => e.kind === 'account' && !before.has(e.id)).sort((a, b) => a.time.localeCompare(b.time));
}

export const steps = (entries: SecurityEntry[]) => entries.map((e) => e.detail?.step);
