import { useLocalStack } from '../support/local-process';
import { stackClient } from '../support/stack-client';
import { tinyPng } from '../support/publish-flow';

const credential = 'e2e-publish-credential-0123456789abcdef';

interface LoggedRequest {
  host: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  rid: string;
}

interface ErrorBody {
  error: { code: string; message: string; currentState?: string; pacing?: string; retryAfterSeconds?: number; current?: { status: string } };
}

/**
 * Publishing through `npm start` over HTTP with the default pacing (10 s between Pin writes): an
 * approved sandbox draft published by 50 requests at once becomes exactly one Pin at the stack's
 * Pinterest emulator, whatever the answers; then the README walkthrough: the record shows the
 * published Pin (id, URL), the emulator has it (read with the product's own token), and
 * POST /pins/{id}/check confirms it is still there. A second round of publishes creates nothing.
 */
describe('end to end: publishing one approved Pin through the local stack', () => {
  const stack = useLocalStack('mdz-publish-', { LOCAL_OPERATOR_CREDENTIAL: credential });
  const { send, control, connectSandbox } = stackClient(stack, credential);
  const sandboxApi = () => /sandbox (http:\/\/127\.0\.0\.1:\d+\/v5)/.exec(stack.output())?.[1] ?? '';

  const pinCreates = async () => ((await control('requests')) as { requests: LoggedRequest[] }).requests.filter((r) => r.host === 'sandbox' && r.method === 'POST' && r.path === '/v5/pins');


  const png = tinyPng(10, 15);
  let pinId = '';
  let boardId = '';
  let pinterestPinId = '';

  it('50 concurrent POST /pins/{id}/publish: exactly one POST /v5/pins, one published record; the other 49 are refusals that change nothing', async () => {
    await connectSandbox();
    const board = await send('POST', '/boards', { environment: 'sandbox', name: 'Zen Garden Ideas' });
    expect(board.status).toBe(201);
    boardId = String(board.json.id);
    const created = await send('POST', '/pins', { environment: 'sandbox', boardId, title: 'Morning tea ritual 🍵', description: 'Five quiet minutes.', imageBase64: png.toString('base64'), imageContentType: 'image/png' });
    expect(created.status).toBe(201);
    pinId = String(created.json.id);
    const approved = await send('POST', `/pins/${pinId}/approve`, { version: 1 });
    expect(approved.json).toMatchObject({ status: 'approved', version: 2, approval: { holds: true } });

    const answers = await Promise.all(Array.from({ length: 50 }, () => send('POST', `/pins/${pinId}/publish`)));
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    const win = winners[0]?.json as { outcome: string; pin: { status: string; published: { pinterestPinId: string; url: string } } };
    expect(win).toMatchObject({ outcome: 'published', pin: { status: 'published' } });
    pinterestPinId = win.pin.published.pinterestPinId;

    // The others: a 409 once the winner has claimed the record (it says where the record is), or —
    // when one read the record just before the claim — the pacing 429 whose slot this Pin holds.
    const losers = answers.filter((a) => a.status !== 200);
    for (const loser of losers) {
      const { error } = loser.json as unknown as ErrorBody;
      if (loser.status === 409) {
        expect(error.code).toBe('conflict');
        expect(['publishing', 'published']).toContain(error.currentState);
        expect(error.message).toMatch(/already (being )?published/);
        expect(error.current?.status).toBe(error.currentState);
      } else {
        expect(loser.status).toBe(429);
        expect(error).toMatchObject({ code: 'rate_limited', pacing: 'gap' });
        expect(Number(loser.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(loser.retryAfter)).toBeLessThanOrEqual(10);
      }
    }
    expect(losers.filter((a) => a.status === 409).length + losers.filter((a) => a.status === 429).length).toBe(49);

    const sent = await pinCreates();
    expect(sent).toHaveLength(1);
    const body = JSON.parse(sent[0]?.body ?? '{}') as { board_id: string; title: string; media_source: { source_type: string; data: string } };
    expect(body).toMatchObject({ board_id: boardId, title: 'Morning tea ritual 🍵', media_source: { source_type: 'image_base64', data: png.toString('base64') } });

    const listed = await send('GET', '/pins?environment=sandbox&status=published');
    expect((listed.json.items as Array<{ id: string }>).map((p) => p.id)).toEqual([pinId]);
    expect(((await send('GET', '/pins?environment=sandbox&status=approved')).json.items as unknown[])).toEqual([]);
  }, 60_000);

  it('the walkthrough: GET /pins/{id} shows the published Pin; the emulator has it; POST /pins/{id}/check confirms it', async () => {
    const detail = await send('GET', `/pins/${pinId}`);
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({
      status: 'published',
      version: 4,
      published: { pinterestPinId, boardId, httpStatus: 201, url: `https://www.pinterest.com/pin/${pinterestPinId}/` },
      failure: null,
      attempt: null,
    });
    expect((detail.json.history as Array<{ action: string; to: string; by: string }>).map((h) => [h.action, h.to, h.by])).toEqual([
      ['create', 'draft', 'operator'],
      ['approve', 'approved', 'operator'],
      ['publish', 'publishing', 'operator'],
      ['outcome', 'published', 'system'],
    ]);

    // The emulator's view of the Pin, asked with the token the product used to create it.
    const [sent] = await pinCreates();
    const atPinterest = await fetch(`${sandboxApi()}/pins/${pinterestPinId}`, { headers: { authorization: sent?.headers.authorization ?? '' } });
    expect(atPinterest.status).toBe(200);
    const pin = (await atPinterest.json()) as { id: string; board_id: string; title: string; description: string; created_at: string; media: { images: Record<string, { width: number; height: number }> } };
    expect(pin).toMatchObject({ id: pinterestPinId, board_id: boardId, title: 'Morning tea ritual 🍵', description: 'Five quiet minutes.' });
    expect(pin.media.images['600x']).toMatchObject({ width: 600, height: 900 });
    expect((detail.json.published as { createdAt: string; requestId: string }).createdAt).toBe(pin.created_at);
    expect((detail.json.published as { requestId: string }).requestId).toBe(sent?.rid);

    const checked = await send('POST', `/pins/${pinId}/check`);
    expect(checked.status).toBe(200);
    expect(checked.json).toMatchObject({ status: 'published', version: 5, published: { pinterestPinId } });
    expect(Date.parse((checked.json.published as { lastCheckedAt: string }).lastCheckedAt)).toBeGreaterThan(Date.now() - 30_000);
  }, 30_000);

  it('a second round of 20 concurrent publishes creates nothing: every answer is a 409 naming the published Pin', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => send('POST', `/pins/${pinId}/publish`)));
    for (const answer of answers) {
      expect(answer.status).toBe(409);
      const { error } = answer.json as unknown as ErrorBody;
      expect(error).toMatchObject({ code: 'conflict', currentState: 'published' });
      expect(error.message).toContain(pinterestPinId);
    }
    expect(await pinCreates()).toHaveLength(1);
    expect((await send('GET', `/pins/${pinId}`)).json).toMatchObject({ status: 'published', version: 5 });
  }, 30_000);
});
