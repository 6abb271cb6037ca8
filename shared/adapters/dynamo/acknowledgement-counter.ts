import { keyedHash } from '../../domain/keyed-hash';
import { epochSeconds, type Clock } from '../../domain/time';
import type { DynamoTable } from './table';

/**
 * How many acknowledgements went to one address on one UTC day, in the state table: one counter per
 * address and day, keyed by a keyed hash of the address (never the address itself), gone an hour
 * after its day ends (TTL). One conditional update per count, so two deliveries at once count two.
 */
export class AcknowledgementCounter {
  constructor(
    private readonly table: DynamoTable,
    private readonly clock: Clock,
    private readonly hashingKey: () => Promise<Buffer>,
  ) {}

  /** Counts one more acknowledgement to `address` today; answers today's count including it. */
  async count(address: string): Promise<number> {
    const now = this.clock.now();
    const day = now.toISOString().slice(0, 10);
    const dayEnds = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    const who = keyedHash(await this.hashingKey(), 'mail-recipient', address.trim().toLowerCase());
    return this.table.increment({ pk: `ACK#${who}`, sk: day }, 'count', 1, epochSeconds(new Date(dayEnds)) + 3600);
  }
}
