import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { pinIdOf } from '../shared/http/pin-path';
import { pinMedia } from '../shared/use-cases/pins';
import { safeSecurityLog } from '../shared/wiring';
import { pinDeps } from '../shared/wiring-pins';

/**
 * GET /pins/{id}/media (operator): the stored image bytes, as their sniffed type. Never rendered as
 * anything else (nosniff), never cached by a shared cache, offered inline under a fixed file name.
 */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const pinId = pinIdOf(event);
  queryParams(event, z.strictObject({}));
  const image = await pinMedia(pinDeps(), pinId);
  const extension = image.contentType === 'image/png' ? 'png' : 'jpg';
  return {
    statusCode: 200,
    headers: {
      'Content-Type': image.contentType,
      'Content-Length': String(image.body.length),
      'Cache-Control': 'private, no-store',
      'Content-Disposition': `inline; filename="pin-${pinId}.${extension}"`,
      'X-Content-Type-Options': 'nosniff',
    },
    isBase64Encoded: true,
    body: image.body.toString('base64'),
  };
}, { securityLog: safeSecurityLog });
