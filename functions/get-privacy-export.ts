import { gzipSync } from 'node:zlib';
import * as z from '../shared/zod';
import { AppError } from '../shared/domain/errors';
import { requestIdPattern } from '../shared/domain/privacy';
import { httpHandler } from '../shared/http/handler';
import { noBody, pathParams, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { readPrivacyExport } from '../shared/use-cases/privacy';
import { safeSecurityLog } from '../shared/wiring';
import { privacyReadDeps } from '../shared/wiring-privacy';

const path = z.strictObject({ id: z.string().check(z.regex(requestIdPattern, 'the id is a privacy request id such as 20261202T101500123Z-1a2b3c4d')) });

/**
 * Lambda answers at most 6 MB, base64 included: a document above this goes gzip-compressed (JSON
 * shrinks about tenfold) to a client that accepts it, and is refused with a clear 413 otherwise.
 */
export const MAX_PLAIN_BYTES = 5 * 1024 * 1024;
const MAX_COMPRESSED_BYTES = 4 * 1024 * 1024;

/** GET /privacy/requests/{id}/export (operator): an export's JSON document, until it expires. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const { id } = pathParams(event, path);
  queryParams(event, z.strictObject({}));
  const body = await readPrivacyExport(privacyReadDeps(), id);
  const download = { 'Content-Disposition': `attachment; filename="privacy-export-${id}.json"` };
  if (body.length <= MAX_PLAIN_BYTES) return { ...json(200, null, download), body: body.toString('utf8') };
  const megabytes = (body.length / 1024 / 1024).toFixed(1);
  if (!/\bgzip\b/i.test(event.headers['accept-encoding'] ?? '')) {
    throw new AppError('payload_too_large', `The export is ${megabytes} MB, more than one answer carries uncompressed: ask for it compressed (Accept-Encoding: gzip; with curl, --compressed)`);
  }
  const compressed = gzipSync(body);
  if (compressed.length > MAX_COMPRESSED_BYTES) {
    throw new AppError('payload_too_large', `The export is ${megabytes} MB, too large to serve even compressed: narrow the request (one environment, or the account and the address separately)`);
  }
  return { ...json(200, null, { ...download, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' }), body: compressed.toString('base64'), isBase64Encoded: true };
}, { securityLog: safeSecurityLog });
