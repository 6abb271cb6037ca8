/**
 * `npm run setup -- --region <region>`: after the first deploy, creates what the stack leaves to the
 * operator so that no secret value is ever in the template, context or environment:
 * - the hashing key (`<prefix>keys/hashing-key`, random), once: an existing key is kept (replacing it
 *   would unlink every pseudonym, rate-limit key and mail marker);
 * - the operator credential: generated and printed once when none is stored (only its hash is kept);
 *   an existing one is kept (rotate with `npm run operator-credential`).
 * Then says whether the Pinterest app credentials are set (`npm run set-pinterest-app`). Running it
 * again changes nothing. `--local` works against `npm start`.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { seedSecrets } from '../local/boot';
import { appCredentialsSchema } from '../shared/domain/pinterest-api';
import { DEFAULT_SECRET_PREFIX, secretNames } from '../shared/secrets';
import { runSecretsScript, secretStoreFor } from './secrets-client';

async function main(): Promise<number> {
  let values: { region?: string; prefix: string; local: boolean };
  try {
    ({ values } = parseArgs({ options: { region: { type: 'string' }, prefix: { type: 'string', default: DEFAULT_SECRET_PREFIX }, local: { type: 'boolean', default: false } } }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\nUsage: npm run setup -- --region <region> [--prefix mdz-publisher/]   (or --local for npm start)`);
    return 2;
  }
  if (!values.local && values.region === undefined && process.env.AWS_REGION === undefined) {
    console.error('Usage: npm run setup -- --region <region> [--prefix mdz-publisher/]   (the region the stack is deployed in; or --local for npm start)');
    return 2;
  }
  const store = secretStoreFor({ local: values.local, region: values.region });
  const names = secretNames(values.prefix);
  const keyBefore = await store.get(names.hashingKey, z.unknown());
  const seeded = await seedSecrets(store, values.prefix, undefined);
  console.log(`Hashing key: ${keyBefore === undefined ? 'created' : 'kept'} (${names.hashingKey}).`);
  if (seeded.generatedOperatorCredential !== undefined) {
    console.log(`Operator credential: created; only its hash is stored (${names.operatorCredential}). Shown once, keep it safe:\n  ${seeded.generatedOperatorCredential}`);
  } else {
    console.log(`Operator credential: kept (${names.operatorCredential}); rotate it with npm run operator-credential.`);
  }
  const app = appCredentialsSchema.safeParse(await store.get(names.pinterestApp, z.unknown()));
  console.log(
    app.success
      ? `Pinterest app credentials: set (${names.pinterestApp}).`
      : `Pinterest app credentials: not set. Next: npm run set-pinterest-app -- ${values.local ? '--local' : `--region ${values.region ?? process.env.AWS_REGION ?? ''}`}`,
  );
  return 0;
}

runSecretsScript(main);
