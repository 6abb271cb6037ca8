import type { PinterestEnvironment } from '../../domain/pinterest';
import * as z from '../../zod';
import type { DynamoTable } from './table';

/**
 * Keys of the records that belong to one environment and that a disconnect must look at: the synced
 * boards and sections (one partition per environment, so a disconnect removes them by key prefix),
 * and Pin records by status (the workflow table's `byStatus` index, `PIN#<env>#<status>`).
 */

export const boardsPartition = (env: PinterestEnvironment) => `BOARDS#${env}`;
export const pinStatusKey = (env: PinterestEnvironment, status: string) => `PIN#${env}#${status}`;

const keySchema = z.looseObject({ pk: z.string(), sk: z.string() });

export class EnvironmentRecords {
  constructor(private readonly table: DynamoTable) {}

  /** Whether any Pin record of the environment is in `status` (one item read from the index). */
  async anyWithStatus(env: PinterestEnvironment, status: string): Promise<boolean> {
    const page = await this.table.query({ index: 'byStatus', partition: { name: 'statusKey', value: pinStatusKey(env, status) }, limit: 1 }, keySchema);
    return page.items.length > 0;
  }

  /** Deletes every board and section record of the environment; answers how many went. */
  async removeBoards(env: PinterestEnvironment): Promise<number> {
    let removed = 0;
    let cursor: string | undefined;
    do {
      const page = await this.table.query({ partition: { name: 'pk', value: boardsPartition(env) }, limit: 100, ...(cursor === undefined ? {} : { cursor }) }, keySchema);
      for (const item of page.items) {
        if ((await this.table.consume({ pk: item.pk, sk: item.sk }, keySchema)) !== undefined) removed += 1;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return removed;
  }
}
