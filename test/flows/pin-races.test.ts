import { contentHash, mediaKey, pinContentSchema, pinRecordSchema } from '../../shared/domain/pins';
import * as z from '../../shared/zod';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { clients } from '../support/aws';
import { resetBoardFlow, setUpBoardFlow } from '../support/board-flow';
import type { TestResponse } from '../support/http';
import {
  accountIdOf,
  approvePin,
  base64Image,
  createPin,
  deletePin,
  errorOf,
  getMedia,
  getPin,
  holderOf,
  mediaRefItem,
  mediaRefs,
  patchPin,
  pinAndMediaItems,
  pinItem,
  pngBytes,
  postCopy,
  postPin,
  readPin,
  recordRef,
  recordRefs,
  rejectPin,
  s3Object,
  sandboxBoard,
  sha256,
  type PinJson,
} from '../support/pin-flow';

/**
 * Requests racing on the same record at the same version, through the real handlers against
 * dynalite and s3rver: each change is one conditional write, so exactly one of two wins and the
 * other is a 409; an approval left standing always covers the content stored; images stay consistent
 * with the records that hold them: an image's reference item holds exactly the references of the
 * records that hold it (each record its own, `<pinId>:<unique id>`), and its bytes are in the bucket.
 */

const flow = setUpBoardFlow('pin-races');
let boardId: string;
let accountId: string;

beforeAll(async () => {
  await resetBoardFlow(flow, ['sandbox']);
  boardId = (await sandboxBoard('Race board')).id;
  accountId = await accountIdOf(flow, 'sandbox');
});

const keyOf = (bytes: Buffer) => mediaKey('sandbox', accountId, sha256(bytes));
const refsOf = (bytes: Buffer): Promise<string[] | undefined> => mediaRefs(flow, 'sandbox', accountId, bytes);

const PAIRS = 20;

/** The record as stored, read with the SDK and parsed with the product's schema. */
async function storedRecord(id: string) {
  return z.parse(pinRecordSchema, await pinItem(flow, id));
}

const statuses = (pair: TestResponse[]) => pair.map((res) => res.statusCode).sort();

describe('approve racing an edit at the same version', () => {
  it(`${String(PAIRS)} parallel pairs: exactly one of each wins, and an approval left standing hashes the content stored`, async () => {
    const originals = Array.from({ length: PAIRS }, () => pngBytes(2000));
    const replacements = Array.from({ length: PAIRS }, () => pngBytes(2000));
    const pins = await Promise.all(
      originals.map((bytes, i) => createPin({ environment: 'sandbox', boardId, title: `Race ${String(i)}`, ...base64Image(bytes) })),
    );

    // Even pairs edit the title, odd pairs replace the image.
    const edits = pins.map((pin, i) => (i % 2 === 0 ? { version: 1, title: `Race ${String(i)}, edited` } : { version: 1, ...base64Image(replacements[i] as Buffer) }));
    const results = await Promise.all(pins.map((pin, i) => Promise.all([approvePin(pin.id, 1), patchPin(pin.id, edits[i])])));

    let approvals = 0;
    for (const [i, [approve, edit]] of results.entries()) {
      const pin = pins[i] as PinJson;
      expect(statuses([approve, edit])).toEqual([200, 409]);
      const loser = approve.statusCode === 409 ? approve : edit;
      expect(errorOf(loser).code).toBe('conflict');

      const view = await readPin(pin.id);
      const stored = await storedRecord(pin.id);
      expect(view.version).toBe(2);
      if (approve.statusCode === 200) {
        approvals += 1;
        expect(view).toMatchObject({ status: 'approved', title: `Race ${String(i)}` });
        expect(view.approval?.contentHash).toBe(contentHash(stored.environment, z.parse(pinContentSchema, stored.content)));
        expect(stored.approval?.contentHash).toBe(view.approval?.contentHash);
        expect(view.approval?.holds).toBe(true);
      } else {
        expect(view).toMatchObject({ status: 'draft', approval: null });
        expect(stored.approval).toBeUndefined();
        expect(stored.history.map((entry) => entry.action)).toEqual(['create', 'edit']);
      }
      // The image is the winner's, served and held; the other one is gone from the bucket.
      const imageNow = i % 2 === 1 && edit.statusCode === 200 ? (replacements[i] as Buffer) : (originals[i] as Buffer);
      const imageGone = imageNow === originals[i] ? replacements[i] : originals[i];
      expect((await getMedia(pin.id)).body.equals(imageNow)).toBe(true);
      expect(stored.content.media).toMatchObject({ kind: 'stored', sha256: sha256(imageNow) });
      expect(await refsOf(imageNow)).toEqual([await recordRef(flow, pin.id)]);
      if (i % 2 === 1) {
        expect(await s3Object(keyOf(imageGone as Buffer))).toBeUndefined();
        expect(await refsOf(imageGone as Buffer)).toBeUndefined();
      }
    }
    // Both outcomes are possible; which one each pair had is checked above, whatever the split.
    expect(approvals + results.filter(([approve]) => approve.statusCode === 409).length).toBe(PAIRS);
  });
});

describe('other races at the same version', () => {
  it('approve racing reject: one wins; the record is approved with its approval, or rejected without one', async () => {
    const pins = await Promise.all(Array.from({ length: 10 }, (_, i) => createPin({ environment: 'sandbox', boardId, title: `AR ${String(i)}`, imageUrl: 'https://images.example.com/a.jpg' })));
    const results = await Promise.all(pins.map((pin) => Promise.all([approvePin(pin.id, 1), rejectPin(pin.id, 1, 'Not this one')])));
    for (const [i, [approve, reject]] of results.entries()) {
      expect(statuses([approve, reject])).toEqual([200, 409]);
      const view = await readPin((pins[i] as PinJson).id);
      expect(view.version).toBe(2);
      if (approve.statusCode === 200) expect(view).toMatchObject({ status: 'approved', rejection: null, approval: { holds: true } });
      else expect(view).toMatchObject({ status: 'rejected', approval: null, rejection: { reason: 'Not this one' } });
    }
  });

  it('delete racing an edit: one wins; a deleted record is gone with its image, an edited one stays with its image', async () => {
    const images = Array.from({ length: 10 }, () => pngBytes(1500));
    const pins = await Promise.all(images.map((bytes) => createPin({ environment: 'sandbox', boardId, ...base64Image(bytes) })));
    const results = await Promise.all(pins.map((pin) => Promise.all([deletePin(pin.id, 1), patchPin(pin.id, { version: 1, title: 'Kept' })])));
    for (const [i, [del, edit]] of results.entries()) {
      const pin = pins[i] as PinJson;
      expect(statuses([del, edit])).toEqual([200, 409]);
      if (del.statusCode === 200) {
        expect((await getPin(pin.id)).statusCode).toBe(404);
        expect(await s3Object(keyOf(images[i] as Buffer))).toBeUndefined();
      } else {
        expect(await readPin(pin.id)).toMatchObject({ version: 2, title: 'Kept' });
        expect((await getMedia(pin.id)).body.equals(images[i] as Buffer)).toBe(true);
      }
    }
  });

  it('two deletes of the same record: one 200, the other a 404 or 409, never a 500', async () => {
    const pins = await Promise.all(Array.from({ length: 5 }, () => createPin({ environment: 'sandbox', boardId, imageUrl: 'https://images.example.com/b.jpg' })));
    const results = await Promise.all(pins.map((pin) => Promise.all([deletePin(pin.id, 1), deletePin(pin.id, 1)])));
    for (const pair of results) {
      const [first, second] = statuses(pair);
      expect(first).toBe(200);
      expect([404, 409]).toContain(second);
    }
  });

  // Two PATCHes at the same version setting the same new image (a double-submitted form) each take a
  // reference of their own: the loser's 409 lets go of only its own, never of the winner's.
  it('a double-submitted PATCH replacing the image: one wins, and the winner\'s new image stays in the bucket, held and served', async () => {
    const rounds = 8;
    const olds = Array.from({ length: rounds }, () => pngBytes(1200));
    const news = Array.from({ length: rounds }, () => pngBytes(1200));
    const pins = await Promise.all(olds.map((bytes) => createPin({ environment: 'sandbox', boardId, ...base64Image(bytes) })));
    const results = await Promise.all(
      pins.map((pin, i) => {
        const body = { version: 1, ...base64Image(news[i] as Buffer) };
        return Promise.all([patchPin(pin.id, body), patchPin(pin.id, body)]);
      }),
    );
    for (const [i, pair] of results.entries()) {
      const pin = pins[i] as PinJson;
      expect(statuses(pair)).toEqual([200, 409]);
      expect(await readPin(pin.id)).toMatchObject({ version: 2, image: { sha256: sha256(news[i] as Buffer) } });
      expect(await s3Object(keyOf(olds[i] as Buffer))).toBeUndefined();
      expect(await refsOf(olds[i] as Buffer)).toBeUndefined();
      const ref = await recordRef(flow, pin.id);
      expect(holderOf(ref)).toBe(pin.id);
      expect(await refsOf(news[i] as Buffer)).toEqual([ref]);
      expect((await s3Object(keyOf(news[i] as Buffer)))?.body.equals(news[i] as Buffer)).toBe(true);
      const media = await getMedia(pin.id);
      expect(media.statusCode).toBe(200);
      expect(media.body.equals(news[i] as Buffer)).toBe(true);
    }
  });
});

describe('shared images under concurrency', () => {
  const claim = (bytes: Buffer, untilMs: number) =>
    clients.dynamo.send(
      new PutCommand({ TableName: flow.tables.workflow, Item: { pk: `MEDIA#sandbox#${accountId}#${sha256(bytes)}`, sk: 'MEDIA', claimId: 'a-removal', claimUntil: untilMs } }),
    );

  it('a draft taking an image a live removal has claimed waits, then is told to send it again (409), storing nothing', async () => {
    const bytes = pngBytes(900);
    await claim(bytes, Date.now() + 5 * 60_000);
    const before = (await pinAndMediaItems(flow)).pins.length;
    const res = await postPin({ environment: 'sandbox', boardId, ...base64Image(bytes) });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'conflict', message: expect.stringContaining('send it again') as unknown });
    expect((await pinAndMediaItems(flow)).pins.length).toBe(before);
    expect(await s3Object(keyOf(bytes))).toBeUndefined();
  });

  it('a draft taking an image whose removal stopped (its claim ran out) takes it over and stores the bytes', async () => {
    const bytes = pngBytes(900);
    await claim(bytes, Date.now() - 1000);
    const pin = await createPin({ environment: 'sandbox', boardId, ...base64Image(bytes) });
    const ref = await mediaRefItem(flow, 'sandbox', accountId, sha256(bytes));
    expect(ref).not.toHaveProperty('claimId');
    expect(ref).not.toHaveProperty('claimUntil');
    expect(await refsOf(bytes)).toEqual([await recordRef(flow, pin.id)]);
    expect((await getMedia(pin.id)).body.equals(bytes)).toBe(true);
  });

  it('drafts created in parallel with the same image share one object held by all of them; deleted in parallel, it goes', async () => {
    const bytes = pngBytes(3000);
    const pins = await Promise.all(Array.from({ length: 8 }, () => createPin({ environment: 'sandbox', boardId, ...base64Image(bytes) })));
    expect(await refsOf(bytes)).toEqual(await recordRefs(flow, pins.map((p) => p.id)));
    expect((await refsOf(bytes))?.map(holderOf).sort()).toEqual(pins.map((p) => p.id).sort());
    expect((await s3Object(keyOf(bytes)))?.body.equals(bytes)).toBe(true);

    const deleted = await Promise.all(pins.map((pin) => deletePin(pin.id, 1)));
    expect(deleted.map((res) => res.statusCode)).toEqual(pins.map(() => 200));
    expect(await s3Object(keyOf(bytes))).toBeUndefined();
    expect(await mediaRefItem(flow, 'sandbox', accountId, sha256(bytes))).toBeUndefined();
  });

  it('a new draft taking an image while its last holder is deleted ends with the image stored and served', async () => {
    for (let round = 0; round < 8; round += 1) {
      const bytes = pngBytes(2500);
      const first = await createPin({ environment: 'sandbox', boardId, ...base64Image(bytes) });
      const [del, created] = await Promise.all([deletePin(first.id, 1), postPin({ environment: 'sandbox', boardId, ...base64Image(bytes) })]);
      expect(del.statusCode).toBe(200);
      expect(created.statusCode).toBe(201);
      const second = created.json() as PinJson;
      expect(await refsOf(bytes)).toEqual([await recordRef(flow, second.id)]);
      expect((await s3Object(keyOf(bytes)))?.body.equals(bytes)).toBe(true);
      expect((await getMedia(second.id)).body.equals(bytes)).toBe(true);
    }
  });
});

describe('copies under concurrency', () => {
  it('two copies of one record in parallel are two drafts, each holding the image by its own reference', async () => {
    const bytes = pngBytes(1800);
    const source = await createPin({ environment: 'sandbox', boardId, ...base64Image(bytes) });
    const answers = await Promise.all([postCopy(source.id), postCopy(source.id)]);
    expect(answers.map((res) => res.statusCode)).toEqual([201, 201]);
    const copies = answers.map((res) => res.json() as PinJson);
    expect(new Set(copies.map((copy) => copy.id)).size).toBe(2);
    expect(copies.map((copy) => copy.copiedFrom)).toEqual([source.id, source.id]);
    expect(await refsOf(bytes)).toEqual(await recordRefs(flow, [source.id, ...copies.map((copy) => copy.id)]));
    for (const copy of copies) expect((await getMedia(copy.id)).body.equals(bytes)).toBe(true);
  });

  it('a copy racing the deletion of its source: the copy holds the bytes, or is refused (404 or 409) and nothing is left', async () => {
    for (let round = 0; round < 8; round += 1) {
      const bytes = pngBytes(1600);
      const source = await createPin({ environment: 'sandbox', boardId, ...base64Image(bytes) });
      const [copied, deleted] = await Promise.all([postCopy(source.id), deletePin(source.id, 1)]);
      expect(deleted.statusCode).toBe(200);
      if (copied.statusCode === 201) {
        const copy = copied.json() as PinJson;
        expect(await refsOf(bytes)).toEqual([await recordRef(flow, copy.id)]);
        expect((await getMedia(copy.id)).body.equals(bytes)).toBe(true);
      } else {
        expect([404, 409]).toContain(copied.statusCode);
        expect(await refsOf(bytes)).toBeUndefined();
        expect(await s3Object(keyOf(bytes))).toBeUndefined();
      }
    }
  });
});
