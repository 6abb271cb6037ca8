import { createHash } from 'node:crypto';
import { takeSeq, type BoardPrivacy, type BoardRecord, type SectionRecord } from './records';
import { BOARD_QUALIFIERS, BOARD_TOPICS, DOMINANT_COLORS, IMAGE_HEIGHTS, OTHER_USER_BOARDS, PIN_TITLES, SECTION_NAMES } from './seed-data';
import type { World } from './state';
import type { PinterestEnvironment } from './types';

/**
 * What a world holds when it is first created. Production: the default user's ~600 boards (more than
 * two pages at the maximum page_size of 250), a few with sections and Pins, some SECRET/PROTECTED ones,
 * and group boards both ways. The sandbox starts empty, as a new sandbox account does (sandbox entities
 * are separate from production ones). Everything is a pure function of the constants below (a fixed
 * pseudo-random sequence, fixed dates), so every start and every reset yields the same ids, names and
 * times.
 */

const DEFAULT_USER = '1000000000000000001';
const OTHER_USER = '1000000000000000002';

/** Boards the default user owns; indexes below count among them (0 = the first created). */
const OWNED_BOARDS = 597;
const SECRET_AT: readonly number[] = [10, 160, 310, 460];
const PROTECTED_AT: readonly number[] = [75, 375];
/** The default user's boards with the other user as collaborator. */
const SHARED_AT: readonly number[] = [5, 6];
/** The other user's group boards are created right after these, so they fall on different pages. */
const GROUP_AFTER: readonly number[] = [99, 299, 499];
/** Pins on the default user's boards, by index; the first group board gets GROUP_PINS more. */
const PINS_AT: ReadonlyMap<number, number> = new Map([
  [0, 30],
  [1, 8],
  [3, 5],
]);
const GROUP_PINS = 3;

const BOARD_ID_PREFIX = '5497558130';
const SECTION_ID_PREFIX = '5497559000';
const PIN_ID_PREFIX = '8137442260';
const HOUR_MS = 3_600_000;
const FIRST_BOARD_MS = Date.UTC(2022, 0, 10, 9, 0, 0);
/** Seed Pins are older than any test clock or real "now", so new Pins always list first. */
const NEWEST_PIN_MS = Date.UTC(2026, 0, 31, 18, 0, 0);

function seedId(prefix: string, n: number): string {
  return prefix + String(n).padStart(8, '0');
}

/** Name of the default user's i-th board; (i + ⌊i/40⌋) mod 15 keeps all 600 combinations distinct. */
function boardName(i: number): string {
  const topic = BOARD_TOPICS[i % BOARD_TOPICS.length] ?? 'Board';
  const qualifier = BOARD_QUALIFIERS[(i + Math.floor(i / BOARD_TOPICS.length)) % BOARD_QUALIFIERS.length] ?? '';
  return `${topic} ${qualifier}`;
}

/** The id of the default user's i-th board (the other user's group boards are interleaved). */
function ownedBoardId(i: number): string {
  return seedId(BOARD_ID_PREFIX, i + 1 + GROUP_AFTER.filter((after) => after < i).length);
}

function privacyAt(i: number): BoardPrivacy {
  if (SECRET_AT.includes(i)) return 'SECRET';
  return PROTECTED_AT.includes(i) ? 'PROTECTED' : 'PUBLIC';
}

/** mulberry32: tiny, seeded, and the same on every platform. */
function pseudoRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class SeedBuilder {
  private readonly random = pseudoRandom(20_260_301);
  private pinCount = 0;

  constructor(private readonly world: World) {}

  private below(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(items: readonly T[], fallback: T): T {
    return items[this.below(items.length)] ?? fallback;
  }

  board(ownerId: string, name: string, privacy: BoardPrivacy, collaboratorIds: string[]): BoardRecord {
    const n = this.world.boards.size + 1;
    const record: BoardRecord = {
      id: seedId(BOARD_ID_PREFIX, n),
      seq: takeSeq(this.world),
      ownerId,
      name,
      description: n % 3 === 0 ? null : `Ideas and inspiration: ${name}.`,
      privacy,
      createdMs: FIRST_BOARD_MS + (n - 1) * 36 * HOUR_MS + this.below(60) * 60_000,
      collaboratorIds,
      followerCount: this.below(5000),
      isAdsOnly: false,
    };
    this.world.boards.set(record.id, record);
    return record;
  }

  section(board: BoardRecord, name: string): SectionRecord {
    const n = this.world.sections.size + 1;
    const record = { id: seedId(SECTION_ID_PREFIX, n), seq: takeSeq(this.world), boardId: board.id, name, createdMs: board.createdMs + n * HOUR_MS };
    this.world.sections.set(record.id, record);
    return record;
  }

  /** Each Pin is 16 hours and some minutes older than the one before: a month of past Pins. */
  pin(board: BoardRecord, sectionId: string | null, creatorId: string): void {
    const n = ++this.pinCount;
    const title = this.pick(PIN_TITLES, 'Pin');
    this.world.pins.set(seedId(PIN_ID_PREFIX, n), {
      id: seedId(PIN_ID_PREFIX, n),
      seq: takeSeq(this.world),
      boardId: board.id,
      sectionId,
      creatorId,
      createdMs: NEWEST_PIN_MS - (n - 1) * (16 * HOUR_MS + 37 * 60_000),
      title,
      description: `${title}. Saved to ${board.name}.`,
      link: `https://miradigitalzen.example/ideas/${n}`,
      altText: n % 4 === 0 ? null : `Photo: ${title.toLowerCase()}`,
      dominantColor: this.pick(DOMINANT_COLORS, '#6E7874'),
      parentPinId: null,
      isStandard: true,
      image: { key: createHash('sha256').update(`seed-pin-${n}`).digest('hex').slice(0, 32), width: 1000, height: this.pick(IMAGE_HEIGHTS, 1500) },
    });
  }

  build(): void {
    const owned: BoardRecord[] = [];
    const groups: BoardRecord[] = [];
    for (let i = 0; i < OWNED_BOARDS; i++) {
      owned.push(this.board(DEFAULT_USER, boardName(i), privacyAt(i), SHARED_AT.includes(i) ? [OTHER_USER] : []));
      const group = GROUP_AFTER.indexOf(i);
      if (group >= 0) groups.push(this.board(OTHER_USER, OTHER_USER_BOARDS[group] ?? 'Group board', 'PUBLIC', [DEFAULT_USER]));
    }
    for (const name of OTHER_USER_BOARDS.slice(GROUP_AFTER.length)) this.board(OTHER_USER, name, 'PUBLIC', []);
    this.addSectionsAndPins(owned, groups[0]);
  }

  /** Pin k of a board goes to its section k mod 5 if the board has one, else to no section. */
  private addSectionsAndPins(owned: readonly BoardRecord[], groupBoard: BoardRecord | undefined): void {
    const sectionsOf = new Map<number, SectionRecord[]>();
    SECTION_NAMES.forEach((names, i) => {
      const board = owned[i];
      if (board !== undefined) sectionsOf.set(i, names.map((name) => this.section(board, name)));
    });
    for (const [i, count] of PINS_AT) {
      const board = owned[i];
      if (board === undefined) continue;
      const sections = sectionsOf.get(i) ?? [];
      for (let k = 0; k < count; k++) this.pin(board, sections[k % 5]?.id ?? null, DEFAULT_USER);
    }
    if (groupBoard === undefined) return;
    for (let k = 0; k < GROUP_PINS; k++) this.pin(groupBoard, null, k % 2 === 0 ? OTHER_USER : DEFAULT_USER);
  }
}

/** Fills a new (or pre-seed) world with its environment's seed and marks it seeded. */
export function seedWorld(environment: PinterestEnvironment, world: World): void {
  if (environment === 'production' && !world.seeded) new SeedBuilder(world).build();
  world.seeded = true;
}

const sectionCount = SECTION_NAMES.reduce((sum, names) => sum + names.length, 0);
const pinCount = [...PINS_AT.values()].reduce((sum, n) => sum + n, GROUP_PINS);

/** What the seed holds, for tests and documentation (counts are of the production world). */
export const SEED = {
  defaultUserId: DEFAULT_USER,
  otherUserId: OTHER_USER,
  sandbox: { boards: 0, pins: 0 },
  production: {
    boards: OWNED_BOARDS + OTHER_USER_BOARDS.length,
    /** `GET /v5/boards` for the default user with `boards:read_secret`: owned plus group boards. */
    listedForDefaultUser: OWNED_BOARDS + GROUP_AFTER.length,
    /** The same without `boards:read_secret`: SECRET boards are left out. */
    listedWithoutSecretScope: OWNED_BOARDS + GROUP_AFTER.length - SECRET_AT.length,
    ownedByDefaultUser: OWNED_BOARDS,
    secretBoards: SECRET_AT.length,
    protectedBoards: PROTECTED_AT.length,
    /** Listed for the default user with collaborator_count > 0: theirs shared out, and others' they joined. */
    groupBoards: SHARED_AT.length + GROUP_AFTER.length,
    sections: sectionCount,
    pins: pinCount,
  },
  known: {
    /** The first board listed: 4 sections, 30 Pins (6 in each section, 6 in none). */
    firstBoard: { id: ownedBoardId(0), name: boardName(0), sections: 4, pins: 30, pinsInFirstSection: 6 },
    /** 3 sections, 8 Pins. */
    secondBoard: { id: ownedBoardId(1), name: boardName(1), sections: 3, pins: 8 },
    /** 2 sections, no Pins; its name has an `&`. */
    thirdBoard: { id: ownedBoardId(2), name: boardName(2), sections: 2, pins: 0 },
    /** 5 Pins and no sections. */
    fourthBoard: { id: ownedBoardId(3), name: boardName(3), sections: 0, pins: 5 },
    /** A name with `<`. */
    lessThanBoard: { id: ownedBoardId(11), name: boardName(11) },
    secretBoard: { id: ownedBoardId(SECRET_AT[0] ?? 0), name: boardName(SECRET_AT[0] ?? 0) },
    /** Owned by the other user, the default user collaborates; 3 Pins. */
    joinedGroupBoard: { id: seedId(BOARD_ID_PREFIX, (GROUP_AFTER[0] ?? 0) + 2), name: OTHER_USER_BOARDS[0] ?? '', pins: GROUP_PINS },
    /** Owned by the other user alone: invisible to the default user (404 Board not found.). */
    otherUsersBoard: { id: seedId(BOARD_ID_PREFIX, OWNED_BOARDS + GROUP_AFTER.length + 1), name: OTHER_USER_BOARDS[GROUP_AFTER.length] ?? '' },
    /** The newest seed Pin, on the first board (in its first section). */
    newestPin: { id: seedId(PIN_ID_PREFIX, 1), createdAt: new Date(NEWEST_PIN_MS).toISOString().slice(0, 19) },
  },
} as const;
