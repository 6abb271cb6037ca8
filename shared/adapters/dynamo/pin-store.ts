import { pinRecordSchema, type PinRecord, type PinStatus } from '../../domain/pins';
import type { PinterestEnvironment } from '../../domain/pinterest';
import { NotFoundError } from '../../domain/errors';
import * as z from '../../zod';
import { pinStatusKey } from './environment-records';
import { StaleRecordError, type DynamoTable } from './table';

/**
 * Pin records in the workflow table: `PIN#<id>` / `PIN`, one item each, listed through the `byStatus`
 * index (`PIN#<env>#<status>`, newest change first) and found for privacy requests through `bySubject`
 * (the Pinterest account). Every change replaces the record in one conditional write on the status and
 * version it was read at. No TTL: Pin records are kept until deleted (DESIGN.md "Data and retention").
 */

const key = (pinId: string) => ({ pk: `PIN#${pinId}`, sk: 'PIN' });

/** The index attributes of a record: its status partition and time, and its subject. */
function indexed(record: PinRecord) {
  return {
    statusKey: pinStatusKey(record.environment, record.status),
    statusTime: `${record.updatedAt}#${record.pinId}`,
    subjectKey: `SUBJECT#${record.accountId}`,
    subjectTime: `${record.createdAt}#PIN#${record.pinId}`,
  };
}

/** Keys and index attributes are dropped by the schema (an object schema keeps only its own fields). */
const storedSchema = pinRecordSchema;

export class PinStore {
  constructor(private readonly table: DynamoTable) {}

  async create(record: PinRecord): Promise<void> {
    await this.table.create({ ...key(record.pinId), ...record, ...indexed(record) });
  }

  async get(pinId: string): Promise<PinRecord | undefined> {
    return this.table.get(key(pinId), storedSchema);
  }

  async replace(current: PinRecord, next: PinRecord): Promise<PinRecord> {
    if (next.version !== current.version + 1) throw new Error('a replacement must be the next version');
    // Every attribute of the record is set; one it no longer has is removed (undefined).
    const set: Record<string, unknown> = { ...next, ...indexed(next) };
    for (const name of Object.keys(current)) if (!(name in next)) set[name] = undefined;
    delete set.version;
    return this.table.transition(key(current.pinId), { version: current.version, status: [current.status] }, set, storedSchema);
  }

  async remove(current: PinRecord): Promise<void> {
    const removed = await this.table.consume(key(current.pinId), z.unknown(), { version: current.version, status: current.status });
    if (removed !== undefined) return;
    const now = await this.get(current.pinId);
    if (now === undefined) throw new NotFoundError(`No Pin record ${current.pinId}`);
    throw new StaleRecordError('The record changed since it was read', now.status);
  }

  async list(env: PinterestEnvironment, status: PinStatus, options: { limit: number; cursor?: string; oldestFirst?: boolean }): Promise<{ items: PinRecord[]; cursor?: string }> {
    return this.table.query(
      {
        index: 'byStatus',
        partition: { name: 'statusKey', value: pinStatusKey(env, status) },
        limit: options.limit,
        newestFirst: options.oldestFirst !== true,
        ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      },
      storedSchema,
    );
  }
}
