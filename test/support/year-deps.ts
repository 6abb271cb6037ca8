import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as realSleep } from 'node:timers/promises';
import { ensureTables } from '../../local/boot';
import { startPinterestEmulator, type PinterestEmulator } from '../../local/emulators/pinterest';
import { ACCESS_TOKEN_TTL_S, REFRESH_TOKEN_TTL_S } from '../../local/emulators/pinterest/constants';
import { AccountStore } from '../../shared/adapters/dynamo/account-store';
import { DynamoTable } from '../../shared/adapters/dynamo/table';
import { OperatorMail } from '../../shared/adapters/operator-mail';
import { PinterestClient } from '../../shared/adapters/pinterest/client';
import { SecretStore } from '../../shared/adapters/secret-store';
import { SesMailer } from '../../shared/adapters/ses-mailer';
import { TokenVault } from '../../shared/adapters/token-vault';
import { loadSettings } from '../../shared/config';
import type { AccountRecord } from '../../shared/domain/account';
import type { NewSecurityEvent } from '../../shared/domain/security-event';
import type { TokenSecret } from '../../shared/domain/tokens';
import { tokenLeaseSeconds } from '../../shared/routes';
import { secretNames } from '../../shared/secrets';
import { tables } from '../../shared/tables';
import type { TokenDeps } from '../../shared/use-cases/token-ports';
import { clients, names, uniquePrefix } from './aws';
import { FakeClock } from './fake-clock';

/**
 * The token lifecycle on the real adapters for a long simulation (test/flows/simulated-year.test.ts):
 * one fake clock for everything, a workflow table and secret prefix of the caller's own, a Pinterest
 * emulator (with a data file, so the test can see which tokens it holds), operator mail to the SES
 * emulator of the jest global setup, and a recording security log. Two "containers" (the API
 * functions and the refresh schedule) share the table, the secrets and Pinterest but each has its own
 * secret cache and Pinterest client, as separate Lambdas do.
 */

export const MIRA = '1000000000000000001';
const SCOPES = ['boards:read', 'boards:write', 'pins:read', 'pins:write', 'user_accounts:read'];

export interface StoredMail {
  subject: string;
  destination: { to: string[] };
  body: { text?: string };
}

export interface EmulatorTokens {
  /** Hashes (sha256 hex) of the user's live tokens, as the emulator stores them. */
  refresh: string[];
  access: string[];
}

export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export interface YearWorld {
  clock: FakeClock;
  emulator: PinterestEmulator;
  operator: string;
  /** What an API function works with. */
  api: TokenDeps;
  /** What the refresh schedule works with. */
  schedule: TokenDeps;
  events: NewSecurityEvent[];
  account(): Promise<AccountRecord | undefined>;
  /** A secret, read past every cache. */
  secret(name: string): Promise<TokenSecret | undefined>;
  /** The user's live sandbox tokens in the emulator's own state (its data file). */
  emulatorTokens(): EmulatorTokens;
  /** Every mail sent to this world's operator address. */
  mails(): Promise<StoredMail[]>;
  /** Connects the seeded account once, as a finished OAuth callback leaves it. */
  connect(): Promise<void>;
  close(): Promise<void>;
}

export async function startYearWorld(options: { start: string; timeoutMs: number; cacheMs: number }): Promise<YearWorld> {
  const clock = new FakeClock(options.start);
  const label = uniquePrefix('year');
  const tableName = `${label}-workflow`;
  await ensureTables(clients.dynamoDb, { state: `${tableName}-unused-state`, workflow: tableName, audit: `${tableName}-unused-audit` }, '(test)', [tables.workflow]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'year-emulator-'));
  const dataFile = path.join(dir, 'pinterest.json');
  const emulator = await startPinterestEmulator({ clock: clock.read, dataFile, consentMode: 'approve' });
  const operator = `operator+${label}@publisher.test`;
  const settings = loadSettings({ PUBLIC_BASE_URL: 'https://publisher.example.test', OPERATOR_NOTIFY_EMAIL: operator, SENDER_EMAIL: 'info@ecooffice.net' });
  const accounts = new AccountStore(new DynamoTable(clients.dynamo, tableName, clock));
  const secretName = secretNames(`${label}/`).tokens;
  const events: NewSecurityEvent[] = [];
  const hashingKey = Buffer.alloc(32, 9);
  const mail = new OperatorMail(new SesMailer(clients.ses, settings.SENDER_EMAIL, () => Promise.resolve(hashingKey), clock), settings.OPERATOR_NOTIFY_EMAIL);
  const baseUrls = { sandbox: emulator.urls.sandbox, production: emulator.urls.production };

  const container = (): TokenDeps => ({
    clock,
    newId: () => randomUUID(),
    // Fake time: advance the clock. The short real pause keeps fake time from racing far ahead of the
    // real I/O a lease holder waits for (a poller would otherwise see a 90 s lease end in well under a
    // second of real time, and take over a refresh that is still running).
    sleep: async (ms) => {
      clock.advance(ms);
      await new Promise(setImmediate);
      await realSleep(Math.min(ms, 5));
    },
    accounts,
    vault: new TokenVault(new SecretStore(clients.secrets, clock, options.cacheMs), secretName),
    pinterest: new PinterestClient({ baseUrls, timeoutMs: options.timeoutMs }),
    appCredentials: () => Promise.resolve({ clientId: emulator.app.clientId, clientSecret: emulator.app.clientSecret }),
    securityLog: {
      write: (event) => {
        events.push(event);
        return Promise.resolve();
      },
    },
    notifier: mail,
    settings: {
      refreshAccessDays: settings.REFRESH_ACCESS_DAYS,
      refreshWarnDays: settings.REFRESH_WARN_DAYS,
      leaseMs: tokenLeaseSeconds * 1000,
      pollMs: 250,
      failingNoticeAfterMs: 24 * 3_600_000,
      disconnectedRetentionDays: settings.RETENTION_DISCONNECTED_ACCOUNT_DAYS,
      publicBaseUrl: settings.PUBLIC_BASE_URL,
    },
  });
  const api = container();
  const schedule = container();
  const uncached = new TokenVault(new SecretStore(clients.secrets, clock, 0), secretName);

  return {
    clock,
    emulator,
    operator,
    api,
    schedule,
    events,
    account: () => accounts.get('sandbox'),
    secret: (name) => uncached.read(name, { bypassCache: true }),
    emulatorTokens: () => {
      type Tokens = Record<string, { userId: string; expiresMs: number }>;
      const state = JSON.parse(readFileSync(dataFile, 'utf8')) as { environments: { sandbox: { refreshTokens: Tokens; accessTokens: Tokens } } };
      const now = clock.now().getTime();
      const live = (tokens: Tokens) =>
        Object.entries(tokens)
          .filter(([, t]) => t.userId === MIRA && t.expiresMs > now)
          .map(([hash]) => hash);
      return { refresh: live(state.environments.sandbox.refreshTokens), access: live(state.environments.sandbox.accessTokens) };
    },
    mails: async () => {
      const store = (await (await fetch(`${names.sesUrl}/store`)).json()) as { emails: StoredMail[] };
      return store.emails.filter((m) => m.destination.to.includes(operator));
    },
    connect: async () => {
      const issued = emulator.controls.issueTokens('sandbox', MIRA, SCOPES);
      const now = clock.now();
      const connectionId = randomUUID();
      // The lifetimes of the emulator's tokens (30 and 60 days), as the code exchange reports them.
      const accessTokenExpiresAt = new Date(now.getTime() + ACCESS_TOKEN_TTL_S * 1000).toISOString();
      const refreshTokenExpiresAt = new Date(now.getTime() + REFRESH_TOKEN_TTL_S * 1000).toISOString();
      const name = await api.vault.store('sandbox', MIRA, connectionId, {
        accessToken: issued.accessToken,
        refreshToken: issued.refreshToken,
        tokenVersion: 1,
        accessTokenExpiresAt,
        refreshTokenExpiresAt,
      });
      await accounts.replace(
        {
          environment: 'sandbox',
          status: 'connected',
          accountId: MIRA,
          username: 'miradigitalzen',
          accountType: 'BUSINESS',
          businessName: 'MiraDigitalZen',
          scopes: SCOPES,
          connectionId,
          secretName: name,
          accessTokenExpiresAt,
          refreshTokenExpiresAt,
          tokenVersion: 1,
          connectedAt: now.toISOString(),
          confirmedAt: now.toISOString(),
        },
        undefined,
      );
    },
    close: async () => {
      const account = await accounts.get('sandbox');
      if (account !== undefined) await uncached.delete(account.secretName);
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
