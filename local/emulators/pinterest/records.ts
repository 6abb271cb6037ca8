import { randomInt } from 'node:crypto';
import { z } from 'zod';

/**
 * Boards, board sections and Pins as each environment stores them (part of the persisted file, see
 * ./state.ts). Records keep what Pinterest would know, not what the API shows: answers are built
 * from them in ./views.ts, so e.g. `pin_count` can never disagree with the Pins actually stored.
 */

export const BOARD_PRIVACIES = ['PUBLIC', 'PROTECTED', 'SECRET'] as const;
export type BoardPrivacy = (typeof BOARD_PRIVACIES)[number];

/**
 * `seq` is a per-world creation counter: timestamps alone cannot order two records created in the
 * same millisecond (or under a frozen test clock), and lists must have one stable order for paging.
 */
export const boardSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  ownerId: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  privacy: z.enum(BOARD_PRIVACIES),
  createdMs: z.number(),
  /** Users who may see and Pin to the board besides its owner (group boards). */
  collaboratorIds: z.array(z.string()),
  followerCount: z.number().int().min(0),
  isAdsOnly: z.boolean(),
});

export const sectionSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  boardId: z.string(),
  name: z.string(),
  createdMs: z.number(),
});

/** Pinterest re-hosts the image: only a key for made-up i.pinimg.com URLs and the size are kept. */
const storedImageSchema = z.object({ key: z.string(), width: z.number().int(), height: z.number().int() });

export const pinSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  boardId: z.string(),
  sectionId: z.string().nullable(),
  creatorId: z.string(),
  createdMs: z.number(),
  title: z.string().nullable(),
  description: z.string().nullable(),
  link: z.string().nullable(),
  altText: z.string().nullable(),
  dominantColor: z.string(),
  parentPinId: z.string().nullable(),
  isStandard: z.boolean(),
  image: storedImageSchema,
});

export type BoardRecord = z.infer<typeof boardSchema>;
export type SectionRecord = z.infer<typeof sectionSchema>;
export type PinRecord = z.infer<typeof pinSchema>;
export type StoredImage = z.infer<typeof storedImageSchema>;

/**
 * A fresh id shaped like Pinterest's (an 18-digit numeric string). Random rather than counted so
 * ids never repeat across environments or resets: a sandbox id must be unknown on production, and
 * an id a client kept from before a reset must not name a different object afterwards.
 */
export function newId(taken: ReadonlyMap<string, unknown>): string {
  for (;;) {
    // The seed uses ids starting with 5 and 8; these start with 1–4 so the two never meet.
    let id = String(randomInt(1, 5));
    while (id.length < 18) id += String(randomInt(0, 10));
    if (!taken.has(id)) return id;
  }
}

/** The world's next creation sequence number (the world's `nextSeq`, see `seq` above). */
export function takeSeq(world: { nextSeq: number }): number {
  const seq = world.nextSeq;
  world.nextSeq += 1;
  return seq;
}

/** Pinterest's date-time format: UTC without an offset or milliseconds, e.g. 2026-11-29T10:00:00. */
export function pinterestDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** Length in code points, not UTF-16 units (a guess: how a Python backend counts; an emoji is one). */
export function charLength(value: string): number {
  return Array.from(value).length;
}
