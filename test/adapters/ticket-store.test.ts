import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { TicketStore } from '../../shared/adapters/dynamo/ticket-store';
import { DynamoTable } from '../../shared/adapters/dynamo/table';
import { ConflictError } from '../../shared/domain/errors';
import type { Ticket } from '../../shared/domain/tickets';
import { FakeClock } from '../support/fake-clock';
import { clients, names } from '../support/aws';
import { rejectionOf } from '../support/rejection';

/** The ticket store against dynalite: conditional create and updates, TTL, the sent-mail index. */

const clock = new FakeClock('2026-05-01T10:00:00.000Z');
const store = new TicketStore(new DynamoTable(clients.dynamo, names.workflow, clock), clock, 365, 30);

function ticket(reference = `MDZ-T${randomUUID().slice(0, 8).toUpperCase()}`): Ticket {
  return {
    reference,
    source: 'mail',
    status: 'open',
    flagged: false,
    sesMessageId: randomUUID(),
    subject: 'Question',
    receivedAt: clock.now().toISOString(),
    snippet: 'Hello',
    attachments: [],
    acknowledgement: { state: 'pending', to: 'reader@example.org' },
    replies: [],
    version: 1,
    createdAt: clock.now().toISOString(),
    updatedAt: clock.now().toISOString(),
  };
}

describe('TicketStore', () => {
  it('creates a ticket once (a second create is a ConflictError), with a TTL of the retention and its status index', async () => {
    const t = ticket();
    await store.create(t);
    await rejectionOf(store.create(t), ConflictError);
    await expect(store.get(t.reference)).resolves.toEqual(t);
    const { Item } = await clients.dynamo.send(new GetCommand({ TableName: names.workflow, Key: { pk: `TICKET#${t.reference}`, sk: 'TICKET' } }));
    expect(Item).toMatchObject({ statusKey: 'TICKET#open', statusTime: `${t.receivedAt}#${t.reference}`, expiresAt: Math.floor(Date.parse('2027-05-01T10:00:00.000Z') / 1000) });
  });

  it('keeps the ticket of a quarantined message only as long as its raw copy (the quarantine retention)', async () => {
    const t = { ...ticket(), flagged: true, quarantine: ['spam' as const] };
    await store.create(t);
    const { Item } = await clients.dynamo.send(new GetCommand({ TableName: names.workflow, Key: { pk: `TICKET#${t.reference}`, sk: 'TICKET' } }));
    expect(Item?.expiresAt).toBe(Math.floor(Date.parse('2026-05-31T10:00:00.000Z') / 1000));
  });

  it('lists one status newest received first, page by page, and leaves out what has expired', async () => {
    // The shared table holds other tests' open tickets too: only this test's are compared.
    const own = store;
    const listed = async (status: 'open' | 'closed') => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await own.list(status, { limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...page.items.map((item) => item.reference));
        cursor = page.cursor;
      } while (cursor !== undefined);
      return seen;
    };
    const mine = [0, 1, 2, 3].map((i) => ({ ...ticket(), receivedAt: `2099-0${String(i + 1)}-01T00:00:00.000Z` }));
    for (const t of mine) await own.create(t);
    const open = (await listed('open')).filter((ref) => mine.some((t) => t.reference === ref));
    expect(open).toEqual([...mine].reverse().map((t) => t.reference));
    const [first] = mine;
    if (first === undefined) throw new Error('no ticket');
    await own.update(first, { status: 'closed' });
    expect(await listed('closed')).toContain(first.reference);
    expect(await listed('open')).not.toContain(first.reference);
    // Past the quarantine retention a flagged ticket is no longer listed, before TTL deletes it.
    const flagged = { ...ticket(), flagged: true, receivedAt: '2099-06-01T00:00:00.000Z' };
    await own.create(flagged);
    expect(await listed('open')).toContain(flagged.reference);
    clock.advance(31 * 86_400_000);
    expect(await listed('open')).not.toContain(flagged.reference);
    clock.advance(-31 * 86_400_000);
  });

  it('updates conditionally on the version: the stale writer loses with a ConflictError', async () => {
    const t = ticket();
    await store.create(t);
    clock.advance(1000);
    const sending = await store.update(t, { acknowledgement: { state: 'sending', to: 'reader@example.org' } });
    expect(sending).toMatchObject({ version: 2, acknowledgement: { state: 'sending' }, updatedAt: clock.now().toISOString() });
    await rejectionOf(store.update(t, { acknowledgement: { state: 'sending', to: 'reader@example.org' } }), ConflictError);
    const closed = await store.update(sending, { status: 'closed' });
    const { Item } = await clients.dynamo.send(new GetCommand({ TableName: names.workflow, Key: { pk: `TICKET#${t.reference}`, sk: 'TICKET' } }));
    expect(closed.status).toBe('closed');
    expect(Item).toMatchObject({ statusKey: 'TICKET#closed', version: 3 });
  });

  it('remembers which ticket a sent Message-ID belongs to', async () => {
    const id = `<${randomUUID()}@ecooffice.net>`;
    await expect(store.ticketOfSent(id)).resolves.toBeUndefined();
    await store.rememberSent(id, 'MDZ-ABCDEFGHJK');
    await expect(store.ticketOfSent(` ${id} `)).resolves.toBe('MDZ-ABCDEFGHJK');
  });
});
