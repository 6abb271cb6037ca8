import * as z from '../../zod';
import type { DynamoTable } from './table';

/** An item as stored: its keys and whatever else it holds. */
export type StoredItem = { pk: string; sk: string } & Record<string, unknown>;

const storedItem = z.looseObject({ pk: z.string(), sk: z.string() });

/**
 * The workflow table's `bySubject` index: every item written about one Pinterest account
 * (`SUBJECT#<account id>`: the connected account per environment, the Pin records), for privacy
 * requests. Expired items are left out, as on every read path.
 */
export class SubjectIndex {
  constructor(private readonly table: DynamoTable) {}

  /** Every item about the account, oldest first, all pages (`includeExpired`: also those past their expiry, to erase them). */
  async ofAccount(accountId: string, options: { includeExpired?: boolean } = {}): Promise<StoredItem[]> {
    return this.table.queryAll(
      { index: 'bySubject', partition: { name: 'subjectKey', value: `SUBJECT#${accountId}` }, newestFirst: false, limit: 100, includeExpired: options.includeExpired === true },
      storedItem,
    );
  }
}
