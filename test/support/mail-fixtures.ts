import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretNames } from '../../shared/secrets';
import { clients, names } from './aws';

/** The mail tests' raw messages (test/fixtures/mail/). */
export function mailFixture(name: string): Buffer {
  return readFileSync(join(__dirname, '..', 'fixtures', 'mail', name));
}

/** A raw message with headers set: replaced where the header is present, added at the top otherwise. */
export function withHeaders(raw: Buffer, headers: Record<string, string>): Buffer {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  let head = text.slice(0, split + 2);
  const body = text.slice(split + 2);
  for (const [name, value] of Object.entries(headers)) {
    const line = new RegExp(`^${name}:.*\\r\\n`, 'im');
    head = line.test(head) ? head.replace(line, () => `${name}: ${value}\r\n`) : `${name}: ${value}\r\n${head}`;
  }
  return Buffer.from(head + body, 'latin1');
}

/** The hashing key as the Secrets Manager emulator holds it (read with the SDK, not through the product). */
export async function emulatorHashingKey(): Promise<string> {
  const secret = await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretNames(names.secretPrefix).hashingKey }));
  return (JSON.parse(secret.SecretString ?? '{}') as { hashingKey?: string }).hashingKey ?? '';
}
