import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { mediaKey } from '../../shared/domain/pins';
import { clients, names } from '../support/aws';
import { resetBoardFlow, setUpBoardFlow } from '../support/board-flow';
import {
  accountIdOf,
  approvePin,
  base64Image,
  copyPin,
  createPin,
  deletePin,
  errorOf,
  getMedia,
  holderOf,
  jpegBytes,
  mediaRefItem,
  mediaRefs,
  patchPin,
  pinAndMediaItems,
  pinItem,
  pngBytes,
  postCopy,
  readPin,
  recordRef,
  recordRefs,
  s3Object,
  sandboxBoard,
  scanTable,
  sha256,
  type PinJson,
} from '../support/pin-flow';

/**
 * Base64 images through the real handlers, the data bucket (s3rver) and the workflow table (dynalite):
 * the bytes live in S3 at media/<env>/<account>/<sha256> and never in a DynamoDB item; GET
 * /pins/{id}/media serves them as they were sent with the sniffed type; records with the same image
 * share one object, each by a reference of its own (`<pinId>:<unique id>`, in the reference item and in
 * the record), and the object goes (with its reference item) only when the last record lets go of it.
 */

const flow = setUpBoardFlow('pin-media');
let boardId: string;
let accountId: string;

beforeAll(async () => {
  await resetBoardFlow(flow, ['sandbox']);
  boardId = (await sandboxBoard('Pin media board')).id;
  accountId = await accountIdOf(flow, 'sandbox');
});

const keyOf = (bytes: Buffer) => mediaKey('sandbox', accountId, sha256(bytes));
const refOf = (bytes: Buffer) => mediaRefItem(flow, 'sandbox', accountId, sha256(bytes));
/** The references the image's reference item holds, sorted. */
const refsOf = (bytes: Buffer) => mediaRefs(flow, 'sandbox', accountId, bytes);
/** The records' own references, sorted: what the reference item must hold, neither more nor less. */
const refsOfRecords = (...ids: string[]) => recordRefs(flow, ids);
/** The Pin ids holding the image, one per reference. */
const holdersOf = async (bytes: Buffer) => (await refsOf(bytes))?.map(holderOf).sort();
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const draftWith = (bytes: Buffer, contentType = 'image/png', extra: Record<string, unknown> = {}) =>
  createPin({ environment: 'sandbox', boardId, title: 'Moss garden in a shallow bowl', ...base64Image(bytes, contentType), ...extra });

describe('a stored image', () => {
  it('is put in the data bucket under media/sandbox/<account>/<sha256> with the exact bytes, and the record keeps only key, hash, type, size and its own reference', async () => {
    const bytes = jpegBytes(50_000);
    const pin = await draftWith(bytes, 'image/jpeg');
    const hash = sha256(bytes);
    expect(pin.image).toEqual({ source: 'stored', contentType: 'image/jpeg', bytes: 50_000, sha256: hash, path: `/pins/${pin.id}/media` });
    const key = `media/sandbox/${accountId}/${hash}`;
    expect(accountId).toMatch(/^\d+$/);
    const object = await s3Object(key);
    expect(object?.body.equals(bytes)).toBe(true);
    expect(object?.contentType).toBe('image/jpeg');
    const media = ((await pinItem(flow, pin.id))?.content as { media: Record<string, unknown> }).media;
    expect(media).toEqual({ kind: 'stored', sha256: hash, contentType: 'image/jpeg', bytes: 50_000, key, ref: expect.stringMatching(new RegExp(`^${pin.id}:${UUID}$`)) as unknown });
    expect(await refsOf(bytes)).toEqual([media.ref]);
    expect(await holdersOf(bytes)).toEqual([pin.id]);
  });

  it('is served by GET /pins/{id}/media byte for byte, with its type, nosniff, no-store and an inline file name', async () => {
    const bytes = pngBytes(123_457);
    const pin = await draftWith(bytes);
    const res = await getMedia(pin.id);
    expect(res.statusCode).toBe(200);
    expect(res.body.equals(bytes)).toBe(true);
    expect(res.headers).toMatchObject({
      'content-type': 'image/png',
      'content-length': '123457',
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
      'content-disposition': `inline; filename="pin-${pin.id}.png"`,
    });
  });

  it('is a PNG when its bytes are a PNG declared as image/jpeg: stored, recorded and served as image/png', async () => {
    const bytes = pngBytes(4096);
    const pin = await draftWith(bytes, 'image/jpeg');
    expect(pin.image).toMatchObject({ source: 'stored', contentType: 'image/png' });
    expect((await s3Object(keyOf(bytes)))?.contentType).toBe('image/png');
    expect((await pinItem(flow, pin.id))?.content).toMatchObject({ media: { contentType: 'image/png' } });
    const res = await getMedia(pin.id);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-disposition']).toContain('.png"');
    expect(res.body.equals(bytes)).toBe(true);
    // And the other way round: a JPEG declared as PNG is a JPEG.
    const jpeg = jpegBytes(4096);
    const other = await draftWith(jpeg, 'image/png');
    expect(other.image).toMatchObject({ contentType: 'image/jpeg' });
    expect((await getMedia(other.id)).headers['content-type']).toBe('image/jpeg');
  });

  it('is never in a DynamoDB item: no item of any table holds the base64 text, a piece of it, or any long base64 run', async () => {
    const images = [pngBytes(30_000), jpegBytes(2_000), pngBytes(600)];
    const texts = images.map((bytes) => bytes.toString('base64'));
    const pins: PinJson[] = [];
    for (const bytes of images) pins.push(await draftWith(bytes));
    // An edit that replaces the image, and a refused one, leave no trace either.
    const replacement = jpegBytes(10_000);
    texts.push(replacement.toString('base64'));
    expect((await patchPin(pins[0]?.id ?? '', { version: 1, ...base64Image(replacement, 'image/jpeg') })).statusCode).toBe(200);
    const refused = pngBytes(700);
    texts.push(refused.toString('base64'));
    expect((await patchPin(pins[1]?.id ?? '', { version: 1, ...base64Image(refused), title: 'x'.repeat(101) })).statusCode).toBe(400);

    const sets = (_key: string, value: unknown) => (value instanceof Set ? [...(value as Set<unknown>)] : value);
    for (const table of [flow.tables.workflow, flow.tables.state, flow.tables.audit]) {
      for (const item of await scanTable(table)) {
        const text = JSON.stringify(item, sets);
        for (const base64 of texts) {
          expect(text).not.toContain(base64.slice(0, 40));
          expect(text).not.toContain(base64.slice(1000 % base64.length, (1000 % base64.length) + 40));
        }
        // Longer than any hash or id the product stores (a SHA-256 in hex is 64).
        expect(text.match(/[A-Za-z0-9+/]{100,}={0,2}/g)).toBeNull();
      }
    }
  });

  it('answers 404 for a draft whose image is a URL, and for a stored image gone from the bucket (never a 500)', async () => {
    const byUrl = await createPin({ environment: 'sandbox', boardId, imageUrl: 'https://images.example.com/a.png' });
    const res = await getMedia(byUrl.id);
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body.toString('utf8'))).toMatchObject({ error: { code: 'not_found', message: expect.stringContaining('https://images.example.com/a.png') as unknown } });

    const bytes = pngBytes();
    const pin = await draftWith(bytes);
    await clients.s3.send(new DeleteObjectCommand({ Bucket: names.bucket, Key: keyOf(bytes) }));
    const gone = await getMedia(pin.id);
    expect(gone.statusCode).toBe(404);
    expect(gone.body.toString('utf8')).toContain('missing from the data bucket');
  });
});

describe('shared images', () => {
  it('two drafts with the same image share one object; deleting one keeps it, deleting both removes it and its reference item', async () => {
    const bytes = pngBytes(20_000);
    const first = await draftWith(bytes);
    const second = await draftWith(bytes, 'image/png', { title: 'The same image again' });
    expect(second.image).toMatchObject({ sha256: first.image.source === 'stored' ? first.image.sha256 : '' });
    const { pins } = await pinAndMediaItems(flow);
    const keys = pins.filter((p) => [first.id, second.id].includes(String(p.pinId))).map((p) => (p.content as { media: { key: string } }).media.key);
    expect(keys).toEqual([keyOf(bytes), keyOf(bytes)]);
    expect(await refsOf(bytes)).toEqual(await refsOfRecords(first.id, second.id));
    expect(await holdersOf(bytes)).toEqual([first.id, second.id].sort());

    expect((await deletePin(first.id, 1)).json()).toEqual({ id: first.id, deleted: true });
    expect((await s3Object(keyOf(bytes)))?.body.equals(bytes)).toBe(true);
    expect(await refsOf(bytes)).toEqual(await refsOfRecords(second.id));
    expect((await getMedia(second.id)).body.equals(bytes)).toBe(true);

    expect((await deletePin(second.id, 1)).statusCode).toBe(200);
    expect(await s3Object(keyOf(bytes))).toBeUndefined();
    expect(await refOf(bytes)).toBeUndefined();
    expect(await pinItem(flow, second.id)).toBeUndefined();
  });

  it('an image that was removed can be stored again by a new draft', async () => {
    const bytes = jpegBytes(3000);
    const first = await draftWith(bytes, 'image/jpeg');
    expect((await deletePin(first.id, 1)).statusCode).toBe(200);
    expect(await s3Object(keyOf(bytes))).toBeUndefined();
    const again = await draftWith(bytes, 'image/jpeg');
    expect((await getMedia(again.id)).body.equals(bytes)).toBe(true);
    expect(await refsOf(bytes)).toEqual(await refsOfRecords(again.id));
  });

  it('a delete refused (stale version, or an approved record) lets go of nothing', async () => {
    const bytes = pngBytes(5000);
    const pin = await draftWith(bytes);
    expect((await deletePin(pin.id, 2)).statusCode).toBe(409);
    const approved = await approvePin(pin.id, 1);
    expect(approved.statusCode).toBe(200);
    const refused = await deletePin(pin.id, 2);
    expect(refused.statusCode).toBe(409);
    expect(errorOf(refused).currentState).toBe('approved');
    expect((await s3Object(keyOf(bytes)))?.body.equals(bytes)).toBe(true);
    expect(await refsOf(bytes)).toEqual(await refsOfRecords(pin.id));
  });
});

describe('replacing the image with PATCH', () => {
  it('removes the old object when no other record holds it, and serves the new bytes', async () => {
    const old = pngBytes(8000);
    const pin = await draftWith(old);
    const next = jpegBytes(9000);
    const res = await patchPin(pin.id, { version: 1, ...base64Image(next, 'image/jpeg') });
    expect(res.statusCode).toBe(200);
    expect((res.json() as PinJson).image).toMatchObject({ source: 'stored', contentType: 'image/jpeg', bytes: 9000, sha256: sha256(next) });
    expect(await s3Object(keyOf(old))).toBeUndefined();
    expect(await refOf(old)).toBeUndefined();
    expect((await s3Object(keyOf(next)))?.body.equals(next)).toBe(true);
    const media = await getMedia(pin.id);
    expect(media.headers['content-type']).toBe('image/jpeg');
    expect(media.body.equals(next)).toBe(true);
  });

  it('keeps the old object while another record still holds it', async () => {
    const shared = pngBytes(8000);
    const a = await draftWith(shared);
    const b = await draftWith(shared);
    const next = pngBytes(8000);
    expect((await patchPin(a.id, { version: 1, ...base64Image(next) })).statusCode).toBe(200);
    expect((await s3Object(keyOf(shared)))?.body.equals(shared)).toBe(true);
    expect(await refsOf(shared)).toEqual(await refsOfRecords(b.id));
    expect(await refsOf(next)).toEqual(await refsOfRecords(a.id));
    expect((await getMedia(b.id)).body.equals(shared)).toBe(true);
    expect((await getMedia(a.id)).body.equals(next)).toBe(true);
  });

  it('to a URL lets the stored image go; sending the same bytes again keeps the one object, held by the record\'s new reference only', async () => {
    const bytes = pngBytes(7000);
    const pin = await draftWith(bytes);
    const before = await recordRef(flow, pin.id);
    const same = await patchPin(pin.id, { version: 1, ...base64Image(bytes) });
    expect(same.statusCode).toBe(200);
    expect((await s3Object(keyOf(bytes)))?.body.equals(bytes)).toBe(true);
    const after = await recordRef(flow, pin.id);
    expect(after).not.toBe(before);
    expect(holderOf(after)).toBe(pin.id);
    expect(await refsOf(bytes)).toEqual([after]);

    const toUrl = await patchPin(pin.id, { version: 2, imageUrl: 'https://images.example.com/moss.png' });
    expect(toUrl.statusCode).toBe(200);
    expect((toUrl.json() as PinJson).image).toEqual({ source: 'url', url: 'https://images.example.com/moss.png' });
    expect(await s3Object(keyOf(bytes))).toBeUndefined();
    expect(await refOf(bytes)).toBeUndefined();
    expect((await getMedia(pin.id)).statusCode).toBe(404);
  });

  it('a refused PATCH (stale version, bad field, unknown board) stores no new image and keeps the old one', async () => {
    const old = pngBytes(6000);
    const pin = await draftWith(old);
    const attempts = [
      { version: 7 },
      { version: 1, title: 't'.repeat(101) },
      { version: 1, boardId: '549755813000999999' },
    ];
    for (const attempt of attempts) {
      const next = pngBytes(6000);
      const res = await patchPin(pin.id, { ...attempt, ...base64Image(next) });
      expect([400, 409]).toContain(res.statusCode);
      expect(await s3Object(keyOf(next))).toBeUndefined();
      expect(await refOf(next)).toBeUndefined();
    }
    expect((await readPin(pin.id)).version).toBe(1);
    expect((await getMedia(pin.id)).body.equals(old)).toBe(true);
    expect(await refsOf(old)).toEqual(await refsOfRecords(pin.id));
  });
});

describe('copying a record with POST /pins/{id}/copy', () => {
  it('shares the stored object under the copy\'s own reference, writing no bytes; deleting the source keeps it, deleting both removes it', async () => {
    const bytes = pngBytes(6500);
    const source = await draftWith(bytes, 'image/png', { description: 'Copied as is' });
    const copy = await copyPin(source.id);
    expect(copy).toMatchObject({ status: 'draft', version: 1, copiedFrom: source.id, description: 'Copied as is', approval: null });
    expect(copy.id).not.toBe(source.id);
    expect(copy.image).toEqual({ ...source.image, path: `/pins/${copy.id}/media` });
    expect(copy.history).toEqual([{ action: 'copy', from: null, to: 'draft', at: copy.createdAt, by: 'operator', version: 1, reason: `copied from ${source.id}` }]);
    const [sourceRef, copyRef] = [await recordRef(flow, source.id), await recordRef(flow, copy.id)];
    expect(copyRef).toMatch(new RegExp(`^${copy.id}:${UUID}$`));
    expect(await refsOf(bytes)).toEqual([sourceRef, copyRef].sort());
    expect((await getMedia(copy.id)).body.equals(bytes)).toBe(true);

    expect((await deletePin(source.id, 1)).statusCode).toBe(200);
    expect(await refsOf(bytes)).toEqual([copyRef]);
    expect((await s3Object(keyOf(bytes)))?.body.equals(bytes)).toBe(true);
    expect((await getMedia(copy.id)).body.equals(bytes)).toBe(true);

    expect((await deletePin(copy.id, 1)).statusCode).toBe(200);
    expect(await s3Object(keyOf(bytes))).toBeUndefined();
    expect(await refOf(bytes)).toBeUndefined();
  });

  it('a copy of a record whose image is a URL keeps the URL and takes no reference', async () => {
    const source = await createPin({ environment: 'sandbox', boardId, imageUrl: 'https://images.example.com/copied.png' });
    const copy = await copyPin(source.id);
    expect(copy).toMatchObject({ copiedFrom: source.id, image: { source: 'url', url: 'https://images.example.com/copied.png' } });
    expect(((await pinItem(flow, copy.id))?.content as { media: unknown }).media).toEqual({ kind: 'url', url: 'https://images.example.com/copied.png' });
  });

  it('a record whose object is gone from the bucket is not copied (409), and its reference item is left as it was', async () => {
    const bytes = pngBytes(3300);
    const source = await draftWith(bytes);
    await clients.s3.send(new DeleteObjectCommand({ Bucket: names.bucket, Key: keyOf(bytes) }));
    const pinsBefore = (await pinAndMediaItems(flow)).pins.length;
    const res = await postCopy(source.id);
    expect(res.statusCode).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'conflict', currentState: 'draft', message: expect.stringContaining('is gone') as unknown });
    expect((await pinAndMediaItems(flow)).pins.length).toBe(pinsBefore);
    expect(await refsOf(bytes)).toEqual(await refsOfRecords(source.id));
  });
});
