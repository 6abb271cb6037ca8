import { setTimeout as sleep } from 'node:timers/promises';
import { SEED } from '../../local/emulators/pinterest';
import { FakeClock, useHarness, jsonOf, type Json } from './pinterest-harness';

/** Injected faults around boards and Pins: what a publishing client must survive. */

const clock = new FakeClock();
const h = useHarness(clock);

const PINS = { host: 'sandbox', method: 'POST', path: '/v5/pins' } as const;

async function sandboxBoard(token: string): Promise<string> {
  return String((await jsonOf(await h.api('sandbox', token, '/boards', { name: 'Faults' }))).id);
}

function pin(boardId: string, url = 'https://cdn.miradigitalzen.example/a.jpg'): Json {
  return { board_id: boardId, title: 'Fault test', media_source: { source_type: 'image_url', url } };
}

async function boardPins(token: string, boardId: string): Promise<Json[]> {
  return ((await (await h.api('sandbox', token, `/boards/${boardId}/pins`)).json()) as { items: Json[] }).items;
}

/** The error code under fetch's "fetch failed" TypeError. */
async function networkErrorCode(request: Promise<Response>): Promise<string | undefined> {
  try {
    await request;
  } catch (error) {
    return ((error as { cause?: { code?: string } }).cause ?? {}).code;
  }
  throw new Error('the request did not fail');
}

describe('Pin faults', () => {
  it("spam_block answers 429 with Pinterest's spam message once and creates nothing", async () => {
    const token = h.tokenFor('sandbox');
    const boardId = await sandboxBoard(token);
    h.emulator.controls.injectFault({ ...PINS, kind: 'spam_block' });
    const blocked = await h.api('sandbox', token, '/pins', pin(boardId));
    expect(blocked.status).toBe(429);
    expect(await blocked.json()).toEqual({ code: 8, message: "You've hit a block (Pins) we have in place to combat spam" });
    expect(blocked.headers.get('x-ratelimit-limit')).toBe('300');
    expect(await boardPins(token, boardId)).toEqual([]);
    expect((await h.api('sandbox', token, '/pins', pin(boardId))).status).toBe(201);
  });

  it('image_unreachable answers 400 "could not fetch the image" for an image_url Pin, once', async () => {
    const token = h.tokenFor('sandbox');
    const boardId = await sandboxBoard(token);
    h.emulator.controls.injectFault({ ...PINS, kind: 'image_unreachable' });
    const failed = await h.api('sandbox', token, '/pins', pin(boardId));
    expect(failed.status).toBe(400);
    const body = await jsonOf(failed);
    expect(body.code).toBe(1);
    expect(body.message).toContain('could not fetch the image');
    expect(await boardPins(token, boardId)).toEqual([]);
    expect((await h.api('sandbox', token, '/pins', pin(boardId))).status).toBe(201);
  });

  it.each(['https://images.miradigitalzen.invalid/a.jpg', 'ftp://cdn.example/a.jpg', 'not a url'])(
    'answers the image URL %s with the same 400, without a fault',
    async (url) => {
      const token = h.tokenFor('sandbox');
      const res = await h.api('sandbox', token, '/pins', pin(await sandboxBoard(token), url));
      expect(res.status).toBe(400);
      expect((await jsonOf(res)).message).toContain('could not fetch the image');
    },
  );

  it('board_not_found answers the next matching request with 404 Board not found.', async () => {
    const token = h.tokenFor('production');
    const path = `/boards/${SEED.known.firstBoard.id}/sections`;
    h.emulator.controls.injectFault({ host: 'production', path: '/v5/boards/*', kind: 'board_not_found' });
    const res = await h.api('production', token, path);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 404, message: 'Board not found.' });
    expect((await h.api('production', token, path)).status).toBe(200);
  });

  it('create_then_drop creates the Pin, then drops the connection without an answer', async () => {
    const token = h.tokenFor('sandbox');
    const boardId = await sandboxBoard(token);
    h.emulator.controls.injectFault({ ...PINS, kind: 'create_then_drop' });
    await expect(h.api('sandbox', token, '/pins', pin(boardId))).rejects.toThrow();
    const pins = await boardPins(token, boardId);
    expect(pins).toHaveLength(1);
    expect(pins[0]?.title).toBe('Fault test');
  });

  it('drop_connection without afterProcessing drops the request before any Pin exists', async () => {
    const token = h.tokenFor('sandbox');
    const boardId = await sandboxBoard(token);
    h.emulator.controls.injectFault({ ...PINS, kind: 'drop_connection' });
    await expect(h.api('sandbox', token, '/pins', pin(boardId))).rejects.toThrow();
    expect(await boardPins(token, boardId)).toEqual([]);
  });

  it('rate_limit answers Pin creation with 429 code 8, its org_write window spent, and a reset', async () => {
    const token = h.tokenFor('sandbox');
    const boardId = await sandboxBoard(token);
    h.emulator.controls.injectFault({ ...PINS, kind: 'rate_limit' });
    const res = await h.api('sandbox', token, '/pins', pin(boardId));
    expect(res.status).toBe(429);
    expect((await jsonOf(res)).code).toBe(8);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-limit')).toBe('300');
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
  });
});

describe('refuse_connection', () => {
  it('makes fetch fail with ECONNREFUSED on that host only, then the host works again on the same port', async () => {
    const sandbox = h.tokenFor('sandbox');
    const production = h.tokenFor('production');
    expect((await h.api('sandbox', sandbox, '/boards')).status).toBe(200);
    h.emulator.controls.injectFault({ host: 'sandbox', kind: 'refuse_connection', ms: 100 });
    expect(await networkErrorCode(h.api('sandbox', sandbox, '/boards'))).toBe('ECONNREFUSED');
    expect(await networkErrorCode(h.api('sandbox', sandbox, '/boards'))).toBe('ECONNREFUSED');
    expect((await h.api('production', production, '/boards')).status).toBe(200);
    await sleep(150);
    expect((await h.api('sandbox', sandbox, '/boards')).status).toBe(200);
  });

  it('works over HTTP for both API hosts; clear-faults brings them back at once', async () => {
    const token = h.tokenFor('production');
    const injected = await h.control('inject-fault', { host: 'any', kind: 'refuse_connection', ms: 60_000 });
    expect(await injected.json()).toEqual({ faultId: expect.any(String) });
    expect(await networkErrorCode(h.api('production', token, '/boards'))).toBe('ECONNREFUSED');
    expect(await networkErrorCode(fetch(`${h.emulator.urls.sandbox}/boards`))).toBe('ECONNREFUSED');
    expect((await h.control('clear-faults', {})).status).toBe(200);
    expect((await h.api('production', token, '/boards')).status).toBe(200);
  });

  it('is refused for the www host, which carries the controls, and with times instead of ms', async () => {
    const res = await h.control('inject-fault', { host: 'www', kind: 'refuse_connection', ms: 100 });
    expect(res.status).toBe(400);
    expect(() => h.emulator.controls.injectFault({ host: 'sandbox', kind: 'refuse_connection', ms: 0 })).toThrow(/ms/);
    const counted = await h.control('inject-fault', { host: 'sandbox', kind: 'refuse_connection', ms: 100, times: 2 });
    expect((await jsonOf(counted)).message).toContain('takes ms, not times');
  });
});

describe('fault kinds over HTTP', () => {
  it.each(['spam_block', 'image_unreachable', 'board_not_found', 'create_then_drop'])('inject-fault accepts %s', async (kind) => {
    const res = await h.control('inject-fault', { host: 'sandbox', method: 'POST', path: '/v5/pins', kind });
    expect(res.status).toBe(200);
  });
});
