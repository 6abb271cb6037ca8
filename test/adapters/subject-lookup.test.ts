import { randomUUID } from 'node:crypto';
import { ensureTables } from '../../local/boot';
import { AccountStore, type NewAccount } from '../../shared/adapters/dynamo/account-store';
import { PinStore } from '../../shared/adapters/dynamo/pin-store';
import { SubjectIndex } from '../../shared/adapters/dynamo/subject-index';
import { DynamoTable } from '../../shared/adapters/dynamo/table';
import { TicketStore } from '../../shared/adapters/dynamo/ticket-store';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import type { PinRecord } from '../../shared/domain/pins';
import type { Ticket } from '../../shared/domain/tickets';
import { tables } from '../../shared/tables';
import { clients, uniquePrefix } from '../support/aws';
import { FakeClock } from '../support/fake-clock';

/**
 * Finding what is held about a data subject (for privacy requests), against dynalite in a workflow
 * table of this file's own: everything indexed under a Pinterest account, and every ticket naming an
 * email address in any of its address fields — and nothing about anyone else, nothing expired.
 */

const tableName = `${uniquePrefix('subjects')}-workflow`;
const clock = new FakeClock('2026-06-01T12:00:00.000Z');
const table = new DynamoTable(clients.dynamo, tableName, clock);
const accounts = new AccountStore(table);
const pins = new PinStore(table);
const tickets = new TicketStore(table, clock, 365, 30);
const index = new SubjectIndex(table);

beforeAll(async () => {
  await ensureTables(clients.dynamoDb, { state: `${tableName}-unused-state`, workflow: tableName, audit: `${tableName}-unused-audit` }, '(test)', [tables.workflow]);
});

function account(environment: PinterestEnvironment, accountId: string): NewAccount {
  return {
    environment,
    status: 'pending_confirmation',
    accountId,
    username: `user-${accountId.slice(-2)}`,
    scopes: ['boards:read'],
    connectionId: `c-${accountId}`,
    secretName: `tokens/${environment}/${accountId}/c`,
    accessTokenExpiresAt: '2026-07-01T00:00:00.000Z',
    tokenVersion: 1,
    connectedAt: clock.now().toISOString(),
  };
}

function pin(environment: PinterestEnvironment, accountId: string): PinRecord {
  const at = clock.now().toISOString();
  return {
    pinId: randomUUID(),
    environment,
    accountId,
    status: 'draft',
    version: 1,
    content: { boardId: 'b1', title: 'Morning tea', media: { kind: 'url', url: 'https://example.com/tea.jpg' } },
    history: [{ action: 'create', from: null, to: 'draft', at, by: 'operator', version: 1 }],
    createdAt: at,
    updatedAt: at,
  };
}

function ticket(changes: Partial<Ticket>): Ticket {
  const at = clock.now().toISOString();
  return {
    reference: `MDZ-${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`,
    source: 'mail',
    status: 'open',
    flagged: false,
    subject: 'Question',
    receivedAt: at,
    snippet: 'Hello',
    attachments: [],
    acknowledgement: { state: 'skipped', reason: 'unauthenticated' },
    replies: [],
    version: 1,
    createdAt: at,
    updatedAt: at,
    ...changes,
  };
}

describe('SubjectIndex.ofAccount', () => {
  it('finds the account records of every environment and every Pin record of the account, and nothing of another account', async () => {
    const mira = `10000000000000${String(Date.now()).slice(-5)}`;
    const other = `20000000000000${String(Date.now()).slice(-5)}`;
    await accounts.replace(account('sandbox', mira), undefined);
    const production = await accounts.replace(account('production', other), undefined);
    const mine = [pin('sandbox', mira), pin('sandbox', mira), pin('production', mira)];
    for (const record of [...mine, pin('sandbox', other)]) await pins.create(record);

    const found = await index.ofAccount(mira);
    expect(found.filter((item) => item.pk.startsWith('ACCOUNT#')).map((item) => item.pk)).toEqual(['ACCOUNT#sandbox']);
    expect(found.filter((item) => item.pk.startsWith('PIN#')).map((item) => item.pk).sort()).toEqual(mine.map((record) => `PIN#${record.pinId}`).sort());
    expect(JSON.stringify(found)).not.toContain(other);

    const theirs = await index.ofAccount(other);
    expect(theirs.filter((item) => item.pk.startsWith('ACCOUNT#')).map((item) => item.pk)).toEqual(['ACCOUNT#production']);
    expect(theirs.filter((item) => item.pk.startsWith('PIN#'))).toHaveLength(1);
    expect(production.accountId).toBe(other);
  });

  it('reads every page (more items than one query answers)', async () => {
    const many = `30000000000000${String(Date.now()).slice(-5)}`;
    const records = Array.from({ length: 130 }, () => pin('sandbox', many));
    for (const record of records) await pins.create(record);
    expect((await index.ofAccount(many)).length).toBe(130);
  });
});

describe('TicketStore.naming', () => {
  const address = () => `reader-${randomUUID().slice(0, 8)}@example.org`;

  it('finds every ticket naming the address in any field, open or closed, in any case, and no other', async () => {
    const who = address();
    const someone = address();
    const asEnvelope = ticket({ envelopeFrom: `<${who.toUpperCase()}>` });
    const asFrom = ticket({ from: { address: who, name: 'Reader' }, envelopeFrom: someone });
    const asAcknowledged = ticket({ acknowledgement: { state: 'sent', to: who, messageId: '<a@x>', at: clock.now().toISOString() } });
    const asReplied = ticket({ replies: [{ id: 'r1', at: clock.now().toISOString(), to: who, subject: 'Re', text: 'Hi', state: 'sent' }] });
    const asForm = ticket({ source: 'form', from: { address: who, name: '' }, text: 'Delete my data', topic: 'data_deletion' });
    const unrelated = ticket({ from: { address: someone, name: 'Someone' }, envelopeFrom: someone });
    for (const t of [asEnvelope, asFrom, asAcknowledged, asReplied, asForm, unrelated]) await tickets.create(t);
    await tickets.update(asReplied, { status: 'closed' });

    const found = await tickets.naming(who);
    expect(found.map((t) => t.reference).sort()).toEqual([asEnvelope, asFrom, asAcknowledged, asReplied, asForm].map((t) => t.reference).sort());
    expect((await tickets.naming(someone)).map((t) => t.reference).sort()).toEqual([asFrom, unrelated].map((t) => t.reference).sort());
  });

  it('leaves out a ticket past its retention (a quarantined one after 30 days), before TTL deletes it', async () => {
    const who = address();
    const quarantined = ticket({ from: { address: who, name: '' }, flagged: true, quarantine: ['spam'] });
    const kept = ticket({ from: { address: who, name: '' } });
    await tickets.create(quarantined);
    await tickets.create(kept);
    clock.advance(31 * 86_400_000);
    try {
      expect((await tickets.naming(who)).map((t) => t.reference)).toEqual([kept.reference]);
    } finally {
      clock.advance(-31 * 86_400_000);
    }
  });
});
