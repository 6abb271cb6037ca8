import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body of at most `maxBytes`. Past the limit the rest is drained, not buffered, and
 * the answer is 'too_large'; each server turns that into its own reply.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(size > maxBytes ? 'too_large' : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
