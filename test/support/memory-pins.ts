import { createHash } from 'node:crypto';
import { StaleRecordError } from '../../shared/adapters/dynamo/table';
import type { AccountRecord } from '../../shared/domain/account';
import type { BoardRecord, SectionsRecord } from '../../shared/domain/boards';
import { NotFoundError, ValidationError } from '../../shared/domain/errors';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { mediaKey, pinRecordSchema, type BoardState, type ImageContentType, type PinRecord, type PinStatus } from '../../shared/domain/pins';
import type { BoardLookupPort, MediaPort, PinDeps, PinStorePort } from '../../shared/use-cases/pin-ports';
import { FakeClock } from './fake-clock';
import { accountRecord } from './memory-ports';
import { MemoryAccounts, io } from './memory-stores';

/**
 * The Pin drafts' ports in memory (PinDeps), with the rules of the real adapters:
 * - MemoryPinStore as shared/adapters/dynamo/pin-store.ts: `create` only on a free id, `replace` and
 *   `remove` conditional on the status and version read (a StaleRecordError, a ConflictError carrying
 *   the status now, when they moved), listing by environment and status, newest change first, paged;
 * - MemoryMedia as shared/adapters/media-store.ts: a reference set per (environment, account, SHA-256)
 *   of the references records took (`<pinId>:<id>`, one per setting of an image, kept in the record's
 *   `media.ref`); holding takes the reference and then writes the bytes, sharing (a copy) takes it and
 *   then looks for the bytes (letting it go again when they are gone), releasing drops it and deletes
 *   the bytes with the last one;
 * - MemoryPinBoards as BoardStore's `getBoard`, `getSections` and `presence`.
 * Every call completes asynchronously (and may be told to yield more), so concurrent use cases interleave.
 */

/** How many extra turns a port call waits before it runs: 0 by default; a race test scatters them. */
export type Jitter = () => number;

async function yieldTurns(jitter: Jitter | undefined): Promise<void> {
  const turns = jitter === undefined ? 0 : jitter();
  for (let i = 0; i < turns; i += 1) await io(() => undefined);
}

/** A small seeded generator (mulberry32) in [0, 1): random interleavings that repeat. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Failures scripted for the next calls of some operations: each is used once, in order. */
class ScriptedFailures<Op extends string> {
  private readonly pending: Array<{ op: Op; error: Error }> = [];

  add(op: Op, error: Error): void {
    this.pending.push({ op, error });
  }

  /** Throws the first failure scripted for `op`, if any (and forgets it). */
  check(op: Op): void {
    const index = this.pending.findIndex((failure) => failure.op === op);
    if (index < 0) return;
    const [failure] = this.pending.splice(index, 1);
    if (failure !== undefined) throw failure.error;
  }
}

/** The item as DynamoDB keeps it: no undefined attributes (removeUndefinedValues), read back through the schema. */
function stored(record: PinRecord): PinRecord {
  return pinRecordSchema.parse(JSON.parse(JSON.stringify(record)));
}

/* ------------------------------------------------------------------------------------------------
 * Pin records
 * ---------------------------------------------------------------------------------------------- */

export type PinStoreOp = 'create' | 'get' | 'replace' | 'remove' | 'list';

/** The `byStatus` index key of a record: its status partition and `updatedAt#pinId` (newest first). */
const statusKey = (env: PinterestEnvironment, status: string) => `PIN#${env}#${status}`;
const statusTime = (record: PinRecord) => `${record.updatedAt}#${record.pinId}`;

const invalidCursor = () => new ValidationError('The cursor is not valid for this listing', [{ path: 'query.cursor', message: 'invalid' }]);

export class MemoryPinStore implements PinStorePort {
  private readonly records = new Map<string, PinRecord>();
  private readonly failures = new ScriptedFailures<PinStoreOp>();
  /** Every write that succeeded, in order. */
  readonly writes: Array<{ op: 'create' | 'replace' | 'remove'; pinId: string; version: number }> = [];

  constructor(private readonly jitter?: Jitter) {}

  /** The next call of `op` fails with `error` before it reads or writes anything (DynamoDB unreachable, say). */
  failNext(op: PinStoreOp, error: Error = new Error('simulated DynamoDB failure')): void {
    this.failures.add(op, error);
  }

  /** Puts a record in place as earlier requests (or a later feature, such as publishing) would have left it. */
  seed(record: PinRecord): void {
    this.records.set(record.pinId, stored(record));
  }

  /** The stored record (a copy), for assertions. */
  record(pinId: string): PinRecord | undefined {
    const record = this.records.get(pinId);
    return record === undefined ? undefined : structuredClone(record);
  }

  /** Every stored record (copies), by id. */
  all(): PinRecord[] {
    return [...this.records.keys()].sort().map((pinId) => structuredClone(this.records.get(pinId) as PinRecord));
  }

  async create(record: PinRecord): Promise<void> {
    await yieldTurns(this.jitter);
    return io(() => {
      this.failures.check('create');
      if (this.records.has(record.pinId)) throw new StaleRecordError('The record already exists');
      this.records.set(record.pinId, stored(record));
      this.writes.push({ op: 'create', pinId: record.pinId, version: record.version });
    });
  }

  async get(pinId: string): Promise<PinRecord | undefined> {
    await yieldTurns(this.jitter);
    return io(() => {
      this.failures.check('get');
      return this.record(pinId);
    });
  }

  async replace(current: PinRecord, next: PinRecord): Promise<PinRecord> {
    if (next.version !== current.version + 1) throw new Error('a replacement must be the next version');
    await yieldTurns(this.jitter);
    return io(() => {
      this.failures.check('replace');
      const now = this.records.get(current.pinId);
      if (now === undefined) throw new StaleRecordError('The record does not exist or has expired', undefined);
      if (now.version !== current.version || now.status !== current.status) throw new StaleRecordError('The record changed since it was read', now.status);
      // The whole record is replaced: an attribute `next` lacks is removed.
      const written = stored({ ...next, pinId: current.pinId });
      this.records.set(current.pinId, written);
      this.writes.push({ op: 'replace', pinId: current.pinId, version: written.version });
      return structuredClone(written);
    });
  }

  async remove(current: PinRecord): Promise<void> {
    await yieldTurns(this.jitter);
    return io(() => {
      this.failures.check('remove');
      const now = this.records.get(current.pinId);
      if (now === undefined) throw new NotFoundError(`No Pin record ${current.pinId}`);
      if (now.version !== current.version || now.status !== current.status) throw new StaleRecordError('The record changed since it was read', now.status);
      this.records.delete(current.pinId);
      this.writes.push({ op: 'remove', pinId: current.pinId, version: current.version });
    });
  }

  /**
   * As a query of the `byStatus` index: the partition `PIN#<env>#<status>` newest `updatedAt#pinId`
   * first, `limit` items, and a cursor (the last key) after a page that hit its limit, even when
   * nothing follows, as DynamoDB does.
   */
  async list(env: PinterestEnvironment, status: PinStatus, options: { limit: number; cursor?: string; oldestFirst?: boolean }): Promise<{ items: PinRecord[]; cursor?: string }> {
    await yieldTurns(this.jitter);
    return io(() => {
      this.failures.check('list');
      const partition = statusKey(env, status);
      let after: string | undefined;
      if (options.cursor !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.from(options.cursor, 'base64url').toString('utf8'));
        } catch {
          throw invalidCursor();
        }
        const key = parsed as { statusKey?: unknown; statusTime?: unknown } | null;
        if (key === null || typeof key !== 'object' || key.statusKey !== partition || typeof key.statusTime !== 'string') throw invalidCursor();
        after = key.statusTime;
      }
      const items = [...this.records.values()]
        .filter((record) => statusKey(record.environment, record.status) === partition)
        .sort((a, b) => (options.oldestFirst === true ? -1 : 1) * (statusTime(a) < statusTime(b) ? 1 : statusTime(a) > statusTime(b) ? -1 : 0))
        .filter((record) => after === undefined || (options.oldestFirst === true ? statusTime(record) > after : statusTime(record) < after))
        .slice(0, options.limit)
        .map((record) => structuredClone(record));
      const last = items.at(-1);
      if (items.length < options.limit || last === undefined) return { items };
      return { items, cursor: Buffer.from(JSON.stringify({ statusKey: partition, statusTime: statusTime(last) }), 'utf8').toString('base64url') };
    });
  }
}

/* ------------------------------------------------------------------------------------------------
 * Image bytes
 * ---------------------------------------------------------------------------------------------- */

export type MediaOp = 'hold' | 'share' | 'release' | 'read';

const refId = (env: PinterestEnvironment, accountId: string, sha256: string) => `${env}#${accountId}#${sha256}`;

/** The Pin id a reference belongs to: references are `<pinId>:<unique id>`, one per setting of an image. */
export function holderOf(ref: string): string {
  const at = ref.indexOf(':');
  if (at <= 0 || at === ref.length - 1) throw new Error(`not a media reference (<pinId>:<id>): ${ref}`);
  return ref.slice(0, at);
}

/**
 * The reference sets live records imply, in the shape of MemoryMedia.allRefs: each stored image's
 * `env#account#sha256` → the sorted `media.ref` of the records holding it (a record holds its own
 * reference and no other, so the real sets must be exactly these).
 */
export function refsHeldBy(records: readonly PinRecord[]): Record<string, string[]> {
  const sets = new Map<string, string[]>();
  for (const record of records) {
    const media = record.content.media;
    if (media.kind !== 'stored') continue;
    const id = refId(record.environment, record.accountId, media.sha256);
    sets.set(id, [...(sets.get(id) ?? []), media.ref]);
  }
  return Object.fromEntries([...sets.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, refs]) => [id, refs.sort()]));
}

export class MemoryMedia implements MediaPort {
  /** Reference sets by `env#account#sha256`, each a set of `<pinId>:<id>` references (an empty set is never kept). */
  private readonly refs = new Map<string, Set<string>>();
  /** The data bucket: object key → bytes and type. */
  private readonly objects = new Map<string, { body: Buffer; contentType: string }>();
  private readonly failures = new ScriptedFailures<MediaOp>();
  /** Every hold, share and release that completed, in order (`share` with whether the bytes were there). */
  readonly calls: Array<{ op: 'hold' | 'share' | 'release'; env: PinterestEnvironment; accountId: string; ref: string; sha256: string; present?: boolean }> = [];

  constructor(private readonly jitter?: Jitter) {}

  failNext(op: MediaOp, error: Error = new Error('simulated media failure')): void {
    this.failures.add(op, error);
  }

  /** Keys of the objects in the data bucket, sorted. */
  objectKeys(): string[] {
    return [...this.objects.keys()].sort();
  }

  /** The references to an image (`<pinId>:<id>`), sorted. */
  refsOf(env: PinterestEnvironment, accountId: string, sha256: string): string[] {
    return [...(this.refs.get(refId(env, accountId, sha256)) ?? [])].sort();
  }

  /** The Pin ids holding an image, one per reference (a Pin id twice is a reference leaked), sorted. */
  holdersOf(env: PinterestEnvironment, accountId: string, sha256: string): string[] {
    return this.refsOf(env, accountId, sha256).map(holderOf).sort();
  }

  /** Every reference set, as `env#account#sha256` → sorted references. */
  allRefs(): Record<string, string[]> {
    return Object.fromEntries([...this.refs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, refs]) => [id, [...refs].sort()]));
  }

  /** The stored bytes under `key` (a copy), for assertions. */
  bytesOf(key: string): Buffer | undefined {
    const object = this.objects.get(key);
    return object === undefined ? undefined : Buffer.from(object.body);
  }

  /** Adds `ref` to the image's reference set (as the real store's conditional ADD). */
  private reference(env: PinterestEnvironment, accountId: string, ref: string, sha256: string): void {
    holderOf(ref); // a malformed reference is a bug of the caller
    const id = refId(env, accountId, sha256);
    const refs = this.refs.get(id) ?? new Set<string>();
    refs.add(ref);
    this.refs.set(id, refs);
  }

  /** Takes the reference first, then writes the bytes (content-addressed: writing them again is harmless). */
  async hold(env: PinterestEnvironment, accountId: string, ref: string, image: { bytes: Buffer; sha256: string; contentType: ImageContentType }): Promise<string> {
    if (createHash('sha256').update(image.bytes).digest('hex') !== image.sha256) throw new Error('hold: the sha256 given is not the SHA-256 of the bytes');
    await yieldTurns(this.jitter);
    await io(() => {
      this.failures.check('hold');
      this.reference(env, accountId, ref, image.sha256);
    });
    await yieldTurns(this.jitter);
    const key = mediaKey(env, accountId, image.sha256);
    await io(() => {
      this.objects.set(key, { body: Buffer.from(image.bytes), contentType: image.contentType });
    });
    this.calls.push({ op: 'hold', env, accountId, ref, sha256: image.sha256 });
    return key;
  }

  /**
   * Takes the reference `ref` to bytes already stored (a copy of a record), as the real store: the
   * reference first, then a look at the bytes; when they are gone the reference is let go again.
   */
  async share(env: PinterestEnvironment, accountId: string, ref: string, sha256: string): Promise<boolean> {
    await yieldTurns(this.jitter);
    await io(() => {
      this.failures.check('share');
      this.reference(env, accountId, ref, sha256);
    });
    await yieldTurns(this.jitter);
    const present = await io(() => this.objects.has(mediaKey(env, accountId, sha256)));
    this.calls.push({ op: 'share', env, accountId, ref, sha256, present });
    if (present) return true;
    await this.release(env, accountId, ref, sha256);
    return false;
  }

  /** Drops the reference `ref`; the bytes go with the last reference (a missing reference item is not an error). */
  async release(env: PinterestEnvironment, accountId: string, ref: string, sha256: string): Promise<void> {
    await yieldTurns(this.jitter);
    await io(() => {
      this.failures.check('release');
      const id = refId(env, accountId, sha256);
      const refs = this.refs.get(id);
      refs?.delete(ref);
      if (refs !== undefined && refs.size > 0) return;
      this.refs.delete(id);
      this.objects.delete(mediaKey(env, accountId, sha256));
    });
    this.calls.push({ op: 'release', env, accountId, ref, sha256 });
  }

  async read(key: string): Promise<{ body: Buffer; contentType: string | undefined } | undefined> {
    await yieldTurns(this.jitter);
    return io(() => {
      this.failures.check('read');
      const object = this.objects.get(key);
      return object === undefined ? undefined : { body: Buffer.from(object.body), contentType: object.contentType };
    });
  }
}

/* ------------------------------------------------------------------------------------------------
 * The board snapshot
 * ---------------------------------------------------------------------------------------------- */

export class MemoryPinBoards implements BoardLookupPort {
  private readonly boards = new Map<string, BoardRecord>();
  private readonly sections = new Map<string, SectionsRecord>();
  /** Environments with a complete sync (a snapshot record). */
  private readonly synced = new Set<PinterestEnvironment>();

  constructor(private readonly clock: FakeClock) {}

  /** A board in the snapshot, as a sync or creation leaves it. */
  seedBoard(env: PinterestEnvironment, boardId: string, options: { group?: boolean; name?: string } = {}): BoardRecord {
    const record: BoardRecord = { environment: env, boardId, name: options.name ?? `Board ${boardId}`, group: options.group ?? false, syncedAt: this.clock.now().toISOString() };
    this.boards.set(`${env}#${boardId}`, record);
    return record;
  }

  /** A board's cached sections, as GET /boards/{id}/sections leaves them. */
  seedSections(env: PinterestEnvironment, boardId: string, sections: ReadonlyArray<{ id: string; name?: string }>): void {
    this.sections.set(`${env}#${boardId}`, { boardId, sections: sections.map((section) => ({ id: section.id, name: section.name ?? `Section ${section.id}` })), fetchedAt: this.clock.now().toISOString() });
  }

  /** A complete sync happened (the snapshot record exists): an absent board is then `missing`. */
  markSynced(env: PinterestEnvironment): void {
    this.synced.add(env);
  }

  /** A complete sync that no longer found the board: it and its cached sections go. */
  removeBoard(env: PinterestEnvironment, boardId: string): void {
    this.boards.delete(`${env}#${boardId}`);
    this.sections.delete(`${env}#${boardId}`);
    this.synced.add(env);
  }

  getBoard(env: PinterestEnvironment, boardId: string): Promise<BoardRecord | undefined> {
    return io(() => {
      const record = this.boards.get(`${env}#${boardId}`);
      return record === undefined ? undefined : structuredClone(record);
    });
  }

  getSections(env: PinterestEnvironment, boardId: string): Promise<SectionsRecord | undefined> {
    return io(() => {
      const record = this.sections.get(`${env}#${boardId}`);
      return record === undefined ? undefined : structuredClone(record);
    });
  }

  /** As BoardStore.presence: present, or missing after a complete sync, or not_synced before one. */
  async presence(env: PinterestEnvironment, boardId: string): Promise<BoardState> {
    const [board, synced] = await Promise.all([this.getBoard(env, boardId), io(() => this.synced.has(env))]);
    if (board !== undefined) return 'present';
    return synced ? 'missing' : 'not_synced';
  }
}

/* ------------------------------------------------------------------------------------------------
 * Wiring
 * ---------------------------------------------------------------------------------------------- */

/** The connected accounts the standard scene seeds. */
export const PIN_ACCOUNTS = { sandbox: '1000000000000000001', production: '2000000000000000002' } as const satisfies Record<PinterestEnvironment, string>;

/**
 * The standard scene's boards, in each environment: PLAIN with two cached sections, OTHER with one,
 * UNCACHED whose sections were never read, GROUP a group board (with a cached section).
 */
export const BOARDS = { PLAIN: '1001', OTHER: '1002', UNCACHED: '1003', GROUP: '1004', UNKNOWN: '1999' } as const;
export const SECTIONS = { PLAIN_1: '5011', PLAIN_2: '5012', OTHER_1: '5021', GROUP_1: '5041' } as const;

/**
 * Deterministic ids: `pin-0001`, `pin-0002`, … (sortable). The use cases take one for each new record
 * and one for each media reference (`<pinId>:<id>`), so a draft created with stored bytes takes two:
 * `pin-0001` and the reference `pin-0001:pin-0002`.
 */
export class PinIds {
  private count = 0;

  readonly newId = (): string => {
    this.count += 1;
    return PinIds.nth(this.count);
  };

  /** How many ids were handed out. */
  get issued(): number {
    return this.count;
  }

  /** The `n`th id handed out (from 1). */
  static nth(n: number): string {
    return `pin-${String(n).padStart(4, '0')}`;
  }
}

export interface PinState {
  clock: FakeClock;
  pins: MemoryPinStore;
  media: MemoryMedia;
  boards: MemoryPinBoards;
  accounts: MemoryAccounts;
  ids: PinIds;
}

export interface MemoryPinOptions {
  /** Seed connected accounts and the standard boards in both environments (default true). */
  scene?: boolean;
  /** Extra turns each store and media call waits: a race test's interleavings. */
  jitter?: Jitter;
}

/** A connected account of `env`, as a finished connection leaves it. */
export function connectedAccount(env: PinterestEnvironment, changes: Partial<AccountRecord> = {}): AccountRecord {
  const accountId = PIN_ACCOUNTS[env];
  return accountRecord({ environment: env, status: 'connected', accountId, secretName: `tokens/${env}/${accountId}/connection-0`, confirmedAt: '2026-02-28T09:05:00.000Z', ...changes });
}

/** The standard scene: an account and the boards of BOARDS in both environments (complete syncs done). */
export function seedScene(state: PinState): void {
  for (const env of ['sandbox', 'production'] as const) {
    state.accounts.seed(connectedAccount(env));
    state.boards.seedBoard(env, BOARDS.PLAIN);
    state.boards.seedSections(env, BOARDS.PLAIN, [{ id: SECTIONS.PLAIN_1 }, { id: SECTIONS.PLAIN_2 }]);
    state.boards.seedBoard(env, BOARDS.OTHER);
    state.boards.seedSections(env, BOARDS.OTHER, [{ id: SECTIONS.OTHER_1 }]);
    state.boards.seedBoard(env, BOARDS.UNCACHED);
    state.boards.seedBoard(env, BOARDS.GROUP, { group: true });
    state.boards.seedSections(env, BOARDS.GROUP, [{ id: SECTIONS.GROUP_1 }]);
    state.boards.markSynced(env);
  }
}

/** PinDeps wired to fresh in-memory ports (the clock at 2026-03-01T09:00Z). */
export function memoryPinDeps(options: MemoryPinOptions = {}): { deps: PinDeps; state: PinState } {
  const clock = new FakeClock('2026-03-01T09:00:00.000Z');
  const state: PinState = {
    clock,
    pins: new MemoryPinStore(options.jitter),
    media: new MemoryMedia(options.jitter),
    boards: new MemoryPinBoards(clock),
    accounts: new MemoryAccounts(),
    ids: new PinIds(),
  };
  if (options.scene !== false) seedScene(state);
  const deps: PinDeps = { clock, newId: state.ids.newId, pins: state.pins, media: state.media, boards: state.boards, accounts: state.accounts };
  return { deps, state };
}

/* ------------------------------------------------------------------------------------------------
 * Images
 * ---------------------------------------------------------------------------------------------- */

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Bytes that sniff as a PNG (or a JPEG), distinct per `seed`. */
export function imageBytes(seed: string, type: ImageContentType = 'image/png'): Buffer {
  const head = type === 'image/png' ? PNG_SIGNATURE : [0xff, 0xd8, 0xff, 0xe0];
  return Buffer.concat([Buffer.from(head), Buffer.from(`image:${seed}`, 'utf8')]);
}

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
