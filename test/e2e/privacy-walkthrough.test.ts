import { useLocalStack } from '../support/local-process';
import { mailReceive, referenceIn } from '../support/mail-receive';
import { stackClient } from '../support/stack-client';

const credential = 'e2e-privacy-credential-0123456789abcdef';
const requester = 'reader@example.org';

/**
 * The README's privacy walkthrough through `npm start` over HTTP: a connected sandbox account with a
 * board and a draft holding an image, and a support mail from reader@example.org; an export of both
 * (the document served again by GET /privacy/requests/{id}/export), then their deletion: the account,
 * the draft, its image and the ticket are gone for every operator route, the export is erased, and
 * the listing and the security log show what was done without naming anyone.
 */
describe('end to end: a privacy export and deletion through the local stack', () => {
  const stack = useLocalStack('mdz-privacy-', { LOCAL_OPERATOR_CREDENTIAL: credential });
  const { api, send, connectSandbox } = stackClient(stack, credential);

  it('export → the document → delete → nothing left to read, the records listed', async () => {
    await connectSandbox();
    const accountId = (((await send('GET', '/account')).json as { environments: { sandbox: { accountId: string } } }).environments.sandbox.accountId);
    const board = await send('POST', '/boards', { environment: 'sandbox', name: 'Quiet Corners' });
    expect(board.status).toBe(201);
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('privacy walkthrough picture')]);
    const draft = await send('POST', '/pins', { environment: 'sandbox', boardId: board.json.id, title: 'Reading nook', imageBase64: png.toString('base64'), imageContentType: 'image/png' });
    expect(draft.status).toBe(201);
    const pinId = String(draft.json.id);
    const run = await mailReceive(stack, ['test/fixtures/mail/plain.eml']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const reference = referenceIn(run.stdout);

    // Export: the answer says where the document is; the document holds the account, the board, the draft and the ticket.
    const exported = await send('POST', '/privacy/requests', { type: 'export', subject: { pinterestAccountId: accountId, email: requester }, ticketId: reference });
    expect(exported.status).toBe(201);
    expect(exported.json).toMatchObject({ type: 'export', status: 'completed', ticketId: reference, counts: { accounts: 1, pinRecords: 1, boards: 1, imageObjects: 1, tickets: 1, rawMailObjects: 1, acknowledgementDays: 1 } });
    const exportPath = String(exported.json.exportPath);
    const documentRes = await api(exportPath);
    expect(documentRes.status).toBe(200);
    expect(documentRes.headers.get('content-disposition')).toContain('attachment');
    const document = (await documentRes.json()) as {
      format: string;
      pinterestAccount: { connections: Array<{ accountId: string }>; boards: Array<{ boards: Array<{ name: string }> }>; pins: Array<{ pinId: string }>; imageObjects: string[] };
      email: { tickets: Array<{ reference: string; rawMail: string[] }> };
    };
    expect(document.format).toBe('mdz-publisher-export/1');
    expect(document.pinterestAccount.connections.map((c) => c.accountId)).toEqual([accountId]);
    expect(document.pinterestAccount.boards[0]?.boards.map((b) => b.name)).toContain('Quiet Corners');
    expect(document.pinterestAccount.pins.map((p) => p.pinId)).toEqual([pinId]);
    expect(document.pinterestAccount.imageObjects).toHaveLength(1);
    expect(document.email.tickets.map((t) => t.reference)).toEqual([reference]);
    expect(document.email.tickets[0]?.rawMail).toHaveLength(1);
    // Token metadata (expiries, version), never a token: no token field at all.
    expect(JSON.stringify(document)).not.toMatch(/"(accessToken|refreshToken|access_token|refresh_token)"/);

    // Delete: refused input first, then the real thing.
    expect((await send('POST', '/privacy/requests', { type: 'delete', subject: {} })).status).toBe(400);
    const deleted = await send('POST', '/privacy/requests', { type: 'delete', subject: { pinterestAccountId: accountId, email: requester }, ticketId: reference });
    expect(deleted.status).toBe(201);
    expect(deleted.json).toMatchObject({
      type: 'delete',
      status: 'completed',
      counts: { tokenSecrets: 1, pinRecords: 1, imageObjects: 1, accountRecords: 2, tickets: 1, rawMailObjects: 1, acknowledgementCounters: 1, earlierExportsErased: 1 },
      pinterestPinsKept: [],
    });

    // Nothing left to read.
    const account = (await send('GET', '/account')).json as { environments: { sandbox: { status: string } } };
    expect(account.environments.sandbox.status).toBe('not_connected');
    expect((await send('GET', `/pins/${pinId}`)).status).toBe(404);
    expect((await send('GET', `/support/tickets/${reference}`)).status).toBe(404);
    expect((await api(exportPath)).status).toBe(404);

    // The records, newest first, name no one; the log says what was done.
    const listed = await send('GET', '/privacy/requests');
    expect(listed.status).toBe(200);
    const requests = listed.json.requests as Array<{ type: string; export?: { erasedAt?: string } }>;
    expect(requests.map((r) => r.type)).toEqual(['delete', 'export']);
    expect(requests[1]?.export?.erasedAt).toEqual(expect.any(String));
    expect(JSON.stringify(listed.json)).not.toContain(accountId);
    expect(JSON.stringify(listed.json)).not.toContain(requester);
    const audit = await send('GET', '/audit?kind=pseudonymised');
    expect((audit.json.items as Array<{ detail: { entries: number } }>)[0]?.detail.entries).toBeGreaterThan(0);
    const log = await send('GET', '/audit?limit=100');
    expect(JSON.stringify(log.json)).not.toContain(accountId);
  });
});
