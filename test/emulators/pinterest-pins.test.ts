import { SEED } from '../../local/emulators/pinterest';
import { expectConforms, loadContract } from '../support/contract';
import { FakeClock, PNG_BASE64, useHarness, jsonOf, type Json } from './pinterest-harness';

/** Creating and reading Pins (`POST /v5/pins`, `GET /v5/pins/{id}`, Trial's limits) over HTTP. */

const clock = new FakeClock();
const h = useHarness(clock);

const IMAGE_URL = 'https://cdn.miradigitalzen.example/pins/calm-desk.jpg';

/** Just the bytes the emulator reads: a PNG signature and IHDR with the given size. */
function pngHeader(width: number, height: number): string {
  const bytes = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]).copy(bytes);
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  return bytes.toString('base64');
}

/** A JPEG start: SOI, an APP0 segment, then a baseline start-of-frame with the size. */
function jpegHeader(width: number, height: number): string {
  const app0 = [0xff, 0xe0, 0x00, 0x04, 0x00, 0x00];
  const sof = [0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x03];
  return Buffer.from([0xff, 0xd8, ...app0, ...sof, ...Array<number>(9).fill(0)]).toString('base64');
}

async function sandboxBoard(token: string): Promise<string> {
  const res = await h.api('sandbox', token, '/boards', { name: 'Sandbox test board' });
  expect(res.status).toBe(201);
  return String((await jsonOf(res)).id);
}

function pinBody(boardId: string, extra: Json = {}): Json {
  return { board_id: boardId, title: 'Calm desk', description: 'A desk', link: 'https://miradigitalzen.example/desk', alt_text: 'A desk by a window', media_source: { source_type: 'image_url', url: IMAGE_URL }, ...extra };
}

describe('POST /v5/pins', () => {
  it('creates an image Pin in the sandbox: 201, the documented fields, the image re-hosted', async () => {
    const token = h.tokenFor('sandbox');
    const boardId = await sandboxBoard(token);
    const res = await h.api('sandbox', token, '/pins', pinBody(boardId));
    expect(res.status).toBe(201);
    expect(res.headers.get('x-pinterest-rid')).not.toBeNull();
    expect(res.headers.get('x-ratelimit-limit')).toBe('300');
    const text = await res.text();
    expect(text).not.toContain(IMAGE_URL);
    const pin = JSON.parse(text) as Json;
    expect(pin).toMatchObject({
      created_at: '2026-03-01T12:00:00',
      board_id: boardId,
      board_section_id: null,
      board_owner: { username: 'miradigitalzen' },
      title: 'Calm desk',
      description: 'A desk',
      link: 'https://miradigitalzen.example/desk',
      alt_text: 'A desk by a window',
      creative_type: 'REGULAR',
      is_owner: true,
      is_standard: true,
      has_been_promoted: false,
    });
    expect(pin.id).toMatch(/^\d+$/);
    expect(pin.dominant_color).toMatch(/^#[0-9A-F]{6}$/);
    const media = pin.media as { media_type: string; images: Record<string, { url: string; width: number; height: number }> };
    expect(media.media_type).toBe('image');
    expect(Object.keys(media.images).sort()).toEqual(['1200x', '150x150', '400x300', '600x']);
    for (const image of Object.values(media.images)) expect(image.url).toMatch(/^https:\/\/i\.pinimg\.com\/\w+\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{32}\.jpg$/);
    expectConforms(loadContract().validateResponse({ method: 'POST', path: '/v5/pins', status: 201, body: pin }));
  });

  it('decodes base64 images, sizes the renditions from them, and never echoes the data', async () => {
    const token = h.tokenFor('sandbox');
    const boardId = await sandboxBoard(token);
    const data = pngHeader(800, 1200);
    const png = await h.api('sandbox', token, '/pins', { board_id: boardId, media_source: { source_type: 'image_base64', content_type: 'image/png', data } });
    expect(png.status).toBe(201);
    const text = await png.text();
    expect(text).not.toContain(data);
    expect((JSON.parse(text) as { media: { images: Record<string, Json> } }).media.images['600x']).toMatchObject({ width: 600, height: 900 });
    const jpeg = await h.api('sandbox', token, '/pins', { board_id: boardId, media_source: { source_type: 'image_base64', content_type: 'image/jpeg', data: jpegHeader(1000, 500) } });
    expect(((await jsonOf(jpeg)).media as { images: Record<string, Json> }).images['1200x']).toMatchObject({ width: 1200, height: 600 });
    const notImage = await h.api('sandbox', token, '/pins', { board_id: boardId, media_source: { source_type: 'image_base64', content_type: 'image/png', data: 'aGVsbG8=' } });
    expect(notImage.status).toBe(400);
    expect((await h.api('sandbox', token, '/pins', { board_id: boardId, media_source: { source_type: 'image_base64', content_type: 'image/png', data: PNG_BASE64 } })).status).toBe(201);
  });

  it('accepts every text field at its limit (characters, not bytes)', async () => {
    const token = h.tokenFor('sandbox');
    const limits = { title: '🌿'.repeat(100), description: 'd'.repeat(800), link: `https://x.example/${'a'.repeat(2048 - 18)}`, alt_text: 'a'.repeat(500) };
    const res = await h.api('sandbox', token, '/pins', pinBody(await sandboxBoard(token), limits));
    expect(res.status).toBe(201);
    expect(await jsonOf(res)).toMatchObject(limits);
  });

  const media = (source: Json): Json => ({ media_source: source });
  it.each<[string, Json, string]>([
    ['a non-numeric board_id', { board_id: 'abc' }, "'abc' does not match '^\\\\d+$' - 'board_id'"],
    ['no board_id', { board_id: undefined }, "'board_id' is a required property"],
    ['a non-numeric board_section_id', { board_section_id: 's1' }, "- 'board_section_id'"],
    ['a 101-character title', { title: 't'.repeat(101) }, "is too long (maximum 100 characters) - 'title'"],
    ['an 801-character description', { description: 'd'.repeat(801) }, "(maximum 800 characters) - 'description'"],
    ['a 2049-character link', { link: 'l'.repeat(2049) }, "(maximum 2048 characters) - 'link'"],
    ['a 501-character alt_text', { alt_text: 'a'.repeat(501) }, "(maximum 500 characters) - 'alt_text'"],
    ['a numeric title', { title: 5 }, "5 is not of type 'string' - 'title'"],
    ['no media_source', { media_source: undefined }, "'media_source' is a required property"],
    ['an unknown source_type', media({ source_type: 'gif' }), "- 'media_source.source_type'"],
    ['an image_url without url', media({ source_type: 'image_url' }), "'url' is a required property - 'media_source'"],
    ['a GIF content_type', media({ source_type: 'image_base64', content_type: 'image/gif', data: 'AAAA' }), "- 'media_source.content_type'"],
    ['base64 data with other characters', media({ source_type: 'image_base64', content_type: 'image/png', data: 'data:image/png;base64,AAAA' }), "does not match '^[a-zA-Z0-9+/=]+$' - 'media_source.data'"],
    ['a video Pin in the sandbox', media({ source_type: 'video_id', media_id: '123' }), 'API Sandbox'],
    ['a carousel', media({ source_type: 'multiple_image_urls', items: [{ url: IMAGE_URL }, { url: IMAGE_URL }] }), "'multiple_image_urls' is not supported"],
  ])('answers %s with 400 code 1 naming the field', async (_what, change, message) => {
    const token = h.tokenFor('sandbox');
    const res = await h.api('sandbox', token, '/pins', pinBody(await sandboxBoard(token), change));
    expect(res.status).toBe(400);
    const body = await jsonOf(res);
    expect(body.code).toBe(1);
    expect(body.message).toContain(message);
  });

  it('answers 404 Board not found. for a board of another environment or user', async () => {
    const token = h.tokenFor('sandbox');
    const res = await h.api('sandbox', token, '/pins', pinBody(SEED.known.firstBoard.id));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 404, message: 'Board not found.' });
    h.emulator.controls.setTier('standard');
    const other = await h.api('production', h.tokenFor('production'), '/pins', pinBody(SEED.known.otherUsersBoard.id));
    expect(other.status).toBe(404);
  });

  it('places a Pin in a section of its board, and refuses a section of another board', async () => {
    h.emulator.controls.setTier('standard');
    const token = h.tokenFor('production');
    const { items } = (await (await h.api('production', token, `/boards/${SEED.known.secondBoard.id}/sections`)).json()) as { items: Json[] };
    const sectionId = String(items[0]?.id);
    const wrong = await h.api('production', token, '/pins', pinBody(SEED.known.firstBoard.id, { board_section_id: sectionId }));
    expect(wrong.status).toBe(404);
    expect(await wrong.json()).toEqual({ code: 404, message: 'Board section not found.' });
    const right = await h.api('production', token, '/pins', pinBody(SEED.known.secondBoard.id, { board_section_id: sectionId }));
    expect(right.status).toBe(201);
    expect((await jsonOf(right)).board_section_id).toBe(sectionId);
  });

  it('refuses a Trial app on production with 403 code 29 and creates nothing', async () => {
    const token = h.tokenFor('production');
    const res = await h.api('production', token, '/pins', pinBody(SEED.known.fourthBoard.id));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      code: 29,
      message: 'Apps with Trial access may not create Pins in production https://api.pinterest.com - use API Sandbox https://api-sandbox.pinterest.com instead.',
    });
    const pins = (await (await h.api('production', token, `/boards/${SEED.known.fourthBoard.id}/pins`)).json()) as { items: Json[] };
    expect(pins.items).toHaveLength(SEED.known.fourthBoard.pins);
  });

  it('creates on production under Standard access, also on a group board the user joined', async () => {
    h.emulator.controls.setTier('standard');
    const token = h.tokenFor('production');
    expect((await h.api('production', token, '/pins', pinBody(SEED.known.fourthBoard.id))).status).toBe(201);
    const group = await h.api('production', token, '/pins', pinBody(SEED.known.joinedGroupBoard.id));
    expect(group.status).toBe(201);
    expect(await jsonOf(group)).toMatchObject({ board_owner: { username: 'someone_else' }, is_owner: true });
  });

  it('needs all four scopes', async () => {
    const token = h.tokenFor('sandbox', ['boards:read', 'boards:write', 'pins:read']);
    const res = await h.api('sandbox', token, '/pins', pinBody('1'));
    expect(res.status).toBe(403);
    expect((await jsonOf(res)).code).toBe(29);
  });
});

describe('GET /v5/pins/{pin_id}', () => {
  it('answers 200 with the Pin as created, and 404 code 50 for an unknown id', async () => {
    const token = h.tokenFor('sandbox');
    const created = await jsonOf(await h.api('sandbox', token, '/pins', pinBody(await sandboxBoard(token))));
    const res = await h.api('sandbox', token, `/pins/${String(created.id)}`);
    expect(res.status).toBe(200);
    const pin = await jsonOf(res);
    expect(pin).toEqual(created);
    expectConforms(loadContract().validateResponse({ method: 'GET', path: `/v5/pins/${String(created.id)}`, status: 200, body: pin }));
    const missing = await h.api('sandbox', token, '/pins/123456789');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: 50, message: 'Pin not found.' });
  });

  it('keeps environments apart: a sandbox Pin is 404 on production, a seeded one 404 on the sandbox', async () => {
    const sandbox = h.tokenFor('sandbox');
    const created = await jsonOf(await h.api('sandbox', sandbox, '/pins', pinBody(await sandboxBoard(sandbox))));
    const production = h.tokenFor('production');
    expect((await h.api('production', production, `/pins/${String(created.id)}`)).status).toBe(404);
    expect((await h.api('production', production, `/pins/${SEED.known.newestPin.id}`)).status).toBe(200);
    expect((await h.api('sandbox', sandbox, `/pins/${SEED.known.newestPin.id}`)).status).toBe(404);
  });

  it('needs pins:read', async () => {
    const res = await h.api('production', h.tokenFor('production', ['boards:read']), `/pins/${SEED.known.newestPin.id}`);
    expect(res.status).toBe(403);
  });
});

describe('Pins of a board and of a section', () => {
  it('pages a seeded board newest first', async () => {
    const { pages, bookmarks } = await h.allPages('production', h.tokenFor('production'), `/boards/${SEED.known.firstBoard.id}/pins`, 25);
    expect(pages.map((p) => p.length)).toEqual([25, 5]);
    expect(bookmarks.at(-1)).toBeNull();
    const pins = pages.flat();
    expect(pins[0]).toMatchObject({ id: SEED.known.newestPin.id, created_at: SEED.known.newestPin.createdAt });
    const times = pins.map((p) => String(p.created_at));
    expect(times).toEqual([...times].sort().reverse());
    expect(new Set(pins.map((p) => p.id)).size).toBe(SEED.known.firstBoard.pins);
  });

  it('lists a new Pin first, and of two Pins of the same second the later-created first', async () => {
    h.emulator.controls.setTier('standard');
    const token = h.tokenFor('production');
    const path = `/boards/${SEED.known.fourthBoard.id}/pins`;
    const first = await jsonOf(await h.api('production', token, '/pins', pinBody(SEED.known.fourthBoard.id)));
    const second = await jsonOf(await h.api('production', token, '/pins', pinBody(SEED.known.fourthBoard.id)));
    const { items } = (await (await h.api('production', token, `${path}?page_size=3`)).json()) as { items: Json[] };
    expect(items.map((p) => p.id).slice(0, 2)).toEqual([second.id, first.id]);
  });

  it('pages a section’s Pins newest first, all in that section', async () => {
    const token = h.tokenFor('production');
    const sections = (await (await h.api('production', token, `/boards/${SEED.known.firstBoard.id}/sections`)).json()) as { items: Json[] };
    const sectionId = String(sections.items[0]?.id);
    const { pages } = await h.allPages('production', token, `/boards/${SEED.known.firstBoard.id}/sections/${sectionId}/pins`, 4);
    expect(pages.map((p) => p.length)).toEqual([4, 2]);
    expect(pages.flat().every((p) => p.board_section_id === sectionId)).toBe(true);
    const times = pages.flat().map((p) => String(p.created_at));
    expect(times).toEqual([...times].sort().reverse());
    expect(SEED.known.firstBoard.pinsInFirstSection).toBe(6);
  });

  it('answers 404 for a section of another board and for an unknown board', async () => {
    const token = h.tokenFor('production');
    const sections = (await (await h.api('production', token, `/boards/${SEED.known.secondBoard.id}/sections`)).json()) as { items: Json[] };
    const res = await h.api('production', token, `/boards/${SEED.known.firstBoard.id}/sections/${String(sections.items[0]?.id)}/pins`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 404, message: 'Board or section not found.' });
    expect((await h.api('production', token, '/boards/42/pins')).status).toBe(404);
  });

  it('conforms to the OpenAPI description', async () => {
    const body = await jsonOf(await h.api('production', h.tokenFor('production'), `/boards/${SEED.known.firstBoard.id}/pins?page_size=3`));
    expectConforms(loadContract().validateResponse({ method: 'GET', path: `/v5/boards/${SEED.known.firstBoard.id}/pins`, status: 200, body }));
  });
});
