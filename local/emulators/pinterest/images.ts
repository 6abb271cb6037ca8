import { createHash } from 'node:crypto';
import type { StoredImage } from './records';

/**
 * Pin images. Pinterest fetches or decodes the image and re-hosts it on i.pinimg.com, so a stored
 * Pin keeps only a key and the original size; the source URL or data is never stored or echoed.
 */

/** Without a real fetch the size of a URL image is unknown: assume 1000×1500, Pinterest's 2:3. */
const URL_IMAGE = { width: 1000, height: 1500 };

export function pinImageUrl(size: string, key: string): string {
  return `https://i.pinimg.com/${size}/${key.slice(0, 2)}/${key.slice(2, 4)}/${key.slice(4, 6)}/${key}.jpg`;
}

/** The spec's `ImageSize`: two fixed crops and two widths scaled to the original's aspect ratio. */
export function imageSizes(image: StoredImage): Record<string, { url: string; width: number; height: number }> {
  const scaled = (width: number): { width: number; height: number } => ({ width, height: Math.round((width * image.height) / image.width) });
  return {
    '150x150': { url: pinImageUrl('150x150', image.key), width: 150, height: 150 },
    '400x300': { url: pinImageUrl('400x300', image.key), width: 400, height: 300 },
    '600x': { url: pinImageUrl('600x', image.key), ...scaled(600) },
    '1200x': { url: pinImageUrl('1200x', image.key), ...scaled(1200) },
  };
}

function keyOf(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 32);
}

/**
 * Whether Pinterest could fetch the URL. Without network access the emulator fetches nothing: an
 * unparsable or non-HTTP(S) URL, or a host under `.invalid` (reserved by RFC 2606 never to resolve),
 * counts as unreachable; everything else (loopback included, for local runs) as reachable.
 */
export function isReachableImageUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  return host !== 'invalid' && !host.endsWith('.invalid');
}

export function urlImage(pinId: string): StoredImage {
  return { key: keyOf(`pin-${pinId}`), ...URL_IMAGE };
}

function pngSize(bytes: Buffer): { width: number; height: number } | undefined {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(signature)) return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Walks the JPEG markers to the first start-of-frame, which holds the size. */
function jpegSize(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let offset = 2;
  while (offset + 9 <= bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1] ?? 0;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return { width: bytes.readUInt16BE(offset + 7), height: bytes.readUInt16BE(offset + 5) };
    offset += 2 + bytes.readUInt16BE(offset + 2);
  }
  return undefined;
}

/**
 * The stored image for base64 data, or undefined when the bytes are not a JPEG or PNG whose size can
 * be read. Either type is accepted whatever `content_type` says: Pinterest's check is not documented.
 */
export function base64Image(pinId: string, data: string): StoredImage | undefined {
  const bytes = Buffer.from(data, 'base64');
  const size = pngSize(bytes) ?? jpegSize(bytes);
  if (size === undefined || size.width === 0 || size.height === 0) return undefined;
  return { key: keyOf(`pin-${pinId}`), ...size };
}
