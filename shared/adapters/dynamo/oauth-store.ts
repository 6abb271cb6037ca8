import { stateRecordSchema, ticketRecordSchema, type StateRecord, type TicketRecord } from '../../domain/oauth';
import type { ConsumedState } from '../../use-cases/connect-ports';
import type { DynamoTable } from './table';

/**
 * One-time OAuth tickets and states in the state table, keyed by their keyed hashes (the values
 * themselves are never stored). Each is consumed by one conditional delete that also checks expiry
 * (and, for a state, the browser's nonce hash), so a reused, unknown or expired one reads as absent,
 * and two concurrent callers cannot both win.
 */

const ticketKey = (hash: string) => ({ pk: `OAUTH_TICKET#${hash}`, sk: 'TICKET' });
const stateKey = (hash: string) => ({ pk: `OAUTH_STATE#${hash}`, sk: 'STATE' });

export class OAuthStore {
  constructor(private readonly table: DynamoTable) {}

  async putTicket(ticketHash: string, record: TicketRecord): Promise<void> {
    await this.table.create({ ...ticketKey(ticketHash), ...record });
  }

  async consumeTicket(ticketHash: string): Promise<TicketRecord | undefined> {
    return this.table.consume(ticketKey(ticketHash), ticketRecordSchema);
  }

  async putState(stateHash: string, record: StateRecord): Promise<void> {
    await this.table.create({ ...stateKey(stateHash), ...record });
  }

  async consumeState(stateHash: string, nonceHash: string | undefined): Promise<ConsumedState> {
    const key = stateKey(stateHash);
    const record = nonceHash === undefined ? undefined : await this.table.consume(key, stateRecordSchema, { nonceHash });
    if (record !== undefined) return { kind: 'consumed', record };
    // Refused: tell a state held for another browser (left in place) from one that is not there.
    const live = await this.table.get(key, stateRecordSchema);
    return live === undefined ? { kind: 'unknown' } : { kind: 'wrong_browser', environment: live.environment };
  }
}
