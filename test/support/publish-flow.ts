import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LoggedRequest } from '../../local/emulators/pinterest/types';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { pinRecordSchema, type PinRecord } from '../../shared/domain/pins';
import { securityEventSchema, type SecurityEvent } from '../../shared/domain/security-event';
import { PinterestApi, type PinterestPin } from '../../shared/adapters/pinterest/resources';
import * as z from '../../shared/zod';
import { clients } from './aws';
import { productToken, requestsTo, type BoardFlow } from './board-flow';
import { callFunction, type TestResponse } from './http';
import { approvePin, createPin, pinItem, scanTable, type PinJson } from './pin-flow';

/**
 * Publishing (POST /pins/{id}/publish), checking and copying Pins through the real handlers on a board
 * flow's tables and emulator (./board-flow.ts, ./pin-flow.ts), with what the tests look at underneath:
 * the emulator's request log and its Pins (read with the product's own token), the record as DynamoDB
 * holds it, and the `pin_publish` entries of the file's security log.
 */

// ------------------------------------------------------------------------------------------------
// Images that are really images (the emulator reads a PNG's IHDR and a JPEG's start-of-frame)

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A complete, decodable RGB PNG of `width`×`height` (one flat colour) with a random text chunk, so no
 * two calls give the same bytes (media keys are by SHA-256 and the data bucket is shared by every file).
 */
export function tinyPng(width = 3, height = 2): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, no filter, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x7a)]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.concat([Buffer.from('Comment\0', 'latin1'), Buffer.from(randomBytes(12).toString('hex'), 'latin1')])),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG the emulator can size: SOI, APP0 (JFIF), a random comment, SOF0 with the size, EOI. */
export function tinyJpeg(width = 4, height = 5): Buffer {
  const segment = (marker: number, data: Buffer) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(data.length + 2, 2);
    return Buffer.concat([head, data]);
  };
  const sof = Buffer.alloc(15);
  sof.writeUInt8(8, 0);
  sof.writeUInt16BE(height, 1);
  sof.writeUInt16BE(width, 3);
  sof.set([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1], 5);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])),
    segment(0xfe, randomBytes(16)),
    segment(0xc0, sof),
    Buffer.from([0xff, 0xd9]),
  ]);
}

// ------------------------------------------------------------------------------------------------
// The routes

export interface PublishedJson {
  pinterestPinId: string;
  boardId: string;
  sectionId?: string;
  createdAt?: string;
  httpStatus: number;
  requestId?: string;
  publishedAt: string;
  url: string;
  lastCheckedAt?: string;
}

export interface FailureJson {
  kind: string;
  message: string;
  retryable: boolean;
  retryAfter?: string;
  at: string;
  httpStatus?: number;
  pinterestCode?: number;
  requestId?: string;
}

export interface RecordJson extends PinJson {
  published: PublishedJson | null;
  failure: FailureJson | null;
  unknownOutcome: { reason: string; at: string; attemptId: string; attemptStartedAt: string } | null;
  attempt: { attemptId: string; startedAt: string; leaseUntil: string } | null;
  copiedFrom: string | null;
}

export interface PublishJson {
  outcome: 'published' | 'failed' | 'needs_reconcile';
  pin: RecordJson;
}

export function publish(id: string): Promise<TestResponse> {
  return callFunction('publishPin', { method: 'POST', url: `/pins/${id}/publish`, pathParameters: { id } });
}

export function check(id: string): Promise<TestResponse> {
  return callFunction('checkPin', { method: 'POST', url: `/pins/${id}/check`, pathParameters: { id } });
}

export function copy(id: string): Promise<TestResponse> {
  return callFunction('copyPin', { method: 'POST', url: `/pins/${id}/copy`, pathParameters: { id } });
}

/** POST /pins/{id}/publish that must be answered 200: the outcome. */
export async function published(id: string): Promise<PublishJson> {
  const res = await publish(id);
  if (res.statusCode !== 200) throw new Error(`POST /pins/${id}/publish answered ${String(res.statusCode)}: ${res.text}`);
  return res.json() as PublishJson;
}

/** A draft made and approved through the routes: the approved record. */
export async function approvedDraft(body: Record<string, unknown>): Promise<PinJson> {
  const draft = await createPin(body);
  const res = await approvePin(draft.id, draft.version);
  if (res.statusCode !== 200) throw new Error(`POST /pins/${draft.id}/approve answered ${String(res.statusCode)}: ${res.text}`);
  return res.json() as PinJson;
}

// ------------------------------------------------------------------------------------------------
// What Pinterest saw and holds

/** The emulator's `POST /v5/pins` requests of an environment, oldest first (the reset empties the log). */
export function pinCreates(flow: BoardFlow, env: PinterestEnvironment = 'sandbox'): LoggedRequest[] {
  return requestsTo(flow, 'POST', '/v5/pins').filter((r) => r.host === env);
}

/** The emulator's token refreshes of an environment (`POST /v5/oauth/token`, grant_type=refresh_token). */
export function tokenRefreshes(flow: BoardFlow, env: PinterestEnvironment = 'sandbox'): LoggedRequest[] {
  return requestsTo(flow, 'POST', '/v5/oauth/token').filter((r) => r.host === env && new URLSearchParams(r.body).get('grant_type') === 'refresh_token');
}

/** The flow's Pinterest API (the real one, over the client whose exchanges the flow records). */
export function recordedApi(flow: BoardFlow): PinterestApi {
  const api = flow.deps.pinterest;
  if (!(api instanceof PinterestApi)) throw new Error("the board flow's Pinterest API is a PinterestApi");
  return api;
}

/** The Pins on a board at the emulator, newest first, read with the product's current token. */
export async function pinsAtEmulator(flow: BoardFlow, env: PinterestEnvironment, boardId: string): Promise<PinterestPin[]> {
  const page = await recordedApi(flow).listBoardPins(env, await productToken(flow, env), boardId, { pageSize: 100 });
  return page.data.items;
}

/** `GET /v5/pins/{id}` at the emulator with the product's token: the status and the body. */
export async function pinAtEmulator(flow: BoardFlow, env: PinterestEnvironment, pinId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const base = env === 'sandbox' ? flow.emulator.urls.sandbox : flow.emulator.urls.production;
  const res = await fetch(`${base}/pins/${pinId}`, { headers: { authorization: `Bearer ${await productToken(flow, env)}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The JSON body a logged request carried. */
export const bodyOf = (request: LoggedRequest | undefined): Record<string, unknown> => JSON.parse(request?.body ?? '{}') as Record<string, unknown>;

// ------------------------------------------------------------------------------------------------
// What the product stored

/** The record as DynamoDB holds it, parsed with the product's schema. */
export async function storedRecord(flow: BoardFlow, id: string): Promise<PinRecord> {
  return z.parse(pinRecordSchema, await pinItem(flow, id));
}

/** The `pin_publish` entries of this file's security log for one record, oldest first. */
export async function publishEntries(flow: BoardFlow, pinId: string): Promise<SecurityEvent[]> {
  const items = await scanTable(flow.tables.audit);
  return items
    .filter((item) => item.kind === 'pin_publish' && (item.detail as Record<string, unknown> | undefined)?.pin === pinId)
    .map((item) => z.parse(securityEventSchema, item))
    .sort((a, b) => a.time.localeCompare(b.time));
}

/** Changes a record's attributes behind the API's back (one UpdateItem, no version change). */
export async function updateBehindTheApi(flow: BoardFlow, id: string, update: string, names: Record<string, string>, values: Record<string, unknown>): Promise<void> {
  await clients.dynamo.send(
    new UpdateCommand({
      TableName: flow.tables.workflow,
      Key: { pk: `PIN#${id}`, sk: 'PIN' },
      UpdateExpression: update,
      ...(Object.keys(names).length === 0 ? {} : { ExpressionAttributeNames: names }),
      ExpressionAttributeValues: values,
      ConditionExpression: 'attribute_exists(pk)',
    }),
  );
}

/** The last history entries as [action, from, to, by] (the newest last). */
export const lastSteps = (record: { history?: Array<{ action: string; from: string | null; to: string; by: string }> }, n = 2) =>
  (record.history ?? []).slice(-n).map((h) => [h.action, h.from, h.to, h.by]);
