import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SEED } from '../../local/emulators/pinterest';
import { FakeClock, Harness, PNG_BASE64, jsonOf, type Json } from './pinterest-harness';

/** Boards and Pins in the data file: kept across restarts, written only when something changed. */

const clock = new FakeClock();
let dir: string;
let dataFile: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pinterest-content-'));
  dataFile = path.join(dir, 'pinterest.json');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function withEmulator<T>(run: (h: Harness) => Promise<T>): Promise<T> {
  const h = await Harness.start(clock, { dataFile });
  try {
    return await run(h);
  } finally {
    await h.emulator.close();
  }
}

async function listAll(h: Harness, environment: 'sandbox' | 'production', token: string): Promise<Json[]> {
  return (await h.allPages(environment, token, '/boards', 250)).pages.flat();
}

describe('content persistence', () => {
  it('keeps a created board and Pin across a restart, and does not seed twice', async () => {
    const created = await withEmulator(async (h) => {
      const token = h.tokenFor('sandbox');
      const board = await jsonOf(await h.api('sandbox', token, '/boards', { name: 'Kept' }));
      const media = { source_type: 'image_base64', content_type: 'image/png', data: PNG_BASE64 };
      const pin = await jsonOf(await h.api('sandbox', token, '/pins', { board_id: board.id, title: 'Kept pin', media_source: media }));
      return { board, pin, token };
    });
    await withEmulator(async (h) => {
      expect((await listAll(h, 'sandbox', created.token)).map((b) => b.id)).toEqual([created.board.id]);
      expect(await jsonOf(await h.api('sandbox', created.token, `/pins/${String(created.pin.id)}`))).toEqual(created.pin);
      expect(await listAll(h, 'production', h.tokenFor('production'))).toHaveLength(SEED.production.listedForDefaultUser);
    });
  });

  it('does not rewrite the data file for read-only requests', async () => {
    await withEmulator(async (h) => {
      const token = h.tokenFor('production');
      const before = statSync(dataFile).ino;
      expect((await h.api('production', token, '/boards?page_size=250')).status).toBe(200);
      expect((await h.api('production', token, `/boards/${SEED.known.firstBoard.id}/pins`)).status).toBe(200);
      // Every write is a temp file renamed over the data file, so a rewrite changes the inode.
      expect(statSync(dataFile).ino).toBe(before);
      expect((await h.api('production', token, '/boards', { name: 'Written' })).status).toBe(201);
      expect(statSync(dataFile).ino).not.toBe(before);
    });
  });

  it('seeds a data file written before boards existed, once, leaving its tokens intact', async () => {
    const token = await withEmulator((h) => Promise.resolve(h.tokenFor('production')));
    const state = JSON.parse(readFileSync(dataFile, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
    const contentKeys = new Set(['boards', 'sections', 'pins', 'nextSeq', 'seeded']);
    for (const [name, world] of Object.entries(state.environments)) {
      state.environments[name] = Object.fromEntries(Object.entries(world).filter(([key]) => !contentKeys.has(key)));
    }
    writeFileSync(dataFile, JSON.stringify(state));
    await withEmulator(async (h) => {
      expect(await listAll(h, 'production', token)).toHaveLength(SEED.production.listedForDefaultUser);
      expect(await listAll(h, 'sandbox', h.tokenFor('sandbox'))).toEqual([]);
    });
    await withEmulator(async (h) => {
      expect(await listAll(h, 'production', token)).toHaveLength(SEED.production.listedForDefaultUser);
    });
  });
});
