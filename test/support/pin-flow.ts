import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { buildHttpApiEvent, readHttpApiResult, type HttpRequestInput } from '../../local/api-event';
import { invoke } from '../../local/lambda-runtime';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { mediaKey } from '../../shared/domain/pins';
import { routes, type FunctionId } from '../../shared/routes';
import { clients, names } from './aws';
import { postBoard, workflowItem, type BoardFlow, type BoardJson } from './board-flow';
import { callFunction, type TestResponse } from './http';

/**
 * The Pin draft routes driven through the real handlers (as API Gateway calls them) on a board flow's
 * tables and emulator (./board-flow.ts), with what the tests look at underneath: the workflow table's
 * items as DynamoDB holds them and the data bucket's objects as S3 holds them, both read with the SDK.
 *
 * Every test file shares the data bucket and the connected account id (MIRA) with the others, and
 * media keys are `media/<env>/<account>/<sha256>`: the images made here carry random bytes, so no two
 * tests (or files) ever store the same object. An image's reference item holds one reference per
 * record that set it, `<pinId>:<unique id>`, the same string the record keeps as `content.media.ref`.
 */

// ------------------------------------------------------------------------------------------------
// Images

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_START = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);

/** Bytes a sniffer takes for a PNG (its signature), the rest random: `size` bytes in all. */
export function pngBytes(size = 256): Buffer {
  return Buffer.concat([PNG_SIGNATURE, randomBytes(size - PNG_SIGNATURE.length)]);
}

/** Bytes a sniffer takes for a JPEG (SOI and an APP0 marker), the rest random. */
export function jpegBytes(size = 256): Buffer {
  return Buffer.concat([JPEG_START, randomBytes(size - JPEG_START.length)]);
}

export function gifBytes(size = 64): Buffer {
  return Buffer.concat([Buffer.from('GIF89a', 'latin1'), randomBytes(size - 6)]);
}

export function webpBytes(size = 64): Buffer {
  const head = Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBP', 'latin1')]);
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The body fields of a stored image. */
export const base64Image = (bytes: Buffer, contentType = 'image/png') => ({ imageBase64: bytes.toString('base64'), imageContentType: contentType });

// ------------------------------------------------------------------------------------------------
// The routes

export interface HistoryJson {
  action: string;
  from: string | null;
  to: string;
  at: string;
  by: string;
  reason?: string;
  version: number;
}

export interface PinJson {
  id: string;
  environment: PinterestEnvironment;
  status: string;
  version: number;
  boardId: string;
  sectionId: string | null;
  assetLabel: string | null;
  title: string | null;
  description: string | null;
  link: string | null;
  altText: string | null;
  dominantColor: string | null;
  image: { source: 'url'; url: string } | { source: 'stored'; contentType: string; bytes: number; sha256: string; path: string };
  approval: { contentHash: string; by: string; at: string; holds: boolean } | null;
  rejection: { reason: string; at: string } | null;
  copiedFrom: string | null;
  boardMissing: boolean;
  flags: string[];
  createdAt: string;
  updatedAt: string;
  history?: HistoryJson[];
  historyDropped?: number;
}

export interface PinListJson {
  environment: string;
  status: string;
  items: PinJson[];
  nextCursor?: string;
}

export interface ErrorJson {
  error: { code: string; message: string; requestId: string; issues?: Array<{ path: string; message: string }>; currentState?: string; current?: PinJson; status?: string };
}

const jsonHeaders = { 'content-type': 'application/json' };

export function postPin(body: unknown): Promise<TestResponse> {
  return callFunction('createPin', { method: 'POST', url: '/pins', headers: jsonHeaders, body: JSON.stringify(body) });
}

/** POST /pins that must succeed: the draft. */
export async function createPin(body: Record<string, unknown>): Promise<PinJson> {
  const res = await postPin(body);
  if (res.statusCode !== 201) throw new Error(`POST /pins answered ${String(res.statusCode)}: ${res.text}`);
  return res.json() as PinJson;
}

export function getPin(id: string): Promise<TestResponse> {
  return callFunction('getPin', { method: 'GET', url: `/pins/${id}`, pathParameters: { id } });
}

export async function readPin(id: string): Promise<PinJson> {
  const res = await getPin(id);
  if (res.statusCode !== 200) throw new Error(`GET /pins/${id} answered ${String(res.statusCode)}: ${res.text}`);
  return res.json() as PinJson;
}

export function patchPin(id: string, body: unknown): Promise<TestResponse> {
  return callFunction('updatePin', { method: 'PATCH', url: `/pins/${id}`, headers: jsonHeaders, body: JSON.stringify(body), pathParameters: { id } });
}

export function deletePin(id: string, version: number | string): Promise<TestResponse> {
  return callFunction('deletePin', { method: 'DELETE', url: `/pins/${id}?version=${String(version)}`, pathParameters: { id } });
}

export function approvePin(id: string, version: number): Promise<TestResponse> {
  return callFunction('approvePin', { method: 'POST', url: `/pins/${id}/approve`, headers: jsonHeaders, body: JSON.stringify({ version }), pathParameters: { id } });
}

export function rejectPin(id: string, version: number, reason: string): Promise<TestResponse> {
  return callFunction('rejectPin', { method: 'POST', url: `/pins/${id}/reject`, headers: jsonHeaders, body: JSON.stringify({ version, reason }), pathParameters: { id } });
}

/** POST /pins/{id}/copy (no body). */
export function postCopy(id: string): Promise<TestResponse> {
  return callFunction('copyPin', { method: 'POST', url: `/pins/${id}/copy`, pathParameters: { id } });
}

/** POST /pins/{id}/copy that must succeed: the new draft. */
export async function copyPin(id: string): Promise<PinJson> {
  const res = await postCopy(id);
  if (res.statusCode !== 201) throw new Error(`POST /pins/${id}/copy answered ${String(res.statusCode)}: ${res.text}`);
  return res.json() as PinJson;
}

export function listPins(query: Record<string, string>): Promise<TestResponse> {
  return callFunction('listPins', { method: 'GET', url: `/pins?${new URLSearchParams(query).toString()}` });
}

export interface RawResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A call as API Gateway makes it, answering the body's bytes (binary answers are not UTF-8). */
export async function callRaw(fn: FunctionId, input: HttpRequestInput): Promise<RawResponse> {
  const path = input.url.split('?')[0] ?? '/';
  const route = routes.find((r) => r.fn === fn && r.method === input.method.toUpperCase());
  const event = buildHttpApiEvent({ routeKey: route ? `${route.method} ${route.path}` : `${input.method} ${path}`, sourceIp: '10.9.8.7', ...input });
  const result = readHttpApiResult(await invoke(fn, event));
  return { statusCode: result.statusCode, headers: result.headers, body: result.body };
}

export function getMedia(id: string): Promise<RawResponse> {
  return callRaw('getPinMedia', { method: 'GET', url: `/pins/${id}/media`, pathParameters: { id } });
}

/** The answer's error, for a 4xx. */
export const errorOf = (res: TestResponse): ErrorJson['error'] => (res.json() as ErrorJson).error;
export const issuePaths = (res: TestResponse): string[] => (errorOf(res).issues ?? []).map((issue) => issue.path);

// ------------------------------------------------------------------------------------------------
// What is stored

/** Every item of a table, as DynamoDB holds it. */
export async function scanTable(table: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** The workflow table's Pin record items (`PIN#<id>`) and media reference items (`MEDIA#…`). */
export async function pinAndMediaItems(flow: BoardFlow): Promise<{ pins: Array<Record<string, unknown>>; media: Array<Record<string, unknown>> }> {
  const items = await scanTable(flow.tables.workflow);
  return {
    pins: items.filter((item) => String(item.pk).startsWith('PIN#')),
    media: items.filter((item) => String(item.pk).startsWith('MEDIA#')),
  };
}

export const pinItem = (flow: BoardFlow, id: string) => workflowItem(flow, `PIN#${id}`, 'PIN');

export const mediaRefItem = (flow: BoardFlow, env: PinterestEnvironment, accountId: string, hash: string) => workflowItem(flow, `MEDIA#${env}#${accountId}#${hash}`, 'MEDIA');

/** The references an image's reference item holds, sorted; undefined when there is no item (or no set). */
export async function mediaRefs(flow: BoardFlow, env: PinterestEnvironment, accountId: string, bytes: Buffer): Promise<string[] | undefined> {
  const refs = (await mediaRefItem(flow, env, accountId, sha256(bytes)))?.refs;
  return refs instanceof Set ? [...(refs as Set<string>)].map(String).sort() : undefined;
}

/** The Pin id a reference belongs to (`<pinId>:<unique id>`). */
export function holderOf(ref: string): string {
  const at = ref.indexOf(':');
  if (at <= 0 || at === ref.length - 1) throw new Error(`not a media reference (<pinId>:<id>): ${ref}`);
  return ref.slice(0, at);
}

/** The reference a Pin record holds its stored image by (`content.media.ref`), read from the table. */
export async function recordRef(flow: BoardFlow, id: string): Promise<string> {
  const media = ((await pinItem(flow, id))?.content as { media?: { kind?: string; ref?: unknown } } | undefined)?.media;
  if (media?.kind !== 'stored' || typeof media.ref !== 'string') throw new Error(`Pin ${id} holds no stored image`);
  return media.ref;
}

/** The references the records `ids` hold their images by, sorted (to compare with mediaRefs). */
export async function recordRefs(flow: BoardFlow, ids: readonly string[]): Promise<string[]> {
  return (await Promise.all(ids.map((id) => recordRef(flow, id)))).sort();
}

/** An object of the data bucket (bytes and type), or undefined when there is none. */
export async function s3Object(key: string): Promise<{ body: Buffer; contentType: string | undefined } | undefined> {
  try {
    const result = await clients.s3.send(new GetObjectCommand({ Bucket: names.bucket, Key: key }));
    return { body: Buffer.from((await result.Body?.transformToByteArray()) ?? []), contentType: result.ContentType };
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** Where image bytes of the connected account are kept. */
export const storedKey = (env: PinterestEnvironment, accountId: string, bytes: Buffer) => mediaKey(env, accountId, sha256(bytes));

/** The connected account's id, as the account item holds it. */
export async function accountIdOf(flow: BoardFlow, env: PinterestEnvironment): Promise<string> {
  const item = await workflowItem(flow, `ACCOUNT#${env}`, 'CURRENT');
  if (item === undefined) throw new Error(`no ${env} account`);
  return String(item.accountId);
}

/** Removes every Pin record and media reference item of this file's workflow table (a clean list). */
export async function clearPins(flow: BoardFlow): Promise<void> {
  const items = await scanTable(flow.tables.workflow);
  const keys = items.filter((item) => /^(PIN|MEDIA)#/.test(String(item.pk))).map((item) => ({ pk: item.pk, sk: item.sk }));
  for (let i = 0; i < keys.length; i += 25) {
    await clients.dynamo.send(new BatchWriteCommand({ RequestItems: { [flow.tables.workflow]: keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })) } }));
  }
}

/** A new sandbox board at the emulator and in the snapshot (POST /boards). */
export async function sandboxBoard(name: string): Promise<BoardJson> {
  const res = await postBoard({ environment: 'sandbox', name });
  if (res.statusCode !== 201) throw new Error(`POST /boards answered ${String(res.statusCode)}: ${res.text}`);
  return res.json() as BoardJson;
}
