import { isJsonObject as isBody } from './http';
import { charLength } from './records';
import type { PinterestEnvironment } from './types';

/**
 * The `POST /v5/pins` body checked against the spec's `PinCreate` and `PinMediaSource*` (title ≤ 100,
 * description ≤ 800, link ≤ 2048, alt text ≤ 500 characters). Messages imitate the JSON-schema style
 * Pinterest answers with, e.g. `'abc' does not match '^\\d+$' - 'board_id'`, always naming the field.
 * The spec requires no field, but a Pin cannot be created without a board and an image, so `board_id`
 * and `media_source` are.
 */

export type MediaInput = { kind: 'image_url'; url: string; isStandard: boolean } | { kind: 'image_base64'; data: string; isStandard: boolean };

export interface PinInput {
  boardId: string;
  sectionId: string | null;
  title: string | null;
  description: string | null;
  link: string | null;
  altText: string | null;
  dominantColor: string | null;
  parentPinId: string | null;
  media: MediaInput;
}

type Body = Record<string, unknown>;
type Result<T> = { value: T } | { error: string };

const NUMERIC = /^\d+$/;
const BASE64 = /^[a-zA-Z0-9+/=]+$/;
const CONTENT_TYPES = ['image/jpeg', 'image/png'];
const SOURCE_TYPES = ['image_base64', 'image_url', 'video_id', 'multiple_image_base64', 'multiple_image_urls', 'pin_url'];

/** Python-style repr, as the schema messages show values; long strings are cut short. */
function repr(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  return `'${charLength(value) > 40 ? `${Array.from(value).slice(0, 40).join('')}…` : value}'`;
}

function oneOf(values: readonly string[]): string {
  return `[${values.map((v) => `'${v}'`).join(', ')}]`;
}

interface StringRule {
  max?: number;
  /** Shown as the spec writes it, e.g. '^\\d+$'. */
  pattern?: { regex: RegExp; text: string };
  required?: boolean;
}

/** A string field of `body` (null or absent allowed unless required); errors name its path. */
function stringField(body: Body, field: string, parent: string | undefined, rule: StringRule): Result<string | null> {
  const path = parent === undefined ? field : `${parent}.${field}`;
  const value = body[field];
  if (value === undefined || value === null) {
    if (rule.required !== true) return { value: null };
    return { error: `'${field}' is a required property${parent === undefined ? '' : ` - '${parent}'`}` };
  }
  if (typeof value !== 'string') return { error: `${repr(value)} is not of type 'string' - '${path}'` };
  if (rule.max !== undefined && charLength(value) > rule.max) {
    return { error: `${repr(value)} is too long (maximum ${rule.max} characters) - '${path}'` };
  }
  if (rule.pattern !== undefined && !rule.pattern.regex.test(value)) {
    return { error: `${repr(value)} does not match '${rule.pattern.text}' - '${path}'` };
  }
  return { value };
}

const ID_RULE: StringRule = { pattern: { regex: NUMERIC, text: '^\\\\d+$' } };

function isStandard(source: Body): Result<boolean> {
  const value = source.is_standard;
  if (value === undefined) return { value: true };
  return typeof value === 'boolean' ? { value } : { error: `${repr(value)} is not of type 'boolean' - 'media_source.is_standard'` };
}

/** Video, carousel and product Pins are refused with a reason (the sandbox has no video Pins). */
function unsupported(type: string, environment: PinterestEnvironment): string {
  if (type === 'video_id') {
    return environment === 'sandbox'
      ? "Video Pins cannot be created in the API Sandbox - 'media_source.source_type'"
      : "The Pinterest emulator creates image Pins only: 'video_id' is not supported - 'media_source.source_type'";
  }
  if (type === 'pin_url') return "'pin_url' (product Pins) is only available to beta users - 'media_source.source_type'";
  return `The Pinterest emulator creates single-image Pins only: '${type}' is not supported - 'media_source.source_type'`;
}

function media(body: Body, environment: PinterestEnvironment): Result<MediaInput> {
  const source = body.media_source;
  if (source === undefined || source === null) return { error: "'media_source' is a required property" };
  if (!isBody(source)) return { error: `${repr(source)} is not of type 'object' - 'media_source'` };
  const type = source.source_type;
  if (type === undefined) return { error: "'source_type' is a required property - 'media_source'" };
  if (typeof type !== 'string' || !SOURCE_TYPES.includes(type)) return { error: `${repr(type)} is not one of ${oneOf(SOURCE_TYPES)} - 'media_source.source_type'` };
  if (type !== 'image_url' && type !== 'image_base64') return { error: unsupported(type, environment) };
  const standard = isStandard(source);
  if ('error' in standard) return standard;
  if (type === 'image_url') {
    const url = stringField(source, 'url', 'media_source', { required: true });
    return 'error' in url ? url : { value: { kind: 'image_url', url: url.value ?? '', isStandard: standard.value } };
  }
  const contentType = stringField(source, 'content_type', 'media_source', { required: true });
  if ('error' in contentType) return contentType;
  if (!CONTENT_TYPES.includes(contentType.value ?? '')) {
    return { error: `${repr(contentType.value)} is not one of ${oneOf(CONTENT_TYPES)} - 'media_source.content_type'` };
  }
  const data = stringField(source, 'data', 'media_source', { required: true, pattern: { regex: BASE64, text: '^[a-zA-Z0-9+/=]+$' } });
  return 'error' in data ? data : { value: { kind: 'image_base64', data: data.value ?? '', isStandard: standard.value } };
}

type TextField = Exclude<keyof PinInput, 'media'>;

/** Checked in this order; the first problem is the one reported. */
const TEXT_FIELDS: readonly (readonly [TextField, string, StringRule])[] = [
  ['boardId', 'board_id', { ...ID_RULE, required: true }],
  ['sectionId', 'board_section_id', ID_RULE],
  ['title', 'title', { max: 100 }],
  ['description', 'description', { max: 800 }],
  ['link', 'link', { max: 2048 }],
  ['altText', 'alt_text', { max: 500 }],
  ['dominantColor', 'dominant_color', {}],
  ['parentPinId', 'parent_pin_id', ID_RULE],
];

/** The first problem with the body, or the input it describes. */
export function parsePinInput(raw: unknown, environment: PinterestEnvironment): Result<PinInput> {
  if (!isBody(raw)) return { error: `${repr(raw)} is not of type 'object'` };
  const text = new Map<TextField, string | null>();
  for (const [key, field, rule] of TEXT_FIELDS) {
    const result = stringField(raw, field, undefined, rule);
    if ('error' in result) return result;
    text.set(key, result.value);
  }
  const source = media(raw, environment);
  if ('error' in source) return source;
  const get = (key: TextField): string | null => text.get(key) ?? null;
  return {
    value: {
      boardId: get('boardId') ?? '',
      sectionId: get('sectionId'),
      title: get('title'),
      description: get('description'),
      link: get('link'),
      altText: get('altText'),
      dominantColor: get('dominantColor'),
      parentPinId: get('parentPinId'),
      media: source.value,
    },
  };
}
