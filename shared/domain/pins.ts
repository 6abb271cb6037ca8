import { createHash } from 'node:crypto';
import * as z from '../zod';
import { environments, type PinterestEnvironment } from './pinterest';

/**
 * Pin records: a draft the operator prepares, reviews and (a later feature) publishes. The transition
 * table of the design is `nextStatus`; every change is one conditional write on status and version.
 * An approval is bound to the exact content that will be sent: `contentHash` over the fields of
 * Pinterest's `PinCreate` the publisher fills, so any edit (which drops the approval anyway) or any
 * drift of the stored record is caught before publishing.
 */

export const pinStatuses = ['draft', 'approved', 'rejected', 'publishing', 'published', 'failed', 'needs_reconcile', 'missing_on_pinterest'] as const;
export type PinStatus = (typeof pinStatuses)[number];

/** What the operator (or, later, the system) does to a record. */
export const pinActions = ['create', 'edit', 'approve', 'reject', 'delete', 'publish', 'outcome', 'check', 'copy', 'sweep', 'reconcile', 'resolve'] as const;
export type PinAction = (typeof pinActions)[number];

/** Limits of Pinterest's `PinCreate` (official OpenAPI description), counted in characters (code points). */
export const pinLimits = {
  title: 100,
  description: 800,
  link: 2048,
  altText: 500,
  imageUrl: 2048,
  assetLabel: 200,
  rejectReason: 500,
  /** Decoded image bytes: under Lambda's 6 MB synchronous payload once base64-encoded. */
  imageBytes: 4 * 1024 * 1024,
} as const;

export const imageContentTypes = ['image/jpeg', 'image/png'] as const;
export type ImageContentType = (typeof imageContentTypes)[number];

/** The image: a URL Pinterest fetches, or bytes stored in the data bucket by their SHA-256. */
export const pinMediaSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('url'), url: z.string() }),
  /**
   * `ref` is this record's own reference to the shared bytes, taken when the image was set (one per
   * setting, so a late or losing writer lets go of only its own and never of the record's).
   */
  z.object({ kind: z.literal('stored'), sha256: z.string(), contentType: z.enum(imageContentTypes), bytes: z.number(), key: z.string(), ref: z.string() }),
]);
export type PinMedia = z.infer<typeof pinMediaSchema>;

/** The content that will be sent to Pinterest (what an approval covers). Optional text is absent, never empty. */
export const pinContentSchema = z.object({
  boardId: z.string(),
  sectionId: z.optional(z.string()),
  title: z.optional(z.string()),
  description: z.optional(z.string()),
  link: z.optional(z.string()),
  altText: z.optional(z.string()),
  dominantColor: z.optional(z.string()),
  media: pinMediaSchema,
});
export type PinContent = z.infer<typeof pinContentSchema>;

export const contentFields = ['boardId', 'sectionId', 'title', 'description', 'link', 'altText', 'dominantColor'] as const;
export type ContentField = (typeof contentFields)[number];

export const historyEntrySchema = z.object({
  action: z.enum(pinActions),
  from: z.nullable(z.enum(pinStatuses)),
  to: z.enum(pinStatuses),
  at: z.string(),
  by: z.enum(['operator', 'system']),
  reason: z.optional(z.string()),
  /** Version of the record this entry produced. */
  version: z.number(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export const approvalSchema = z.object({ contentHash: z.string(), by: z.literal('operator'), at: z.string() });
export type Approval = z.infer<typeof approvalSchema>;

/** The publish attempt a `publishing` record belongs to: only its holder may write the outcome. */
export const attemptSchema = z.object({ attemptId: z.string(), startedAt: z.string(), leaseUntil: z.string() });
export type Attempt = z.infer<typeof attemptSchema>;

/** What Pinterest answered when the Pin was created (and what the last check saw). */
export const publishedSchema = z.object({
  pinterestPinId: z.string(),
  boardId: z.string(),
  sectionId: z.optional(z.string()),
  /** Pinterest's `created_at` (UTC, no offset), as sent. */
  createdAt: z.optional(z.string()),
  httpStatus: z.number(),
  /** Pinterest's `x-pinterest-rid`, for a support request. */
  requestId: z.optional(z.string()),
  publishedAt: z.string(),
  url: z.string(),
  lastCheckedAt: z.optional(z.string()),
});
export type Published = z.infer<typeof publishedSchema>;

/** Why the last attempt did not publish, in plain words, and whether trying again can help. */
export const failureSchema = z.object({
  kind: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  /** When a retry can help at the earliest (a rate limit's reset). */
  retryAfter: z.optional(z.string()),
  at: z.string(),
  httpStatus: z.optional(z.number()),
  pinterestCode: z.optional(z.number()),
  requestId: z.optional(z.string()),
});
export type Failure = z.infer<typeof failureSchema>;

/** Why an attempt's outcome is unknown: the Pin may or may not exist at Pinterest. */
export const unknownOutcomeSchema = z.object({ reason: z.string(), at: z.string(), attemptId: z.string(), attemptStartedAt: z.string() });
export type UnknownOutcome = z.infer<typeof unknownOutcomeSchema>;

/** The last reconciliation's scan: what was compared and why it did not settle the record. */
export const scanReportSchema = z.object({
  at: z.string(),
  result: z.enum(['matched', 'none', 'several', 'near_match', 'other_pins', 'capped', 'error']),
  pagesScanned: z.number(),
  capped: z.boolean(),
  windowFrom: z.string(),
  windowTo: z.optional(z.string()),
  candidates: z.array(
    z.object({
      pinterestPinId: z.string(),
      createdAt: z.nullable(z.string()),
      differs: z.array(z.enum(['board', 'section', 'title', 'description', 'link', 'altText'])),
      heldBy: z.optional(z.string()),
    }),
  ),
  error: z.optional(z.string()),
});

export const pinRecordSchema = z.object({
  pinId: z.string(),
  environment: z.enum(environments),
  /** The Pinterest account the draft was made for (media live under its prefix). */
  accountId: z.string(),
  status: z.enum(pinStatuses),
  version: z.number().check(z.int()),
  assetLabel: z.optional(z.string()),
  content: pinContentSchema,
  approval: z.optional(approvalSchema),
  rejection: z.optional(z.object({ reason: z.string(), at: z.string() })),
  attempt: z.optional(attemptSchema),
  published: z.optional(publishedSchema),
  failure: z.optional(failureSchema),
  unknownOutcome: z.optional(unknownOutcomeSchema),
  scan: z.optional(scanReportSchema),
  /** The record this one was copied from (POST /pins/{id}/copy). */
  copiedFrom: z.optional(z.string()),
  history: z.array(historyEntrySchema),
  /** History entries dropped to keep the item small (the oldest after the first). */
  historyDropped: z.optional(z.number()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type PinRecord = z.infer<typeof pinRecordSchema>;

/** History kept in the record: the first entry and the latest ones (a DynamoDB item is at most 400 KB). */
export const HISTORY_KEEP = 100;

export function appendHistory(record: Pick<PinRecord, 'history' | 'historyDropped'>, entry: HistoryEntry): { history: HistoryEntry[]; historyDropped?: number } {
  const all = [...record.history, entry];
  if (all.length <= HISTORY_KEEP) return { history: all, ...(record.historyDropped === undefined ? {} : { historyDropped: record.historyDropped }) };
  const [first, ...rest] = all;
  const dropped = all.length - HISTORY_KEEP;
  return { history: [first as HistoryEntry, ...rest.slice(dropped)], historyDropped: (record.historyDropped ?? 0) + dropped };
}

/** The operator's review actions, whose next status depends only on the current one. */
export type ReviewAction = 'edit' | 'approve' | 'reject' | 'delete';

/**
 * The transition table (DESIGN.md "Pin workflow") for the operator's review actions: the next status,
 * or undefined when the action is not allowed from `status` (the caller answers 409 with the status).
 * `delete` leads nowhere: the record goes.
 */
export function nextStatus(status: PinStatus, action: ReviewAction): PinStatus | 'deleted' | undefined {
  switch (action) {
    case 'edit':
      return status === 'draft' || status === 'approved' || status === 'rejected' || status === 'failed' ? 'draft' : undefined;
    case 'approve':
      return status === 'draft' ? 'approved' : undefined;
    case 'reject':
      return status === 'draft' || status === 'approved' ? 'rejected' : undefined;
    case 'delete':
      return status === 'draft' || status === 'rejected' || status === 'failed' ? 'deleted' : undefined;
  }
}

/** The statuses an action may start from (the condition of its write). */
export function statusesAllowing(action: ReviewAction): PinStatus[] {
  return pinStatuses.filter((status) => nextStatus(status, action) !== undefined);
}

/** Text as stored: trimmed, Unicode NFC; empty means absent. */
export function normalizeText(text: string | undefined | null): string | undefined {
  if (text === undefined || text === null) return undefined;
  const normalized = text.trim().normalize('NFC');
  return normalized === '' ? undefined : normalized;
}

/** Characters as Pinterest counts them (code points, so an emoji is one). */
export function characters(text: string): number {
  return Array.from(text).length;
}

/**
 * The hash an approval stores: SHA-256 over the environment and the content in a fixed order, absent
 * fields as null, the image as its SHA-256 (stored) or its URL. Anything that would change what
 * reaches Pinterest changes it; the asset label (the operator's own note) does not.
 */
export function contentHash(environment: PinterestEnvironment, content: PinContent): string {
  const canonical = JSON.stringify([
    'pin-content-v1',
    environment,
    ...contentFields.map((field) => content[field] ?? null),
    content.media.kind === 'stored' ? ['stored', content.media.sha256, content.media.contentType] : ['url', content.media.url],
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** Whether the record's approval still covers its content. */
export function approvalHolds(record: PinRecord): boolean {
  return record.approval !== undefined && record.approval.contentHash === contentHash(record.environment, record.content);
}

/** The image type the bytes are, by their magic numbers; undefined for anything but JPEG and PNG. */
export function sniffImage(bytes: Uint8Array): ImageContentType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= png.length && png.every((byte, i) => bytes[i] === byte)) return 'image/png';
  return undefined;
}

/** What the bytes look like, for a refusal message: a few common kinds by name. */
export function describeBytes(bytes: Uint8Array): string {
  const ascii = Buffer.from(bytes.subarray(0, 12)).toString('latin1');
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return 'a GIF';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'a WebP image';
  if (ascii.startsWith('%PDF')) return 'a PDF';
  if (bytes.length === 0) return 'empty';
  return 'not an image Pinterest accepts';
}

/** The data bucket key of stored image bytes: under the account's prefix, by SHA-256. */
export function mediaKey(environment: PinterestEnvironment, accountId: string, sha256: string): string {
  return `${mediaPrefix(environment, accountId)}${sha256}`;
}

export function mediaPrefix(environment: PinterestEnvironment, accountId: string): string {
  return `media/${environment}/${accountId}/`;
}

/** Why a draft's board cannot be used, as shown on the record. */
export type BoardState = 'present' | 'missing' | 'not_synced';

/** The record as the operator sees it (API answers). */
export function pinView(record: PinRecord, board: BoardState | undefined) {
  const { content } = record;
  return {
    id: record.pinId,
    environment: record.environment,
    status: record.status,
    version: record.version,
    boardId: content.boardId,
    sectionId: content.sectionId ?? null,
    assetLabel: record.assetLabel ?? null,
    title: content.title ?? null,
    description: content.description ?? null,
    link: content.link ?? null,
    altText: content.altText ?? null,
    dominantColor: content.dominantColor ?? null,
    image:
      content.media.kind === 'url'
        ? { source: 'url' as const, url: content.media.url }
        : { source: 'stored' as const, contentType: content.media.contentType, bytes: content.media.bytes, sha256: content.media.sha256, path: `/pins/${record.pinId}/media` },
    approval: record.approval === undefined ? null : { ...record.approval, holds: approvalHolds(record) },
    rejection: record.rejection ?? null,
    published: record.published ?? null,
    failure: record.failure ?? null,
    unknownOutcome: record.unknownOutcome ?? null,
    scan: record.scan ?? null,
    attempt: record.attempt ?? null,
    copiedFrom: record.copiedFrom ?? null,
    boardMissing: board === 'missing',
    flags: board === 'missing' ? ['board_missing'] : [],
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export type PinView = ReturnType<typeof pinView>;

/** The view with the whole history (GET /pins/{id}). */
export function pinDetail(record: PinRecord, board: BoardState | undefined) {
  return { ...pinView(record, board), history: record.history, historyDropped: record.historyDropped ?? 0 };
}
