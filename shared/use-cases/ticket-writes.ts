import { ConflictError } from '../domain/errors';
import type { Ticket } from '../domain/tickets';

/** What a conditional ticket write needs: read it, and change it at the version read. */
export interface TicketWrites {
  get(reference: string): Promise<Ticket | undefined>;
  /** One conditional write on the ticket's version; a ConflictError when it changed. */
  update(ticket: Ticket, changes: Partial<Ticket>): Promise<Ticket>;
}

/**
 * One change to a ticket that must land even if something else changed the ticket meanwhile (another
 * delivery of the same mail, the operator): on a conflict the ticket is read again and `changesFor`
 * decides on the fresh copy (undefined: nothing left to do, say because the other writer did it).
 * Answers the ticket and whether this call wrote: a step claimed this way is done by one caller only.
 */
export async function settle(
  tickets: TicketWrites,
  ticket: Ticket,
  changesFor: (current: Ticket) => Partial<Ticket> | undefined,
): Promise<{ ticket: Ticket; wrote: boolean }> {
  let current = ticket;
  for (let attempt = 0; ; attempt += 1) {
    const changes = changesFor(current);
    if (changes === undefined) return { ticket: current, wrote: false };
    try {
      return { ticket: await tickets.update(current, changes), wrote: true };
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 5) throw error;
      const fresh = await tickets.get(current.reference);
      if (fresh === undefined) throw error;
      current = fresh;
    }
  }
}
