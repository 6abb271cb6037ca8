import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { pinLimits } from '../../shared/domain/pins';
import { PIN_BODY_MAX_BYTES } from '../../shared/http/pin-input';
import { clients } from '../support/aws';
import { resetBoardFlow, setUpBoardFlow } from '../support/board-flow';
import { callFunction, type TestResponse } from '../support/http';
import {
  accountIdOf,
  base64Image,
  createPin,
  errorOf,
  getPin,
  gifBytes,
  issuePaths,
  jpegBytes,
  pinAndMediaItems,
  pinItem,
  pngBytes,
  postPin,
  readPin,
  s3Object,
  sandboxBoard,
  storedKey,
  webpBytes,
  type PinJson,
} from '../support/pin-flow';

/**
 * The bodies of POST /pins and PATCH /pins/{id} through the real handlers, and the malformed requests
 * every Pin route refuses: each field at Pinterest's limit is taken and one past it is a 400 naming
 * it, counted in characters; every bad field is named in one 400; text round-trips exactly; and
 * after any refusal nothing is stored (no Pin record, no media reference, no object in the bucket).
 */

const flow = setUpBoardFlow('pin-input');
let boardId: string;
let accountId: string;

beforeAll(async () => {
  await resetBoardFlow(flow, ['sandbox']);
  boardId = (await sandboxBoard('Pin input board')).id;
  accountId = await accountIdOf(flow, 'sandbox');
});

/** A valid draft body with a URL image; `extra` adds or overrides fields. */
const draft = (extra: Record<string, unknown> = {}) => ({ environment: 'sandbox', boardId, imageUrl: 'https://images.example.com/zen.jpg', ...extra });

/** An http(s) URL of exactly `length` characters. */
const urlOf = (length: number, scheme = 'https') => {
  const prefix = `${scheme}://example.com/p?q=`;
  return prefix + 'a'.repeat(length - prefix.length);
};

/** The keys of the Pin records and media reference items, to compare before and after a refusal. */
async function storedKeys(): Promise<string[]> {
  const { pins, media } = await pinAndMediaItems(flow);
  return [...pins, ...media].map((item) => `${String(item.pk)}|${String(item.sk)}`).sort();
}

/** Sends `send`, expects a 400 naming `paths`, and checks nothing new was stored (nor `bytes` put in the bucket). */
async function expectRefused(send: () => Promise<TestResponse>, paths: string[], bytes?: Buffer): Promise<TestResponse> {
  const before = await storedKeys();
  const res = await send();
  expect(res.statusCode).toBe(400);
  const error = errorOf(res);
  expect(error.code).toBe('validation_failed');
  expect(issuePaths(res)).toEqual(expect.arrayContaining(paths));
  expect(await storedKeys()).toEqual(before);
  if (bytes !== undefined) expect(await s3Object(storedKey('sandbox', accountId, bytes))).toBeUndefined();
  return res;
}

describe('field limits (POST /pins), counted in characters after trimming and NFC', () => {
  const emoji = '🧘';
  const decomposedE = 'e\u0301'; // "é" as two code points; one after NFC

  it.each<[string, string, string]>([
    ['title', 'a'.repeat(100), 'a'.repeat(100)],
    ['title', emoji.repeat(100), emoji.repeat(100)],
    ['title', decomposedE.repeat(100), 'é'.repeat(100)],
    ['title', `   ${'t'.repeat(100)}   `, 't'.repeat(100)],
    ['description', 'd'.repeat(800), 'd'.repeat(800)],
    ['description', '🌿'.repeat(800), '🌿'.repeat(800)],
    ['altText', 'x'.repeat(500), 'x'.repeat(500)],
    ['altText', '✨'.repeat(500), '✨'.repeat(500)],
    ['assetLabel', 'l'.repeat(200), 'l'.repeat(200)],
    ['link', urlOf(2048), urlOf(2048)],
    ['link', urlOf(2048, 'http'), urlOf(2048, 'http')],
    ['dominantColor', '#6E7874', '#6E7874'],
  ])('accepts %s at its limit (%#) and stores it as sent in NFC', async (field, value, stored) => {
    const res = await postPin(draft({ [field]: value }));
    expect(res.statusCode).toBe(201);
    const pin = res.json() as PinJson & Record<string, unknown>;
    expect(pin[field]).toBe(stored);
    expect((await readPin(pin.id) as PinJson & Record<string, unknown>)[field]).toBe(stored);
  });

  it('accepts an imageUrl of 2048 characters, http or https, and shows it as the image', async () => {
    for (const scheme of ['https', 'http']) {
      const pin = await createPin(draft({ imageUrl: urlOf(2048, scheme) }));
      expect(pin.image).toEqual({ source: 'url', url: urlOf(2048, scheme) });
    }
  });

  it.each<[string, unknown, string]>([
    ['title', 'a'.repeat(101), 'at most 100 characters'],
    ['title', '🧘'.repeat(101), 'at most 100 characters'],
    ['title', 'e\u0301'.repeat(101), 'at most 100 characters'],
    ['description', 'd'.repeat(801), 'at most 800 characters'],
    ['description', '🌿'.repeat(801), 'at most 800 characters'],
    ['altText', 'x'.repeat(501), 'at most 500 characters'],
    ['assetLabel', 'l'.repeat(201), 'at most 200 characters'],
    ['link', urlOf(2049), 'at most 2048 characters'],
    ['link', 'ftp://example.com/file.jpg', 'http or https'],
    ['link', 'javascript:alert(1)', 'http or https'],
    ['link', 'example.com/no-scheme', 'http or https'],
    ['link', 'https://', 'http or https'],
    ['imageUrl', urlOf(2049), 'at most 2048 characters'],
    ['imageUrl', 'ftp://example.com/zen.jpg', 'http or https'],
    ['imageUrl', 'javascript:alert(1)', 'http or https'],
    ['dominantColor', 'green', '#6E7874'],
    ['dominantColor', '#6E787', '#6E7874'],
    ['title', 42, 'string'],
    ['boardId', 'abc', 'digits'],
    ['environment', 'staging', 'sandbox or production'],
  ])('refuses %s past its rule (%#) with a 400 naming body.<field>, and stores nothing', async (field, value, message) => {
    const res = await expectRefused(() => postPin(draft({ [field]: value })), [`body.${field}`]);
    const issue = (errorOf(res).issues ?? []).find((i) => i.path === `body.${field}`);
    expect(issue?.message).toContain(message);
  });
});

describe('the account', () => {
  it('a draft for an environment with no connected account is a 409 saying to connect, and nothing is stored', async () => {
    const before = await storedKeys();
    const res = await postPin({ environment: 'production', boardId, imageUrl: 'https://images.example.com/zen.jpg' });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'conflict', currentState: 'not_connected', message: expect.stringContaining('POST /oauth/start') as unknown });
    expect(await storedKeys()).toEqual(before);
  });
});

describe('URL limits, counted as stored: trimmed and in NFC', () => {
  // NFC is not always shorter: composition exclusions such as U+0958 DEVANAGARI LETTER QA decompose
  // into two code points. 2048 characters as sent are 4076 as stored and sent to Pinterest.
  const growing = `https://example.com/${'\u0958'.repeat(2048 - 20)}`;
  // A decomposed é (two code points) is one once composed: 4076 characters as sent are 2048 as stored.
  const shrinking = `https://example.com/${'e\u0301'.repeat(2048 - 20)}`;

  it.each(['link', 'imageUrl'])('refuses a %s that is over 2048 characters once NFC-normalized (the form it is stored and sent in)', async (field) => {
    expect(Array.from(growing)).toHaveLength(2048);
    expect(Array.from(growing.normalize('NFC'))).toHaveLength(4076);
    const res = await expectRefused(() => postPin(draft({ [field]: growing })), [`body.${field}`]);
    expect((errorOf(res).issues ?? []).find((i) => i.path === `body.${field}`)?.message).toContain('at most 2048 characters');
  });

  it.each(['link', 'imageUrl'])('accepts a %s of 2048 characters once NFC-normalized although longer as sent, and stores it in NFC', async (field) => {
    expect(Array.from(shrinking)).toHaveLength(4076);
    const stored = shrinking.normalize('NFC');
    expect(Array.from(stored)).toHaveLength(2048);
    const pin = await createPin(draft({ [field]: `  ${shrinking} ` }));
    if (field === 'link') expect(pin.link).toBe(stored);
    else expect(pin.image).toEqual({ source: 'url', url: stored });
    const content = (await pinItem(flow, pin.id))?.content as { link?: string; media: { url?: string } };
    expect(field === 'link' ? content.link : content.media.url).toBe(stored);
  });

  it('refuses a PATCH setting such a link, and leaves the draft as it was', async () => {
    const pin = await createPin(draft());
    const before = await pinItem(flow, pin.id);
    await expectRefused(() => callFunction('updatePin', { method: 'PATCH', url: `/pins/${pin.id}`, pathParameters: { id: pin.id }, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 1, link: growing }) }), ['body.link']);
    expect(await pinItem(flow, pin.id)).toEqual(before);
  });
});

describe('the image of a draft', () => {
  it('refuses a GIF or a WebP with a 400 naming body.imageBase64 and what the bytes are; nothing reaches the bucket', async () => {
    const gif = gifBytes();
    const gifRes = await expectRefused(() => postPin(draft({ imageUrl: undefined, ...base64Image(gif, 'image/png') })), ['body.imageBase64'], gif);
    expect(errorOf(gifRes).message).toContain('a GIF');
    expect(errorOf(gifRes).message).toContain('JPEG or PNG');
    const webp = webpBytes();
    const webpRes = await expectRefused(() => postPin(draft({ imageUrl: undefined, ...base64Image(webp, 'image/jpeg') })), ['body.imageBase64'], webp);
    expect(errorOf(webpRes).message).toContain('WebP');
  });

  it('refuses an image declared as something else than JPEG or PNG (body.imageContentType)', async () => {
    const png = pngBytes();
    const res = await expectRefused(() => postPin(draft({ imageUrl: undefined, ...base64Image(png, 'image/gif') })), ['body.imageContentType'], png);
    expect(errorOf(res).message).toContain('image/jpeg or image/png');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no image at all', { imageUrl: undefined }, 'body.imageUrl'],
    ['both a URL and bytes', { ...base64Image(pngBytes()) }, 'body.imageBase64'],
    ['bytes without their type', { imageUrl: undefined, imageBase64: pngBytes().toString('base64') }, 'body.imageContentType'],
    ['a type without bytes', { imageContentType: 'image/png' }, 'body.imageContentType'],
    ['a data: URL instead of base64', { imageUrl: undefined, imageBase64: `data:image/png;base64,${pngBytes().toString('base64')}`, imageContentType: 'image/png' }, 'body.imageBase64'],
    ['base64 with line breaks', { imageUrl: undefined, imageBase64: pngBytes(300).toString('base64').replace(/(.{76})/g, '$1\n'), imageContentType: 'image/png' }, 'body.imageBase64'],
    ['empty base64', { imageUrl: undefined, imageBase64: '', imageContentType: 'image/png' }, 'body.imageBase64'],
    ['base64 that is not text', { imageUrl: undefined, imageBase64: 12345, imageContentType: 'image/png' }, 'body.imageBase64'],
  ])('refuses %s with a 400 naming the image field', async (_case, fields, path) => {
    await expectRefused(() => postPin(draft(fields)), [path]);
  });
});

describe('every problem in one answer', () => {
  it('names every bad field of a POST in one 400 and stores nothing', async () => {
    const gif = gifBytes();
    const res = await expectRefused(
      () =>
        postPin({
          environment: 'staging',
          boardId: 'board-1',
          sectionId: 'x',
          title: 't'.repeat(101),
          description: 'd'.repeat(801),
          link: 'ftp://example.com',
          altText: 'a'.repeat(501),
          dominantColor: 'green',
          assetLabel: 'l'.repeat(201),
          ...base64Image(gif, 'image/webp'),
          pinterestBoardOwner: 'someone',
        }),
      [
        'body.environment',
        'body.boardId',
        'body.sectionId',
        'body.title',
        'body.description',
        'body.link',
        'body.altText',
        'body.dominantColor',
        'body.assetLabel',
        'body.imageBase64',
        'body.imageContentType',
        'body',
      ],
      gif,
    );
    const issues = errorOf(res).issues ?? [];
    expect(issues.find((i) => i.path === 'body')?.message).toContain('pinterestBoardOwner');
    expect(issues.find((i) => i.path === 'body.imageBase64')?.message).toContain('a GIF');
  });

  it('names every bad field of a PATCH in one 400, and the draft is unchanged', async () => {
    const pin = await createPin(draft({ title: 'Before' }));
    const before = await pinItem(flow, pin.id);
    const png = pngBytes();
    const res = await expectRefused(
      () =>
        callFunction('updatePin', {
          method: 'PATCH',
          url: `/pins/${pin.id}`,
          pathParameters: { id: pin.id },
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ version: 1, title: '🧘'.repeat(101), link: 'javascript:alert(1)', altText: 'a'.repeat(501), dominantColor: '#12345G', imageBase64: png.toString('base64'), colour: 'red' }),
        }),
      ['body.title', 'body.link', 'body.altText', 'body.dominantColor', 'body.imageContentType', 'body'],
      png,
    );
    expect(errorOf(res).message).toContain('Invalid body');
    expect(await pinItem(flow, pin.id)).toEqual(before);
  });
});

describe('text round-trips exactly', () => {
  const title = `  Cafe\u0301 <b>&amp;</b> "quoted" 'single' 🍵🧘‍♀️ \\ / 日本  `;
  const stored = `Café <b>&amp;</b> "quoted" 'single' 🍵🧘‍♀️ \\ / 日本`;

  it('through POST and GET: NFC (a decomposed é stored composed), emoji and <&"\' as sent, trimmed', async () => {
    const description = `First line\nsecond line with <script>alert("x")</script> & 'quotes'\n\ttabbed ✨`;
    const altText = 'Ångström (A\u030angstro\u0308m) 👩🏽‍🌾';
    const res = await postPin(draft({ title, description, altText, assetLabel: '<label & "note">', link: 'https://example.com/a?b=1&c=%3Cx%3E#frag' }));
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toContain('application/json');
    const created = res.json() as PinJson;
    const expected = {
      title: stored,
      description,
      altText: 'Ångström (Ångström) 👩🏽‍🌾',
      assetLabel: '<label & "note">',
      link: 'https://example.com/a?b=1&c=%3Cx%3E#frag',
    };
    expect(created).toMatchObject(expected);
    expect(created.title?.includes('e\u0301')).toBe(false);
    expect(await readPin(created.id)).toMatchObject(expected);
    // Stored so, too: in NFC, not escaped.
    const item = await pinItem(flow, created.id);
    expect(item?.content).toMatchObject({ title: stored, description, altText: expected.altText });
    expect(item?.assetLabel).toBe('<label & "note">');
  });

  it('through PATCH; an empty or blank text clears the field, null too', async () => {
    const pin = await createPin(draft({ title: 'old', description: 'old', altText: 'old' }));
    const res = await callFunction('updatePin', {
      method: 'PATCH',
      url: `/pins/${pin.id}`,
      pathParameters: { id: pin.id },
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ version: 1, title, description: '   ', altText: null }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ title: stored, description: null, altText: null, version: 2 });
    const item = await pinItem(flow, pin.id);
    expect(item?.content).not.toHaveProperty('description');
    expect(item?.content).not.toHaveProperty('altText');
    expect((item?.content as Record<string, unknown>).title).toBe(stored);
  });
});

describe('malformed requests on every Pin route', () => {
  let pin: PinJson;
  let before: Record<string, unknown> | undefined;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    pin = await createPin(draft({ title: 'Untouched' }));
    before = await pinItem(flow, pin.id);
  });

  let keysBefore: string[];
  beforeEach(async () => {
    keysBefore = await storedKeys();
  });

  afterEach(async () => {
    // Nothing a refused request did changed the record, or stored another.
    expect(await pinItem(flow, pin.id)).toEqual(before);
    expect(await storedKeys()).toEqual(keysBefore);
  });

  const withBody = (fn: 'createPin' | 'updatePin' | 'approvePin' | 'rejectPin', headers: Record<string, string>, body: string | undefined, id?: string) => {
    const pinId = id ?? pin.id;
    switch (fn) {
      case 'createPin':
        return callFunction(fn, { method: 'POST', url: '/pins', headers, ...(body === undefined ? {} : { body }) });
      case 'updatePin':
        return callFunction(fn, { method: 'PATCH', url: `/pins/${pinId}`, pathParameters: { id: pinId }, headers, ...(body === undefined ? {} : { body }) });
      case 'approvePin':
        return callFunction(fn, { method: 'POST', url: `/pins/${pinId}/approve`, pathParameters: { id: pinId }, headers, ...(body === undefined ? {} : { body }) });
      case 'rejectPin':
        return callFunction(fn, { method: 'POST', url: `/pins/${pinId}/reject`, pathParameters: { id: pinId }, headers, ...(body === undefined ? {} : { body }) });
    }
  };
  const bodyRoutes = ['createPin', 'updatePin', 'approvePin', 'rejectPin'] as const;
  const validBody = (fn: (typeof bodyRoutes)[number]) => (fn === 'createPin' ? draft() : fn === 'rejectPin' ? { version: 1, reason: 'no' } : { version: 1 });

  it.each(bodyRoutes)('%s: a body that is not JSON by its content type is a 415 saying what to send', async (fn) => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
      const res = await withBody(fn, { 'content-type': type }, JSON.stringify(validBody(fn)));
      expect(res.statusCode).toBe(415);
      expect(errorOf(res)).toMatchObject({ code: 'unsupported_media_type', message: expect.stringContaining('application/json') as unknown });
    }
    const none = await withBody(fn, {}, JSON.stringify(validBody(fn)));
    expect(none.statusCode).toBe(415);
  });

  it.each(bodyRoutes)('%s: malformed JSON is a 400 invalid_json; no body at all a 400 naming the body', async (fn) => {
    for (const text of ['{"version": 1,', "{'version': 1}", 'undefined', '{"version":1}}']) {
      const res = await withBody(fn, json, text);
      expect(res.statusCode).toBe(400);
      expect(errorOf(res)).toMatchObject({ code: 'invalid_json', message: 'The body is not valid JSON' });
    }
    const empty = await withBody(fn, json, undefined);
    expect(empty.statusCode).toBe(400);
    expect(issuePaths(empty)).toEqual(['body']);
    for (const text of ['[]', '"text"', 'null', '7']) {
      const res = await withBody(fn, json, text);
      expect(res.statusCode).toBe(400);
      expect(errorOf(res).code).toBe('validation_failed');
    }
  });

  it.each(bodyRoutes)('%s: an unknown field is a 400 naming it', async (fn) => {
    const res = await withBody(fn, json, JSON.stringify({ ...validBody(fn), publishNow: true }));
    expect(res.statusCode).toBe(400);
    expect((errorOf(res).issues ?? []).find((i) => i.path === 'body')?.message).toContain('publishNow');
  });

  it.each<[(typeof bodyRoutes)[number], number]>([
    ['createPin', PIN_BODY_MAX_BYTES],
    ['updatePin', PIN_BODY_MAX_BYTES],
    ['approvePin', 64 * 1024],
    ['rejectPin', 64 * 1024],
  ])('%s: a body over its limit (%d bytes) is a 413 payload_too_large', async (fn, limit) => {
    const filler = 'A'.repeat(limit);
    const res = await withBody(fn, json, JSON.stringify({ ...validBody(fn), padding: filler }));
    expect(res.statusCode).toBe(413);
    expect(errorOf(res)).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining(String(limit)) as unknown });
  });

  const pathRoutes = [
    ['getPin', 'GET', ''],
    ['updatePin', 'PATCH', ''],
    ['deletePin', 'DELETE', '?version=1'],
    ['getPinMedia', 'GET', '/media'],
    ['approvePin', 'POST', '/approve'],
    ['rejectPin', 'POST', '/reject'],
    ['copyPin', 'POST', '/copy'],
  ] as const;

  const callPath = (fn: (typeof pathRoutes)[number][0], method: string, suffix: string, id: string) => {
    const [rest, query] = suffix.startsWith('?') ? ['', suffix] : [suffix, ''];
    const body = fn === 'updatePin' ? { version: 1, title: 'x' } : fn === 'approvePin' ? { version: 1 } : fn === 'rejectPin' ? { version: 1, reason: 'r' } : undefined;
    return callFunction(fn, {
      method,
      url: `/pins/${encodeURIComponent(id)}${rest}${query}`,
      pathParameters: { id },
      ...(body === undefined ? {} : { headers: json, body: JSON.stringify(body) }),
    });
  };

  it.each(pathRoutes)('%s: a malformed id is a 400 naming path.id; a well-formed unknown one a 404', async (fn, method, suffix) => {
    for (const id of ['not-a-uuid', pin.id.toUpperCase(), `${pin.id}x`, '../PIN', "1' OR '1'='1"]) {
      const res = await callPath(fn, method, suffix, id);
      expect(res.statusCode).toBe(400);
      expect(issuePaths(res)).toEqual(['path.id']);
      expect(errorOf(res).message).toContain('UUID');
    }
    const unknown = await callPath(fn, method, suffix, '00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(errorOf(unknown)).toMatchObject({ code: 'not_found', message: expect.stringContaining('00000000-0000-4000-8000-000000000000') as unknown });
  });

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['a string', '1'],
    ['zero', 0],
    ['negative', -1],
    ['a fraction', 1.5],
    ['null', null],
  ])('a version that is %s is a 400 naming body.version (PATCH, approve, reject)', async (_case, version) => {
    const extra = version === undefined ? {} : { version };
    for (const [fn, body] of [
      ['updatePin', { ...extra, title: 'changed' }],
      ['approvePin', extra],
      ['rejectPin', { ...extra, reason: 'no' }],
    ] as const) {
      const res = await withBody(fn, json, JSON.stringify(body));
      expect(res.statusCode).toBe(400);
      expect(issuePaths(res)).toContain('body.version');
      expect((errorOf(res).issues ?? []).find((i) => i.path === 'body.version')?.message).toContain('version');
    }
  });

  it.each(['', '?version=', '?version=abc', '?version=0', '?version=1.5', '?version=-2', '?version=1&force=true'])('DELETE /pins/{id}%s is a 400 naming the query', async (query) => {
    const res = await callFunction('deletePin', { method: 'DELETE', url: `/pins/${pin.id}${query}`, pathParameters: { id: pin.id } });
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res).some((p) => p.startsWith('query'))).toBe(true);
    expect(errorOf(res).message).toMatch(/query/);
  });

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['empty', ''],
    ['blank', '   \n '],
    ['501 characters', 'r'.repeat(501)],
    ['not text', 5],
  ])('a reject reason that is %s is a 400 naming body.reason', async (_case, reason) => {
    const res = await withBody('rejectPin', json, JSON.stringify({ version: 1, ...(reason === undefined ? {} : { reason }) }));
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res)).toEqual(['body.reason']);
    expect(errorOf(res).message).toContain('reason');
  });

  it.each<[Record<string, string>, string, string]>([
    [{ environment: 'sandbox', status: 'pending' }, 'query.status', 'draft, approved, rejected'],
    [{ environment: 'sandbox', status: 'DRAFT' }, 'query.status', 'status must be one of'],
    [{ environment: 'sandbox' }, 'query.status', 'status must be one of'],
    [{ status: 'draft' }, 'query.environment', 'sandbox or production'],
    [{ environment: 'staging', status: 'draft' }, 'query.environment', 'sandbox or production'],
    [{ environment: 'sandbox', status: 'draft', limit: '0' }, 'query.limit', ''],
    [{ environment: 'sandbox', status: 'draft', limit: '101' }, 'query.limit', ''],
    [{ environment: 'sandbox', status: 'draft', limit: 'ten' }, 'query.limit', ''],
    [{ environment: 'sandbox', status: 'draft', limit: '2.5' }, 'query.limit', ''],
    [{ environment: 'sandbox', status: 'draft', sort: 'asc' }, 'query', 'sort'],
  ])('GET /pins?%o is a 400 naming %s', async (query, path, message) => {
    const res = await callFunction('listPins', { method: 'GET', url: `/pins?${new URLSearchParams(query).toString()}` });
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res)).toContain(path);
    expect((errorOf(res).issues ?? []).find((i) => i.path === path)?.message).toContain(message);
  });

  it('GET /pins with a cursor that is not one it handed out is a 400, not a 500', async () => {
    for (const cursor of ['not-a-cursor', Buffer.from('{"pk":"ACCOUNT#sandbox","sk":"CURRENT"}').toString('base64url'), 'x'.repeat(2049)]) {
      const res = await callFunction('listPins', { method: 'GET', url: `/pins?environment=sandbox&status=draft&cursor=${cursor}` });
      expect(res.statusCode).toBe(400);
      expect(errorOf(res).message).toMatch(/cursor/i);
    }
  });

  it('the GET and DELETE routes refuse a request body, and GET /pins/{id} and its media an unknown query', async () => {
    for (const [fn, method, url] of [
      ['listPins', 'GET', '/pins?environment=sandbox&status=draft'],
      ['getPin', 'GET', `/pins/${pin.id}`],
      ['getPinMedia', 'GET', `/pins/${pin.id}/media`],
      ['deletePin', 'DELETE', `/pins/${pin.id}?version=1`],
    ] as const) {
      const res = await callFunction(fn, { method, url, pathParameters: fn === 'listPins' ? {} : { id: pin.id }, headers: json, body: '{"version":1}' });
      expect(res.statusCode).toBe(400);
      expect(errorOf(res).message).toContain('no request body');
    }
    for (const fn of ['getPin', 'getPinMedia'] as const) {
      const res = await callFunction(fn, { method: 'GET', url: `/pins/${pin.id}${fn === 'getPinMedia' ? '/media' : ''}?include=history`, pathParameters: { id: pin.id } });
      expect(res.statusCode).toBe(400);
      expect((errorOf(res).issues ?? [])[0]?.message).toContain('include');
    }
  });

  it('every refusal is JSON with a code, a message and the request id, and never a stack', async () => {
    const answers = await Promise.all([
      withBody('createPin', { 'content-type': 'text/plain' }, '{}'),
      withBody('updatePin', json, '{'),
      withBody('approvePin', json, '{"version":"x"}'),
      callFunction('listPins', { method: 'GET', url: '/pins?environment=sandbox&status=x' }),
      getPin('bad-id'),
    ]);
    for (const res of answers) {
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.headers['content-type']).toContain('application/json');
      expect(errorOf(res)).toMatchObject({ code: expect.any(String) as unknown, message: expect.any(String) as unknown, requestId: expect.any(String) as unknown });
      expect(res.text).not.toMatch(/\bat .+\(.+:\d+:\d+\)|node_modules|\/work\/|Error:/);
    }
  });
});

describe('internal errors', () => {
  it('a record the code cannot read is a 500 with only the request id: no stack, no schema detail, no stored text', async () => {
    const pin = await createPin(draft({ title: 'Soon unreadable' }));
    // Something the code never writes: the record's image kind is unknown to its schema.
    await clients.dynamo.send(
      new UpdateCommand({ TableName: flow.tables.workflow, Key: { pk: `PIN#${pin.id}`, sk: 'PIN' }, UpdateExpression: 'SET content.media.kind = :k', ExpressionAttributeValues: { ':k': 'secret-kind-7f3a' } }),
    );
    const res = await getPin(pin.id);
    expect(res.statusCode).toBe(500);
    const error = errorOf(res);
    expect(error).toEqual({ code: 'internal_error', message: 'Internal error. Quote the request id to support.', requestId: expect.any(String) as unknown });
    expect(res.text).not.toMatch(/secret-kind-7f3a|Soon unreadable|\bat |zod|invalid_union|\.ts/i);
  });
});

describe('the 4 MiB image limit (decoded bytes)', () => {
  it('accepts an image of exactly 4 MiB (4,194,304 bytes) and refuses one byte more, naming body.imageBase64', async () => {
    const exact = pngBytes(pinLimits.imageBytes);
    const pin = await createPin(draft({ imageUrl: undefined, ...base64Image(exact) }));
    expect(pin.image).toMatchObject({ source: 'stored', bytes: 4_194_304, contentType: 'image/png' });
    const object = await s3Object(storedKey('sandbox', accountId, exact));
    expect(object?.body.length).toBe(4_194_304);
    expect(object?.body.equals(exact)).toBe(true);

    const over = pngBytes(pinLimits.imageBytes + 1);
    const res = await expectRefused(() => postPin(draft({ imageUrl: undefined, ...base64Image(over) })), ['body.imageBase64'], over);
    expect(errorOf(res).message).toContain('4194304 bytes');
  });

  it('accepts a 4 MiB image with every other field at its limit in plain UTF-8 JSON', async () => {
    const image = jpegBytes(pinLimits.imageBytes);
    const body = draft({
      imageUrl: undefined,
      ...base64Image(image, 'image/jpeg'),
      title: '🧘'.repeat(100),
      description: '🌿'.repeat(800),
      altText: '✨'.repeat(500),
      assetLabel: '🍵'.repeat(200),
      link: `https://example.com/${'🪴'.repeat(2048 - 20)}`,
      dominantColor: '#6E7874',
    });
    const res = await postPin(body);
    expect(res.statusCode).toBe(201);
    expect((res.json() as PinJson).image).toMatchObject({ bytes: 4_194_304, contentType: 'image/jpeg' });
  });

  // JSON may escape any character as \uXXXX (Python's json.dumps and `requests` do so for every
  // non-ASCII character by default): an emoji is then 12 bytes. PIN_BODY_MAX_BYTES leaves room for it.
  it('accepts a 4 MiB image with every other field at its limit when the JSON escapes non-ASCII (as Python clients do)', async () => {
    const image = pngBytes(pinLimits.imageBytes);
    const body = draft({
      imageUrl: undefined,
      ...base64Image(image),
      title: '🧘'.repeat(100),
      description: '🌿'.repeat(800),
      altText: '✨'.repeat(500),
      assetLabel: '🍵'.repeat(200),
      link: `https://example.com/${'🪴'.repeat(2048 - 20)}`,
    });
    const asciiJson = JSON.stringify(body).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    expect(JSON.parse(asciiJson)).toEqual(body);
    // Past the base64 of the image plus 32 KiB (the room there was), within the limit, and under Lambda's 6 MB synchronous payload.
    const size = Buffer.byteLength(asciiJson);
    expect(size).toBeGreaterThan(Math.ceil(pinLimits.imageBytes / 3) * 4 + 32 * 1024);
    expect(size).toBeLessThanOrEqual(PIN_BODY_MAX_BYTES);
    expect(PIN_BODY_MAX_BYTES).toBeLessThan(6 * 1000 * 1000);
    const res = await callFunction('createPin', { method: 'POST', url: '/pins', headers: { 'content-type': 'application/json' }, body: asciiJson });
    expect(res.statusCode).toBe(201);
    const pin = res.json() as PinJson;
    expect(pin).toMatchObject({ title: '🧘'.repeat(100), assetLabel: '🍵'.repeat(200), image: { source: 'stored', bytes: 4_194_304 } });
  });

  it('refuses a body one byte over PIN_BODY_MAX_BYTES with 413, and takes one of exactly PIN_BODY_MAX_BYTES past the size check', async () => {
    const base = JSON.stringify(draft({ title: 'Padded' }));
    // Whitespace is valid JSON anywhere between tokens: pad the body to an exact size.
    const padded = (size: number) => `${base.slice(0, -1)}${' '.repeat(size - Buffer.byteLength(base))}}`;
    const atLimit = padded(PIN_BODY_MAX_BYTES);
    expect(Buffer.byteLength(atLimit)).toBe(PIN_BODY_MAX_BYTES);
    const taken = await callFunction('createPin', { method: 'POST', url: '/pins', headers: { 'content-type': 'application/json' }, body: atLimit });
    expect(taken.statusCode).toBe(201);
    const over = await callFunction('createPin', { method: 'POST', url: '/pins', headers: { 'content-type': 'application/json' }, body: padded(PIN_BODY_MAX_BYTES + 1) });
    expect(over.statusCode).toBe(413);
    expect(errorOf(over)).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining(String(PIN_BODY_MAX_BYTES)) as unknown });
  });
});
