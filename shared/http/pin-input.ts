import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../zod';
import type { FieldIssue } from '../domain/errors';
import { environments } from '../domain/pinterest';
import { characters, describeBytes, imageContentTypes, normalizeText, pinLimits, sniffImage } from '../domain/pins';
import type { DraftInput, ImageInput, PatchInput } from '../use-cases/pins';
import { parseWithChecks, rawJsonBody } from './input';

/**
 * The bodies of POST /pins and PATCH /pins/{id}: Pinterest's `PinCreate` limits (counted in
 * characters after trimming and NFC, as stored), http(s) links, and the image as a URL or as base64
 * JPEG/PNG bytes (the type is read from the bytes, not from the declared type), decoded at most 4 MiB.
 * Every bad field is named in one 400.
 */

/**
 * Base64 of 4 MiB plus room for every other field at its limit even when a client escapes all
 * non-ASCII text (`\ud83c\udf75`: 12 bytes an emoji, as Python's json does by default): about
 * 5.7 MB, under Lambda's 6 MB synchronous payload.
 */
export const PIN_BODY_MAX_BYTES = Math.ceil(pinLimits.imageBytes / 3) * 4 + 96 * 1024;

const numericId = (what: string) => z.string(`${what} must be a string of digits`).check(z.regex(/^\d{1,30}$/, `${what} must be a string of digits`));

const text = (limit: number) =>
  z.string().check(z.refine((value: string) => characters(normalizeText(value) ?? '') <= limit, `must be at most ${String(limit)} characters`));

function isHttpUrl(value: string): boolean {
  const trimmed = value.trim();
  if (!URL.canParse(trimmed)) return false;
  const url = new URL(trimmed);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

/** An http(s) URL of at most `limit` characters as stored (trimmed, NFC). */
const httpUrl = (limit: number) =>
  z.string().check(
    z.refine((value: string) => isHttpUrl(value), 'must be an http or https URL'),
    z.refine((value: string) => characters(normalizeText(value) ?? '') <= limit, `must be at most ${String(limit)} characters`),
  );

const fields = {
  boardId: numericId('boardId'),
  sectionId: numericId('sectionId'),
  assetLabel: text(pinLimits.assetLabel),
  title: text(pinLimits.title),
  description: text(pinLimits.description),
  link: httpUrl(pinLimits.link),
  altText: text(pinLimits.altText),
  dominantColor: z.string().check(z.regex(/^#[0-9A-Fa-f]{6}$/, 'must be a colour like #6E7874')),
  imageUrl: httpUrl(pinLimits.imageUrl),
  imageBase64: z.string(),
  imageContentType: z.enum(imageContentTypes, { error: 'imageContentType must be image/jpeg or image/png' }),
};

const createSchema = z.strictObject({
  environment: z.enum(environments, { error: 'environment must be sandbox or production' }),
  boardId: fields.boardId,
  sectionId: z.optional(fields.sectionId),
  assetLabel: z.optional(fields.assetLabel),
  title: z.optional(fields.title),
  description: z.optional(fields.description),
  link: z.optional(fields.link),
  altText: z.optional(fields.altText),
  dominantColor: z.optional(fields.dominantColor),
  imageUrl: z.optional(fields.imageUrl),
  imageBase64: z.optional(fields.imageBase64),
  imageContentType: z.optional(fields.imageContentType),
});

const patchSchema = z.strictObject({
  version: z.number('version must be the record\'s version number').check(z.int(), z.gte(1)),
  boardId: z.optional(fields.boardId),
  sectionId: z.optional(z.nullable(fields.sectionId)),
  assetLabel: z.optional(z.nullable(fields.assetLabel)),
  title: z.optional(z.nullable(fields.title)),
  description: z.optional(z.nullable(fields.description)),
  link: z.optional(z.nullable(fields.link)),
  altText: z.optional(z.nullable(fields.altText)),
  dominantColor: z.optional(z.nullable(fields.dominantColor)),
  imageUrl: z.optional(fields.imageUrl),
  imageBase64: z.optional(fields.imageBase64),
  imageContentType: z.optional(fields.imageContentType),
});

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decoded size of base64 text without decoding it. */
function decodedLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/** The checks across the image fields, on the raw body: one source, a type with bytes, bytes that are a JPEG or PNG of at most 4 MiB. */
function imageIssues(body: unknown, required: boolean): FieldIssue[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const value = body as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  const hasUrl = value.imageUrl !== undefined;
  const hasBytes = value.imageBase64 !== undefined;
  if (hasUrl && hasBytes) issues.push({ path: 'body.imageBase64', message: 'give either imageUrl or imageBase64, not both' });
  if (required && !hasUrl && !hasBytes) issues.push({ path: 'body.imageUrl', message: 'an image is required: imageUrl, or imageBase64 with imageContentType' });
  if (hasBytes && value.imageContentType === undefined) issues.push({ path: 'body.imageContentType', message: 'required with imageBase64 (image/jpeg or image/png)' });
  if (!hasBytes && value.imageContentType !== undefined) issues.push({ path: 'body.imageContentType', message: 'only goes with imageBase64' });
  const base64 = value.imageBase64;
  if (typeof base64 === 'string') issues.push(...bytesIssues(base64));
  else if (hasBytes) issues.push({ path: 'body.imageBase64', message: 'must be base64 text' });
  return issues;
}

function bytesIssues(base64: string): FieldIssue[] {
  const at = (message: string) => [{ path: 'body.imageBase64', message }];
  if (base64 === '') return at('must not be empty');
  if (base64.length % 4 !== 0 || !BASE64.test(base64)) return at('must be standard base64 (A–Z, a–z, 0–9, +, /, = padding; no data: prefix or line breaks)');
  if (decodedLength(base64) > pinLimits.imageBytes) return at(`the image must be at most ${String(pinLimits.imageBytes)} bytes (4 MiB) decoded`);
  const head = Buffer.from(base64.slice(0, 16), 'base64');
  if (sniffImage(head) === undefined) return at(`the bytes are ${describeBytes(head)}: Pinterest takes JPEG or PNG`);
  return [];
}

type TextKey = 'sectionId' | 'assetLabel' | 'title' | 'description' | 'link' | 'altText' | 'dominantColor';
const textKeys: readonly TextKey[] = ['sectionId', 'assetLabel', 'title', 'description', 'link', 'altText', 'dominantColor'];

function imageOf(body: { imageUrl?: string | undefined; imageBase64?: string | undefined }): ImageInput | undefined {
  if (body.imageUrl !== undefined) return { kind: 'url', url: normalizeText(body.imageUrl) ?? body.imageUrl.trim() };
  if (body.imageBase64 === undefined) return undefined;
  const bytes = Buffer.from(body.imageBase64, 'base64');
  // Checked above: the bytes are a JPEG or a PNG, whatever type was declared.
  const contentType = sniffImage(bytes) ?? 'image/jpeg';
  return { kind: 'bytes', bytes, contentType };
}

/** POST /pins. */
export function draftInput(event: APIGatewayProxyEventV2): DraftInput {
  const body = parseWithChecks(createSchema, rawJsonBody(event, PIN_BODY_MAX_BYTES), 'body', (value) => imageIssues(value, true));
  const image = imageOf(body);
  if (image === undefined) throw new Error('unreachable: an image was required');
  const input: DraftInput = { environment: body.environment, boardId: body.boardId, image };
  for (const key of textKeys) {
    const value = normalizeText(body[key]);
    if (value !== undefined) input[key] = value;
  }
  return input;
}

/** PATCH /pins/{id}: `null` clears a field; an empty text clears it too (stored text is never empty). */
export function patchInput(event: APIGatewayProxyEventV2): PatchInput {
  const body = parseWithChecks(patchSchema, rawJsonBody(event, PIN_BODY_MAX_BYTES), 'body', (value) => imageIssues(value, false));
  const patch: PatchInput = { version: body.version };
  if (body.boardId !== undefined) patch.boardId = body.boardId;
  for (const key of textKeys) {
    const value = body[key];
    if (value === undefined) continue;
    patch[key] = value === null ? null : (normalizeText(value) ?? null);
  }
  const image = imageOf(body);
  if (image !== undefined) patch.image = image;
  return patch;
}
