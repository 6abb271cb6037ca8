import { useLocalStack } from '../support/local-process';
import { stackClient } from '../support/stack-client';

const credential = 'e2e-pins-credential-0123456789abcdefgh';

/**
 * The walkthrough of docs/pins.md and the README through `npm start` over HTTP: connect the sandbox at
 * the stack's Pinterest emulator, create a board, then a draft with a base64 PNG; edit, approve (the
 * approval holds), reject, read the history and the image back, list, and delete. The image is in
 * the stack's S3 and never in a DynamoDB answer.
 */
describe('end to end: a Pin draft reviewed through the local stack', () => {
  const stack = useLocalStack('mdz-pins-', { LOCAL_OPERATOR_CREDENTIAL: credential });
  const { api, send, connectSandbox } = stackClient(stack, credential);



  it('draft → edit → approve → reject → history, image and listing → delete', async () => {
    await connectSandbox();
    const board = await send('POST', '/boards', { environment: 'sandbox', name: 'Zen Garden Ideas' });
    expect(board.status).toBe(201);

    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('a tiny stand-in for a picture')]);
    const created = await send('POST', '/pins', { environment: 'sandbox', boardId: board.json.id, title: 'Morning tea ritual 🍵', imageBase64: png.toString('base64'), imageContentType: 'image/png' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: 'draft', version: 1, title: 'Morning tea ritual 🍵', image: { source: 'stored', contentType: 'image/png', bytes: png.length } });
    const id = String(created.json.id);

    const edited = await send('PATCH', `/pins/${id}`, { version: 1, description: 'Five quiet minutes before the day starts.' });
    expect(edited.json).toMatchObject({ status: 'draft', version: 2, description: 'Five quiet minutes before the day starts.' });
    const approved = await send('POST', `/pins/${id}/approve`, { version: 2 });
    expect(approved.json).toMatchObject({ status: 'approved', version: 3, approval: { by: 'operator', holds: true } });
    // The version the operator saw is the one that counts: an approval of version 2 again is refused.
    const stale = await send('POST', `/pins/${id}/approve`, { version: 2 });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ error: { code: 'conflict', current: { version: 3, status: 'approved' } } });

    const rejected = await send('POST', `/pins/${id}/reject`, { version: 3, reason: 'Wrong season' });
    expect(rejected.json).toMatchObject({ status: 'rejected', version: 4, approval: null, rejection: { reason: 'Wrong season' } });

    const detail = await send('GET', `/pins/${id}`);
    expect((detail.json.history as Array<{ action: string; from: string | null; to: string }>).map((h) => [h.action, h.from, h.to])).toEqual([
      ['create', null, 'draft'],
      ['edit', 'draft', 'draft'],
      ['approve', 'draft', 'approved'],
      ['reject', 'approved', 'rejected'],
    ]);
    expect(JSON.stringify(detail.json)).not.toContain(png.toString('base64'));

    const media = await api(`/pins/${id}/media`);
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await media.arrayBuffer()).equals(png)).toBe(true);

    const listed = await send('GET', '/pins?environment=sandbox&status=rejected');
    expect((listed.json.items as Array<{ id: string }>).map((p) => p.id)).toEqual([id]);

    expect((await send('DELETE', `/pins/${id}?version=4`)).json).toEqual({ id, deleted: true });
    expect((await send('GET', `/pins/${id}`)).status).toBe(404);
    expect((await api(`/pins/${id}/media`)).status).toBe(404);
  }, 45_000);
});
