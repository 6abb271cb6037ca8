import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { boardSchema, pinSchema, sectionSchema } from './records';
import { seedWorld } from './seed';
import type { EmulatorUser, PinterestEnvironment } from './types';

/**
 * The emulator's whole state, which is also the persisted file format. Secrets (codes, tokens) are
 * keyed by their SHA-256, as a real server would store them, so the data file holds no usable token.
 *
 * Users and the app are global (one Pinterest account works in both environments), while everything
 * an environment owns lives in its own `World`: sandbox and production never see each other's
 * grants, tokens, boards, sections or Pins. New per-world collections get a `.default(...)` so
 * files written before they existed still load.
 */

const scopes = z.array(z.string());

/** Keyed collections are Maps in memory (no prototype keys, real deletes) and objects in the file. */
function mapOf<T extends z.ZodType>(value: T) {
  return z.record(z.string(), value).transform((record) => new Map(Object.entries(record)));
}

function toJson(_key: string, value: unknown): unknown {
  return value instanceof Map ? Object.fromEntries(value) : value;
}

export const userSchema = z.object({
  id: z.string().regex(/^\d+$/, 'must be a numeric string'),
  username: z.string().min(1),
  accountType: z.enum(['PINNER', 'BUSINESS']),
  businessName: z.string().nullable().optional(),
  about: z.string().optional(),
  websiteUrl: z.string().optional(),
  profileImage: z.string().optional(),
}) satisfies z.ZodType<EmulatorUser>;

const appSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  redirectUris: z.array(z.string()),
  tier: z.enum(['trial', 'standard']),
});

/** An authorization code, bound to everything the exchange must match. */
const codeSchema = z.object({
  clientId: z.string(),
  redirectUri: z.string(),
  userId: z.string(),
  scopes,
  expiresMs: z.number(),
});

/** A consent page waiting for Allow/Deny; the form carries only its id. */
const pendingSchema = z.object({
  clientId: z.string(),
  redirectUri: z.string(),
  userId: z.string(),
  scopes,
  state: z.string().optional(),
  expiresMs: z.number(),
});

/** What a user has granted an app in one environment (scopes accumulate across consents). */
const grantSchema = z.object({ clientId: z.string(), userId: z.string(), scopes });

const tokenSchema = z.object({ clientId: z.string(), userId: z.string(), scopes, expiresMs: z.number() });

const worldSchema = z.object({
  grants: mapOf(grantSchema),
  accessTokens: mapOf(tokenSchema),
  refreshTokens: mapOf(tokenSchema),
  // Functions, not values: a default object would be shared by every world that lacks the key.
  boards: mapOf(boardSchema).default(() => new Map()),
  sections: mapOf(sectionSchema).default(() => new Map()),
  pins: mapOf(pinSchema).default(() => new Map()),
  /** The next creation sequence number (see ./records.ts). */
  nextSeq: z.number().int().min(0).default(0),
  /** False in files written before the seed existed: ./initial-state.ts seeds those worlds once. */
  seeded: z.boolean().default(false),
});

const stateSchema = z.object({
  formatVersion: z.literal(1),
  app: appSchema,
  users: z.array(userSchema),
  consentMode: z.enum(['manual', 'approve', 'deny']),
  consentingUserId: z.string(),
  codes: mapOf(codeSchema),
  pending: mapOf(pendingSchema),
  environments: z.object({ sandbox: worldSchema, production: worldSchema }),
});

/** What options may set; checked at start so bad options fail loudly. */
const settingsSchema = stateSchema.pick({ app: true, users: true, consentMode: true, consentingUserId: true });

export type EmulatorState = z.output<typeof stateSchema>;
export type World = z.output<typeof worldSchema>;
export type CodeRecord = z.infer<typeof codeSchema>;
export type PendingConsent = z.infer<typeof pendingSchema>;
export type GrantRecord = z.infer<typeof grantSchema>;
export type TokenRecord = z.infer<typeof tokenSchema>;

/** A new world, with the seed content of its environment (./seed.ts). */
export function emptyWorld(environment: PinterestEnvironment): World {
  const world: World = {
    grants: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    boards: new Map(),
    sections: new Map(),
    pins: new Map(),
    nextSeq: 0,
    seeded: false,
  };
  seedWorld(environment, world);
  return world;
}

/** What users and apps create (as opposed to the settings: app, users, consent). */
export type StateData = Pick<EmulatorState, 'codes' | 'pending' | 'environments'>;

export function emptyData(): StateData {
  return {
    codes: new Map<string, CodeRecord>(),
    pending: new Map<string, PendingConsent>(),
    environments: { sandbox: emptyWorld('sandbox'), production: emptyWorld('production') },
  };
}

function dropExpired(records: Map<string, { expiresMs: number }>, nowMs: number): void {
  for (const [key, record] of records) {
    if (record.expiresMs <= nowMs) records.delete(key);
  }
}

/** Holds the state; `flush` writes the file whenever the state differs from what was last written. */
export class EmulatorStore {
  readonly state: EmulatorState;
  /** Inserted after `pina_`/`pinr` in every token minted from now on (memory only; for leak tests). */
  tokenTag = '';
  private lastWritten: string | undefined;

  /** `prepare` gets the persisted state (if any) and returns the state to run with. */
  constructor(
    private readonly dataFile: string | undefined,
    prepare: (persisted: EmulatorState | undefined) => EmulatorState,
  ) {
    this.state = prepare(dataFile === undefined ? undefined : EmulatorStore.load(dataFile));
    // Catches bad options (a non-numeric user id, an unknown tier) before anything is served.
    const settings = settingsSchema.safeParse(this.state);
    if (!settings.success) throw new Error(`Pinterest emulator: invalid options: ${settings.error.message}`);
    this.flush();
  }

  private static load(dataFile: string): EmulatorState | undefined {
    mkdirSync(dirname(dataFile), { recursive: true });
    if (!existsSync(dataFile)) return undefined;
    const parsed = stateSchema.safeParse(JSON.parse(readFileSync(dataFile, 'utf8')));
    if (!parsed.success) throw new Error(`Pinterest emulator: ${dataFile} is not a valid state file: ${parsed.error.message}`);
    return parsed.data;
  }

  world(environment: PinterestEnvironment): World {
    return this.state.environments[environment];
  }

  user(userId: string): EmulatorUser | undefined {
    return this.state.users.find((u) => u.id === userId);
  }

  /** Lazily forgets expired codes, consents and tokens so the file does not grow without bound. */
  purgeExpired(nowMs: number): void {
    dropExpired(this.state.codes, nowMs);
    dropExpired(this.state.pending, nowMs);
    for (const world of Object.values(this.state.environments)) {
      dropExpired(world.accessTokens, nowMs);
      dropExpired(world.refreshTokens, nowMs);
    }
  }

  /**
   * Forgets everything users and apps did (grants, tokens, codes, consents, boards, Pins) and brings
   * back the seed; keeps users and app.
   */
  resetData(): void {
    Object.assign(this.state, emptyData());
  }

  /**
   * Comparing serialisations instead of tracking dirty flags means no handler can forget to mark a
   * change. With the seed the state is a few hundred kB, so read-only API routes skip this call
   * (see `readOnly` in ./api.ts); a skipped purge of expired tokens is written with the next change.
   */
  flush(): void {
    if (this.dataFile === undefined) return;
    const text = JSON.stringify(this.state, toJson);
    if (text === this.lastWritten) return;
    const temp = `${this.dataFile}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(temp, text, { mode: 0o600 });
    renameSync(temp, this.dataFile);
    this.lastWritten = text;
  }
}
