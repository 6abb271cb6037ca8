/**
 * `npm run set-pinterest-app -- --region <region>`: stores the Pinterest app's id and secret (My apps on
 * developers.pinterest.com) in `<prefix>app/pinterest-client`, from a prompt (the secret is not shown
 * as it is typed) or from stdin (`{"clientId":"…","clientSecret":"…"}`, or the id and the secret on two
 * lines). Never from an argument: it would stay in the shell's history. Prints neither value back.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { seedPinterestApp } from '../local/boot';
import { appCredentialsSchema, type AppCredentials } from '../shared/domain/pinterest-api';
import { secretNames } from '../shared/secrets';
import { runSecretsScript, secretsScriptArgs, secretStoreFor } from './secrets-client';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON, or the id and the secret on the first two non-empty lines. */
export function parseAppCredentials(text: string): AppCredentials | undefined {
  const trimmed = text.trim();
  let candidate: unknown;
  if (trimmed.startsWith('{')) {
    try {
      candidate = JSON.parse(trimmed);
    } catch {
      return undefined;
    }
  } else {
    const [clientId, clientSecret, ...rest] = trimmed.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
    if (rest.length > 0) return undefined;
    candidate = { clientId, clientSecret };
  }
  const parsed = appCredentialsSchema.safeParse(candidate);
  return parsed.success ? parsed.data : undefined;
}

async function prompt(): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const ask = (question: string) =>
    new Promise<string>((resolve) => {
      rl.question(question, resolve);
    });
  const clientId = await ask('Pinterest app id: ');
  process.stdout.write('Pinterest app secret (not shown): ');
  muted = true;
  const clientSecret = await ask('');
  muted = false;
  process.stdout.write('\n');
  rl.close();
  return `${clientId}\n${clientSecret}`;
}

async function main(): Promise<number> {
  const values = secretsScriptArgs(process.argv.slice(2), { command: 'set-pinterest-app', more: 'the id and secret from the prompt or stdin' });
  if (typeof values === 'number') return values;
  const app = parseAppCredentials(process.stdin.isTTY ? await prompt() : await readStdin());
  if (app === undefined) {
    console.error('Give the app id and the app secret: {"clientId":"…","clientSecret":"…"} or the two on separate lines (both from My apps on developers.pinterest.com).');
    return 2;
  }
  const name = secretNames(values.prefix).pinterestApp;
  await seedPinterestApp(secretStoreFor({ local: values.local, region: values.region }), name, app);
  console.log(`Stored the Pinterest app credentials in ${name} (app id ${app.clientId}). POST /oauth/start works from now on.`);
  return 0;
}

if (require.main === module) runSecretsScript(main);
