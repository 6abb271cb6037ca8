import fc from 'fast-check';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/domain/errors';
import { approvalHolds, contentHash, HISTORY_KEEP, mediaKey, type PinContent, type PinMedia, type PinRecord, type PinStatus } from '../../shared/domain/pins';
import type { PinDeps } from '../../shared/use-cases/pin-ports';
import { approveDraft, copyPin, createDraft, deleteDraft, editDraft, rejectDraft, type ImageInput, type PatchInput } from '../../shared/use-cases/pins';
import { BOARDS, PIN_ACCOUNTS, PinIds, SECTIONS, imageBytes, memoryPinDeps, prng, refsHeldBy, sha256Of, type PinState } from '../support/memory-pins';

/**
 * A model of the review workflow (the design's transition table, written out again here), run against
 * the use cases and the in-memory ports with random sequences of operator actions on a few records,
 * each at the version the operator saw or a stale one, and copies of any record. After every step the
 * stored records must be the model's (their image references included: the model knows which ids each
 * action takes, one per record and one per setting of a stored image), a refused action must have
 * changed nothing and taken no id, and the image references and bytes must be exactly those of the
 * live records holding each image.
 */

const ENV = 'sandbox' as const;
const ACCOUNT = PIN_ACCOUNTS.sandbox;

/* ------------------------------------------------------------------------------------------------
 * The scene the model knows: the standard boards of memoryPinDeps, images by name
 * ---------------------------------------------------------------------------------------------- */

/** The sandbox snapshot: which boards exist, are group boards, and which sections are cached (undefined: never read). */
const SNAPSHOT: Record<string, { group: boolean; sections: readonly string[] | undefined }> = {
  [BOARDS.PLAIN]: { group: false, sections: [SECTIONS.PLAIN_1, SECTIONS.PLAIN_2] },
  [BOARDS.OTHER]: { group: false, sections: [SECTIONS.OTHER_1] },
  [BOARDS.UNCACHED]: { group: false, sections: undefined },
  [BOARDS.GROUP]: { group: true, sections: [SECTIONS.GROUP_1] },
};

const STORED_IMAGES = {
  a: { bytes: imageBytes('a'), contentType: 'image/png' },
  b: { bytes: imageBytes('b'), contentType: 'image/png' },
  c: { bytes: imageBytes('c', 'image/jpeg'), contentType: 'image/jpeg' },
} as const;
const URL_IMAGES = { u1: 'https://images.example.test/one.jpg', u2: 'https://images.example.test/two.png' } as const;
type ImageName = keyof typeof STORED_IMAGES | keyof typeof URL_IMAGES;

function imageInput(name: ImageName): ImageInput {
  if (name === 'u1' || name === 'u2') return { kind: 'url', url: URL_IMAGES[name] };
  const image = STORED_IMAGES[name];
  return { kind: 'bytes', bytes: Buffer.from(image.bytes), contentType: image.contentType };
}

const isUrl = (name: ImageName): name is keyof typeof URL_IMAGES => name === 'u1' || name === 'u2';

/** The image as a record holds it; a stored one by the reference `ref` (`<pinId>:<id>`). */
function mediaOf(name: ImageName, ref: string): PinMedia {
  if (isUrl(name)) return { kind: 'url', url: URL_IMAGES[name] };
  const image = STORED_IMAGES[name];
  const sha256 = sha256Of(image.bytes);
  return { kind: 'stored', sha256, contentType: image.contentType, bytes: image.bytes.length, key: mediaKey(ENV, ACCOUNT, sha256), ref };
}

/* ------------------------------------------------------------------------------------------------
 * Actions
 * ---------------------------------------------------------------------------------------------- */

/** The version an action carries: the one last seen, or off by `delta` (0 is the fresh one too). */
type VersionChoice = { fresh: true } | { delta: number };

type TextFields = { title?: string; description?: string; link?: string; altText?: string; assetLabel?: string };
type CreateAction = { kind: 'create'; boardId: string; sectionId?: string; image: ImageName } & TextFields;
type PatchValue<T> = T | null | undefined;
interface EditAction {
  kind: 'edit';
  target: number;
  version: VersionChoice;
  boardId?: string;
  sectionId: PatchValue<string>;
  title: PatchValue<string>;
  description: PatchValue<string>;
  link: PatchValue<string>;
  assetLabel: PatchValue<string>;
  image?: ImageName;
}
type Action =
  | CreateAction
  | EditAction
  | { kind: 'approve'; target: number; version: VersionChoice }
  | { kind: 'reject'; target: number; version: VersionChoice; reason: string }
  | { kind: 'delete'; target: number; version: VersionChoice }
  | { kind: 'copy'; target: number };

const boardArb = fc.oneof(
  { arbitrary: fc.constantFrom(BOARDS.PLAIN, BOARDS.OTHER, BOARDS.UNCACHED), weight: 8 },
  { arbitrary: fc.constantFrom(BOARDS.GROUP, BOARDS.UNKNOWN), weight: 1 },
);
const sectionArb = fc.constantFrom(SECTIONS.PLAIN_1, SECTIONS.PLAIN_2, SECTIONS.OTHER_1, SECTIONS.GROUP_1);
const textArb = fc.constantFrom('Tea', 'Morning tea 🍵', '<b>&"\'</b>', 'Caf\u00e9 🧘🏽‍♀️');
const linkArb = fc.constantFrom('https://mira.example.test/a', 'https://mira.example.test/b?x=1&y=2');
const imageArb = fc.constantFrom<ImageName>('a', 'b', 'c', 'u1', 'u2');
const versionArb: fc.Arbitrary<VersionChoice> = fc.oneof(
  { arbitrary: fc.constant({ fresh: true as const }), weight: 6 },
  { arbitrary: fc.integer({ min: -2, max: 2 }).map((delta) => ({ delta })), weight: 2 },
);
const targetArb = fc.nat({ max: 7 });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const patchValue = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<PatchValue<T>> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: fc.constant(null), weight: 1 }, { arbitrary: arb, weight: 2 });

const createArb: fc.Arbitrary<Action> = fc.record(
  {
    kind: fc.constant('create' as const),
    boardId: boardArb,
    sectionId: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: sectionArb, weight: 1 }),
    image: imageArb,
    title: optional(textArb),
    description: optional(textArb),
    link: optional(linkArb),
    assetLabel: optional(textArb),
  },
  { requiredKeys: ['kind', 'boardId', 'image'] },
);
const editArb: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant('edit' as const),
  target: targetArb,
  version: versionArb,
  boardId: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: boardArb, weight: 1 }),
  sectionId: patchValue(sectionArb),
  title: patchValue(textArb),
  description: patchValue(textArb),
  link: patchValue(linkArb),
  assetLabel: patchValue(textArb),
  image: fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: imageArb, weight: 1 }),
});
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: createArb, weight: 3 },
  { arbitrary: editArb, weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('approve' as const), target: targetArb, version: versionArb }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('reject' as const), target: targetArb, version: versionArb, reason: fc.constantFrom('Wrong season', 'Not on brand ❄️ <&>') }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), target: targetArb, version: versionArb }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('copy' as const), target: targetArb }), weight: 2 },
);

/** Records some later feature left in a status no operator action reaches (failed, publishing, published). */
const seededArb = fc.subarray(['failed', 'publishing', 'published'] as const, { minLength: 0, maxLength: 2 });

/* ------------------------------------------------------------------------------------------------
 * The model
 * ---------------------------------------------------------------------------------------------- */

interface ModelPin {
  status: PinStatus;
  version: number;
  content: PinContent;
  assetLabel?: string;
  approvalHash?: string;
  rejection?: string;
  copiedFrom?: string;
  /** How many history entries were written, and the last one's action and reason. */
  history: number;
  last: { action: string; reason?: string };
}

type Outcome = 'ok' | typeof NotFoundError | typeof ConflictError | typeof ValidationError;

const statusesFor = {
  edit: ['draft', 'approved', 'rejected', 'failed'],
  approve: ['draft'],
  reject: ['draft', 'approved'],
  delete: ['draft', 'rejected', 'failed'],
} as const satisfies Record<string, readonly PinStatus[]>;

/** Whether a placement is refused (400): an unknown board (when checked), a sandbox group board, a section not cached for the board. */
function placementRefused(boardId: string, sectionId: string | undefined, checkBoard: boolean): boolean {
  const board = SNAPSHOT[boardId];
  if (board === undefined) return checkBoard;
  if (board.group) return true;
  if (sectionId === undefined) return false;
  return board.sections === undefined || !board.sections.includes(sectionId);
}

function withText<T extends object>(target: T, fields: Partial<Record<string, string | undefined>>): T {
  const kept = Object.entries({ ...target, ...fields }).filter(([, value]) => value !== undefined);
  return Object.fromEntries(kept) as T;
}

/** What the model says an action does: the outcome and, when it succeeds, the record it lands on, its next state and the ids it takes. */
interface Expected {
  outcome: Outcome;
  recordId?: string;
  next?: ModelPin | 'deleted';
  idsTaken: number;
}

class World {
  readonly memory: { deps: PinDeps; state: PinState };
  readonly model = new Map<string, ModelPin>();
  /** Every record id ever created (live or deleted), in order: the targets of actions. */
  readonly ids: string[] = [];
  /** The records seeded in a status no operator action reaches. */
  readonly seeded = new Set<string>();
  /** How many ids the use cases have taken so far (records and references alike). */
  issued = 0;

  constructor() {
    this.memory = memoryPinDeps();
  }

  /** The id the `n`th next call of newId answers (from 1). */
  peekId(n: number): string {
    return PinIds.nth(this.issued + n);
  }

  get deps(): PinDeps {
    return this.memory.deps;
  }

  get state(): PinState {
    return this.memory.state;
  }

  async seed(status: PinStatus): Promise<void> {
    const [pinId, refId] = [this.peekId(1), this.peekId(2)];
    const view = await createDraft(this.deps, { environment: ENV, boardId: BOARDS.PLAIN, title: `Seeded ${status}`, image: imageInput('a') });
    expect(view.id).toBe(pinId);
    this.issued += 2;
    const record = this.state.pins.record(view.id) as PinRecord;
    this.state.clock.advance(1_000);
    const at = this.state.clock.now().toISOString();
    this.state.pins.seed({ ...record, status, version: 2, updatedAt: at, history: [...record.history, { action: 'edit', from: 'draft', to: status, at, by: 'system', version: 2 }] });
    this.ids.push(view.id);
    this.seeded.add(view.id);
    this.model.set(view.id, { status, version: 2, content: { boardId: BOARDS.PLAIN, title: `Seeded ${status}`, media: mediaOf('a', `${pinId}:${refId}`) }, history: 2, last: { action: 'edit' } });
  }

  targetOf(index: number): string {
    return this.ids.length === 0 ? 'pin-none' : (this.ids[index % this.ids.length] as string);
  }

  versionFor(pinId: string, choice: VersionChoice): number {
    const known = this.model.get(pinId)?.version ?? 1;
    return 'fresh' in choice ? known : Math.max(0, known + choice.delta);
  }

  /**
   * What the action should do, by the model: the outcome and, when it succeeds, the record it lands on
   * (`pinId`, or the new record of a copy), its next state, and how many ids it takes (a new record's
   * id first, then one for the reference of a stored image it sets). A refusal takes none.
   */
  expect(action: Action, pinId: string, version: number): Expected {
    const refused = (outcome: Outcome): Expected => ({ outcome, idsTaken: 0 });
    if (action.kind === 'create') {
      if (placementRefused(action.boardId, action.sectionId, true)) return refused(ValidationError);
      const content = withText<PinContent>({ boardId: action.boardId, media: mediaOf(action.image, `${pinId}:${this.peekId(2)}`) }, {
        sectionId: action.sectionId,
        title: action.title,
        description: action.description,
        link: action.link,
      });
      const next: ModelPin = { status: 'draft', version: 1, content, ...(action.assetLabel === undefined ? {} : { assetLabel: action.assetLabel }), history: 1, last: { action: 'create' } };
      return { outcome: 'ok', recordId: pinId, next, idsTaken: isUrl(action.image) ? 1 : 2 };
    }
    const current = this.model.get(pinId);
    if (current === undefined) return refused(NotFoundError);
    if (action.kind === 'copy') {
      // Any record, whatever its status: a new draft with its content, sharing its image under a reference of its own.
      const copyId = this.peekId(1);
      const media = current.content.media;
      const stored = media.kind === 'stored';
      const next: ModelPin = {
        status: 'draft',
        version: 1,
        content: { ...current.content, media: stored ? { ...media, ref: `${copyId}:${this.peekId(2)}` } : media },
        ...(current.assetLabel === undefined ? {} : { assetLabel: current.assetLabel }),
        copiedFrom: pinId,
        history: 1,
        last: { action: 'copy', reason: `copied from ${pinId}` },
      };
      return { outcome: 'ok', recordId: copyId, next, idsTaken: stored ? 2 : 1 };
    }
    if (current.version !== version) return refused(ConflictError);
    if (!(statusesFor[action.kind] as readonly PinStatus[]).includes(current.status)) return refused(ConflictError);
    const history = current.history + 1;
    switch (action.kind) {
      case 'approve': {
        if (placementRefused(current.content.boardId, undefined, true)) return refused(ConflictError);
        return { outcome: 'ok', recordId: pinId, next: { ...current, status: 'approved', version: version + 1, approvalHash: contentHash(ENV, current.content), history, last: { action: 'approve' } }, idsTaken: 0 };
      }
      case 'reject': {
        const rest: ModelPin = { ...current };
        delete rest.approvalHash;
        return { outcome: 'ok', recordId: pinId, next: { ...rest, status: 'rejected', version: version + 1, rejection: action.reason, history, last: { action: 'reject', reason: action.reason } }, idsTaken: 0 };
      }
      case 'delete':
        return { outcome: 'ok', recordId: pinId, next: 'deleted', idsTaken: 0 };
      case 'edit': {
        const boardChanged = action.boardId !== undefined && action.boardId !== current.content.boardId;
        const boardId = action.boardId ?? current.content.boardId;
        const sectionId = action.sectionId === undefined ? (boardChanged ? undefined : current.content.sectionId) : (action.sectionId ?? undefined);
        if ((boardChanged || typeof action.sectionId === 'string') && placementRefused(boardId, sectionId, boardChanged)) return refused(ValidationError);
        const patched = (value: PatchValue<string>, was: string | undefined) => (value === undefined ? was : (value ?? undefined));
        // A new image, even the same bytes again, is a new setting: a new reference, the old one let go.
        const content = withText<PinContent>({ boardId, media: action.image === undefined ? current.content.media : mediaOf(action.image, `${pinId}:${this.peekId(1)}`) }, {
          sectionId,
          title: patched(action.title, current.content.title),
          description: patched(action.description, current.content.description),
          link: patched(action.link, current.content.link),
          altText: current.content.altText,
          dominantColor: current.content.dominantColor,
        });
        const assetLabel = patched(action.assetLabel, current.assetLabel);
        const next: ModelPin = {
          status: 'draft',
          version: version + 1,
          content,
          ...(assetLabel === undefined ? {} : { assetLabel }),
          ...(current.copiedFrom === undefined ? {} : { copiedFrom: current.copiedFrom }),
          history,
          last: { action: 'edit' },
        };
        return { outcome: 'ok', recordId: pinId, next, idsTaken: action.image === undefined || isUrl(action.image) ? 0 : 1 };
      }
    }
  }

  async run(action: Action, pinId: string, version: number): Promise<{ id: string; status: string; version: number } | { deleted: true }> {
    switch (action.kind) {
      case 'create': {
        const { boardId, sectionId, title, description, link, assetLabel, image } = action;
        return createDraft(this.deps, { environment: ENV, boardId, sectionId, title, description, link, assetLabel, image: imageInput(image) });
      }
      case 'edit': {
        const patch: PatchInput = { version };
        if (action.boardId !== undefined) patch.boardId = action.boardId;
        for (const field of ['sectionId', 'title', 'description', 'link', 'assetLabel'] as const) {
          const value = action[field];
          if (value !== undefined) patch[field] = value;
        }
        if (action.image !== undefined) patch.image = imageInput(action.image);
        return editDraft(this.deps, pinId, patch);
      }
      case 'approve':
        return approveDraft(this.deps, pinId, version);
      case 'reject':
        return rejectDraft(this.deps, pinId, version, action.reason);
      case 'delete':
        return { ...(await deleteDraft(this.deps, pinId, version)), deleted: true };
      case 'copy':
        return copyPin(this.deps, pinId);
    }
  }

  /** The stores, for "nothing changed". */
  everything() {
    return { records: this.state.pins.all(), refs: this.state.media.allRefs(), objects: this.state.media.objectKeys() };
  }

  /** The stored records and images are the model's (one comparison of both sides, projected alike). */
  check(): void {
    const actualRecords = this.state.pins.all().map((record) => ({
      pinId: record.pinId,
      environment: record.environment,
      accountId: record.accountId,
      status: record.status,
      version: record.version,
      content: record.content,
      assetLabel: record.assetLabel ?? null,
      approval:
        record.approval === undefined
          ? null
          : { contentHash: record.approval.contentHash, by: record.approval.by, coversContent: record.approval.contentHash === contentHash(ENV, record.content), holds: approvalHolds(record) },
      hasApprovalAttribute: 'approval' in record,
      rejection: record.rejection?.reason ?? null,
      copiedFrom: record.copiedFrom ?? null,
      history: record.history.length,
      lastEntry: { action: record.history.at(-1)?.action, to: record.history.at(-1)?.to, version: record.history.at(-1)?.version, reason: record.history.at(-1)?.reason ?? null },
      historyVersions: record.history.every((entry, i) => entry.version === i + 1),
    }));
    const expectedRecords = [...this.model.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([pinId, model]) => ({
        pinId,
        environment: ENV,
        accountId: ACCOUNT,
        status: model.status,
        version: model.version,
        content: model.content,
        assetLabel: model.assetLabel ?? null,
        approval: model.approvalHash === undefined ? null : { contentHash: model.approvalHash, by: 'operator', coversContent: true, holds: true },
        hasApprovalAttribute: model.approvalHash !== undefined,
        rejection: model.rejection ?? null,
        copiedFrom: model.copiedFrom ?? null,
        history: Math.min(model.history, HISTORY_KEEP),
        lastEntry: { action: model.last.action, to: model.status, version: model.version, reason: model.last.reason ?? null },
        historyVersions: true,
      }));
    // Images: a reference set per image held, exactly the model's live records' own references; its bytes (by their hash) under its key.
    const refs = new Map<string, string[]>();
    for (const model of this.model.values()) {
      const media = model.content.media;
      if (media.kind === 'stored') refs.set(media.sha256, [...(refs.get(media.sha256) ?? []), media.ref]);
    }
    const expectedRefs = Object.fromEntries([...refs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sha, held]) => [`${ENV}#${ACCOUNT}#${sha}`, held.sort()]));
    const expectedObjects = Object.fromEntries([...refs.keys()].sort().map((sha) => [mediaKey(ENV, ACCOUNT, sha), sha]));
    const actualObjects = Object.fromEntries(this.state.media.objectKeys().map((key) => [key, sha256Of(this.state.media.bytesOf(key) ?? Buffer.alloc(0))]));
    expect({ records: actualRecords, refs: this.state.media.allRefs(), objects: actualObjects, idsIssued: this.state.ids.issued }).toEqual({
      records: expectedRecords,
      refs: expectedRefs,
      objects: expectedObjects,
      idsIssued: this.issued,
    });
  }
}

/* ------------------------------------------------------------------------------------------------
 * The properties
 * ---------------------------------------------------------------------------------------------- */

const RUNS = 1_000;

describe('the review workflow against its model', () => {
  it(`matches the model after every step of random action sequences (${String(RUNS)} runs)`, async () => {
    const tally = new Map<string, number>();
    const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(seededArb, fc.array(actionArb, { minLength: 1, maxLength: 14 }), async (seeded, actions) => {
        runs += 1;
        const world = new World();
        for (const status of seeded) await world.seed(status);
        world.check();
        for (const action of actions) {
          world.state.clock.advance(1_000);
          // At most 3 records under review at once (besides the seeded ones).
          const reviewing = [...world.model.keys()].filter((pinId) => !world.seeded.has(pinId)).length;
          if ((action.kind === 'create' || action.kind === 'copy') && reviewing >= 3) continue;
          const pinId = action.kind === 'create' ? world.peekId(1) : world.targetOf(action.target);
          const version = action.kind === 'create' || action.kind === 'copy' ? 1 : world.versionFor(pinId, action.version);
          const expected = world.expect(action, pinId, version);
          const before = world.everything();
          let answer: Awaited<ReturnType<World['run']>> | undefined;
          let failure: unknown;
          try {
            answer = await world.run(action, pinId, version);
          } catch (error) {
            failure = error;
          }
          if (expected.outcome === 'ok') {
            if (failure !== undefined) throw failure instanceof Error ? failure : new Error('a non-Error was thrown', { cause: failure });
            count(`${action.kind}:ok`);
            const recordId = expected.recordId ?? pinId;
            world.issued += expected.idsTaken;
            if (action.kind === 'create' || action.kind === 'copy') world.ids.push(recordId);
            if (expected.next === 'deleted') {
              world.model.delete(recordId);
              expect(answer).toEqual({ id: recordId, deleted: true });
            } else if (expected.next !== undefined) {
              world.model.set(recordId, expected.next);
              expect(answer).toMatchObject({ id: recordId, status: expected.next.status, version: expected.next.version });
            }
          } else {
            expect(failure).toBeInstanceOf(expected.outcome);
            count(`${action.kind}:${expected.outcome.name}`);
            if (failure instanceof ConflictError && world.model.has(pinId)) {
              const model = world.model.get(pinId) as ModelPin;
              // 409: where the record is (its status, or board_missing), and the record itself when the version was stale.
              expect(failure.details?.currentState).toBe(model.status);
              if (model.version !== version) expect(failure.details?.current).toMatchObject({ id: pinId, version: model.version, status: model.status });
            }
            expect(world.everything()).toEqual(before);
          }
          world.check();
        }
      }),
      { numRuns: RUNS },
    );
    expect(runs).toBe(RUNS);
    // The sequences did reach every kind of success and refusal.
    for (const key of ['create:ok', 'create:ValidationError', 'edit:ok', 'edit:ConflictError', 'edit:ValidationError', 'edit:NotFoundError', 'approve:ok', 'approve:ConflictError', 'reject:ok', 'reject:ConflictError', 'delete:ok', 'delete:ConflictError', 'copy:ok', 'copy:NotFoundError']) {
      expect([key, (tally.get(key) ?? 0) > 0]).toEqual([key, true]);
    }
  }, 60_000);
});

/* ------------------------------------------------------------------------------------------------
 * Races
 * ---------------------------------------------------------------------------------------------- */

describe('approve racing edit at the same version', () => {
  it('20 parallel pairs: exactly one of each pair wins; the record is approved for its exact content, or edited without an approval', async () => {
    const wins = { approve: 0, edit: 0 };
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = prng(seed);
      const memory = memoryPinDeps({ jitter: () => Math.floor(random() * 4) });
      const { deps, state } = memory;
      const originals: PinRecord[] = [];
      for (let i = 0; i < 20; i += 1) {
        const image: ImageInput = i % 2 === 0 ? { kind: 'bytes', bytes: imageBytes('shared'), contentType: 'image/png' } : { kind: 'url', url: `https://images.example.test/${String(i)}.jpg` };
        const view = await createDraft(deps, { environment: ENV, boardId: BOARDS.PLAIN, title: `Pin ${String(i)}`, image });
        originals.push(state.pins.record(view.id) as PinRecord);
      }
      state.clock.advance(60_000);
      const edits: PatchInput[] = originals.map((_, i) => {
        switch (i % 4) {
          case 0:
            return { version: 1, title: `Edited ${String(i)}` };
          case 1:
            return { version: 1, image: { kind: 'bytes', bytes: imageBytes(`new-${String(i)}`), contentType: 'image/png' } };
          case 2:
            return { version: 1, boardId: BOARDS.OTHER, sectionId: SECTIONS.OTHER_1 };
          default:
            return { version: 1, description: 'Now with words', title: null };
        }
      });
      const calls = originals.flatMap((record, i) => {
        const pair = [
          { kind: 'approve' as const, pinId: record.pinId, run: () => approveDraft(deps, record.pinId, 1) },
          { kind: 'edit' as const, pinId: record.pinId, run: () => editDraft(deps, record.pinId, edits[i] as PatchInput) },
        ];
        return random() < 0.5 ? pair : pair.reverse();
      });
      const results = await Promise.allSettled(calls.map((call) => call.run()));
      for (const [i, original] of originals.entries()) {
        const outcomes = calls.map((call, j) => ({ call, result: results[j] })).filter(({ call }) => call.pinId === original.pinId);
        expect(outcomes).toHaveLength(2);
        const won = outcomes.filter(({ result }) => result?.status === 'fulfilled');
        const lost = outcomes.filter(({ result }) => result?.status === 'rejected');
        expect([original.pinId, won.length, lost.length]).toEqual([original.pinId, 1, 1]);
        const reason = lost[0]?.result?.status === 'rejected' ? (lost[0].result.reason as unknown) : undefined;
        expect(reason).toBeInstanceOf(ConflictError);
        const record = state.pins.record(original.pinId) as PinRecord;
        expect(record.version).toBe(2);
        expect(record.history).toHaveLength(2);
        if (won[0]?.call.kind === 'approve') {
          wins.approve += 1;
          expect(record.status).toBe('approved');
          expect(record.content).toEqual(original.content);
          expect(record.approval?.contentHash).toBe(contentHash(ENV, record.content));
          expect(approvalHolds(record)).toBe(true);
        } else {
          wins.edit += 1;
          expect(record.status).toBe('draft');
          expect(record).not.toHaveProperty('approval');
          expect(record.content).not.toEqual(original.content);
          expect(record.history.at(-1)).toMatchObject({ action: 'edit', version: 2 });
          if (i % 4 === 2) expect(record.content).toMatchObject({ boardId: BOARDS.OTHER, sectionId: SECTIONS.OTHER_1 });
        }
        // Either way: an approval present is one that covers the content.
        expect(record.approval === undefined || approvalHolds(record)).toBe(true);
      }
      // The images are exactly those the surviving records hold, each by the record's own reference (the losers' let go).
      const records = state.pins.all();
      expect(state.media.allRefs()).toEqual(refsHeldBy(records));
      const held = new Set(records.flatMap((record) => (record.content.media.kind === 'stored' ? [record.content.media.sha256] : [])));
      expect(state.media.objectKeys()).toEqual([...held].map((sha) => mediaKey(ENV, ACCOUNT, sha)).sort());
    }
    // Both kinds of winner happened: the race was a race.
    expect(wins.approve + wins.edit).toBe(100);
    expect(wins.approve).toBeGreaterThan(0);
    expect(wins.edit).toBeGreaterThan(0);
  });
});
