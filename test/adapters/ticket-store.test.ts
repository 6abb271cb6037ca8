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
const store = new TicketStore(new DynamoTable(clients.dynamo, names.workflow, clock), clock, 365);

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
