import * as z from '../../zod';
import type { PinterestEnvironment } from '../../domain/pinterest';
import type { PinHoldersPort } from '../../use-cases/publish-ports';
import { StaleRecordError, type DynamoTable } from './table';

/**
 * Which record holds each Pinterest Pin, in the workflow table (`PINTEREST_PIN#<env>#<id>` / `HOLDER`):
 * created with a condition on the key being free, so exactly one record can ever hold a Pin. Kept as
 * long as the record (no TTL).
 */

const key = (env: PinterestEnvironment, pinterestPinId: string) => ({ pk: `PINTEREST_PIN#${env}#${pinterestPinId}`, sk: 'HOLDER' });
const holderSchema = z.object({ pinId: z.string() });

export class PinHolders implements PinHoldersPort {
  constructor(private readonly table: DynamoTable) {}

  async claim(env: PinterestEnvironment, pinterestPinId: string, pinId: string): Promise<string> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.table.create({ ...key(env, pinterestPinId), pinId, environment: env, pinterestPinId });
        return pinId;
      } catch (error) {
        if (!(error instanceof StaleRecordError)) throw error;
        const holder = await this.holderOf(env, pinterestPinId);
        if (holder !== undefined) return holder;
        // Released between the two requests: claim again rather than answer without an item.
        if (attempt >= 2) throw error;
      }
    }
  }

  async release(env: PinterestEnvironment, pinterestPinId: string, pinId: string): Promise<void> {
    await this.table.consume(key(env, pinterestPinId), z.unknown(), { pinId });
  }

  async holderOf(env: PinterestEnvironment, pinterestPinId: string): Promise<string | undefined> {
    return (await this.table.get(key(env, pinterestPinId), holderSchema))?.pinId;
  }
}
