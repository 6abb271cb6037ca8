import * as z from '../../zod';
import { normalEmail } from '../../domain/mail-rules';
import { ticketSchema, type Ticket } from '../../domain/tickets';
import type { Clock } from '../../domain/time';
import type { TicketsPort } from '../../use-cases/inbound-mail';
import type { DynamoTable } from './table';

/**
 * Support tickets in the workflow table (`TICKET#<reference>` / `TICKET`), listed newest first through
 * the `byStatus` index (`TICKET#<status>`), and the Message-IDs of the mail sent about them
 * (`SENT_MAIL#<Message-ID>` / `SENT`), both kept `retentionDays` (TTL); the ticket of a quarantined
 * message only `quarantineDays`, as its raw copy. Every change is one conditional
 * write on the ticket's version.
 */

const key = (reference: string) => ({ pk: `TICKET#${reference}`, sk: 'TICKET' });
const sentKey = (messageId: string) => ({ pk: `SENT_MAIL#${messageId.trim()}`, sk: 'SENT' });

export class TicketStore implements TicketsPort {
  constructor(
    private readonly table: DynamoTable,
    private readonly clock: Clock,
    private readonly retentionDays: number,
    /** RETENTION_QUARANTINE_DAYS: a quarantined message's ticket goes with its raw copy. */
    private readonly quarantineDays: number = retentionDays,
  ) {}

  private indexed(ticket: Ticket) {
    return { statusKey: `TICKET#${ticket.status}`, statusTime: `${ticket.receivedAt}#${ticket.reference}` };
  }

  async get(reference: string): Promise<Ticket | undefined> {
    return this.table.get(key(reference), ticketSchema);
  }

  async create(ticket: Ticket): Promise<void> {
    const days = ticket.flagged ? this.quarantineDays : this.retentionDays;
    await this.table.create({ ...key(ticket.reference), ...ticket, ...this.indexed(ticket), expiresAt: this.table.ttlIn(days * 86_400) });
  }

  async update(ticket: Ticket, changes: Partial<Ticket>): Promise<Ticket> {
    const next = { ...ticket, ...changes, updatedAt: changes.updatedAt ?? this.clock.now().toISOString() };
    const set: Record<string, unknown> = { ...changes, updatedAt: next.updatedAt, ...this.indexed(next) };
    delete set.version;
    delete set.reference;
    return this.table.transition(key(ticket.reference), { version: ticket.version }, set, ticketSchema);
  }

  /** Tickets of one status, newest received first (the `byStatus` index), paged. */
  async list(status: Ticket['status'], options: { limit: number; cursor?: string; includeExpired?: boolean }): Promise<{ items: Ticket[]; cursor?: string }> {
    return this.table.query(
      {
        index: 'byStatus',
        partition: { name: 'statusKey', value: `TICKET#${status}` },
        limit: options.limit,
        newestFirst: true,
        ...(options.includeExpired === true ? { includeExpired: true } : {}),
        ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      },
      ticketSchema,
    );
  }

  /**
   * Every ticket that names `address` (as envelope sender, From, the acknowledgement's or a reply's
   * recipient), open and closed, expired ones left out: for privacy requests. Reads the two status
   * partitions whole (one operator's support volume), compares plain addresses case-insensitively.
   * `includeExpired`: also tickets past their expiry that DynamoDB has not deleted yet, to erase them.
   */
  async naming(address: string, options: { includeExpired?: boolean } = {}): Promise<Ticket[]> {
    const wanted = normalEmail(address);
    const named = (ticket: Ticket) =>
      [ticket.envelopeFrom, ticket.from?.address, ticket.acknowledgement.to, ...ticket.replies.map((reply) => reply.to)].some((value) => value !== undefined && normalEmail(value) === wanted);
    const found: Ticket[] = [];
    for (const status of ['open', 'closed'] as const) {
      const tickets = await this.table.queryAll(
        { index: 'byStatus', partition: { name: 'statusKey', value: `TICKET#${status}` }, limit: 100, newestFirst: true, includeExpired: options.includeExpired === true },
        ticketSchema,
      );
      found.push(...tickets.filter(named));
    }
    return found;
  }

  /** Removes a ticket whatever its state or expiry (a privacy deletion); answers whether it was there. */
  async erase(reference: string): Promise<boolean> {
    return this.table.deleteIf(key(reference), { condition: 'attribute_exists(pk)' });
  }

  /** Removes a sent-mail index entry (a privacy deletion). */
  async forgetSent(messageId: string): Promise<boolean> {
    return this.table.deleteIf(sentKey(messageId), { condition: 'attribute_exists(pk)' });
  }

  async ticketOfSent(messageId: string): Promise<string | undefined> {
    return (await this.table.get(sentKey(messageId), z.object({ reference: z.string() })))?.reference;
  }

  async rememberSent(messageId: string, reference: string): Promise<void> {
    await this.table.batchPut([{ ...sentKey(messageId), reference, expiresAt: this.table.ttlIn(this.retentionDays * 86_400) }]);
  }
}
