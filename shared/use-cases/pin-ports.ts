import type { AccountRecord } from '../domain/account';
import type { BoardRecord, SectionsRecord } from '../domain/boards';
import type { PinterestEnvironment } from '../domain/pinterest';
import type { BoardState, ImageContentType, PinRecord, PinStatus } from '../domain/pins';
import type { Clock } from '../domain/time';

/** The ports the Pin drafts and their review work through. */

export interface PinStorePort {
  /** Writes a new record; a ConflictError when the id is taken. */
  create(record: PinRecord): Promise<void>;
  get(pinId: string): Promise<PinRecord | undefined>;
  /**
   * Replaces `current` by `next` in one conditional write on the status and version read; `next.version`
   * must be `current.version + 1`. Losing is a ConflictError carrying the status now.
   */
  replace(current: PinRecord, next: PinRecord): Promise<PinRecord>;
  /** Deletes the record if it is still at `current`'s status and version; a ConflictError otherwise. */
  remove(current: PinRecord): Promise<void>;
  /** One environment's records of one status, newest change first (or oldest first). */
  list(env: PinterestEnvironment, status: PinStatus, options: { limit: number; cursor?: string; oldestFirst?: boolean }): Promise<{ items: PinRecord[]; cursor?: string }>;
}

/**
 * Image bytes in the data bucket under the account's prefix by SHA-256, shared by every record that
 * holds the same image: each record takes a reference before the bytes are written and lets go of it
 * when it stops holding them; the bytes go with the last reference.
 */
export interface MediaPort {
  /**
   * Takes the reference `ref` (a record's own, unique per setting of the image) and stores the bytes;
   * answers the object key.
   */
  hold(env: PinterestEnvironment, accountId: string, ref: string, image: { bytes: Buffer; sha256: string; contentType: ImageContentType }): Promise<string>;
  /** Takes the reference `ref` to bytes already stored (a copy); false when they are gone (the reference is not kept). */
  share(env: PinterestEnvironment, accountId: string, ref: string, sha256: string): Promise<boolean>;
  /** Lets go of the reference `ref`; removes the bytes when no reference is left. */
  release(env: PinterestEnvironment, accountId: string, ref: string, sha256: string): Promise<void>;
  /** The stored bytes, or undefined when they are gone. */
  read(key: string): Promise<{ body: Buffer; contentType: string | undefined } | undefined>;
}

/** What drafts read of the board snapshot (BoardStore). */
export interface BoardLookupPort {
  getBoard(env: PinterestEnvironment, boardId: string): Promise<BoardRecord | undefined>;
  getSections(env: PinterestEnvironment, boardId: string): Promise<SectionsRecord | undefined>;
  presence(env: PinterestEnvironment, boardId: string): Promise<BoardState>;
}

export interface PinDeps {
  clock: Clock;
  newId: () => string;
  pins: PinStorePort;
  media: MediaPort;
  boards: BoardLookupPort;
  accounts: { get(env: PinterestEnvironment): Promise<AccountRecord | undefined> };
}
