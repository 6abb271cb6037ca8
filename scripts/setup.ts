/**
 * `npm run setup -- --region <region>`: after the first deploy, creates what the stack leaves to the
 * operator so that no secret value is ever in the template, context or environment:
 * - the hashing key (`<prefix>keys/hashing-key`, random), once: a usable key is kept (replacing it
 *   would unlink every pseudonym, rate-limit key and mail marker), an empty or unusable one replaced;
 * - the operator credential: generated and printed once when none is stored (only its hash is kept);
 *   a usable one is kept (rotate with `npm run operator-credential`), an unusable one replaced.
 * A secret marked for deletion stops it with the commands that restore or remove it.
 * Then says whether the Pinterest app credentials are set (`npm run set-pinterest-app`). Running it
 * again changes nothing. `--local` works against `npm start`.
 */
import { z } from 'zod';
import type { SecretStore } from '../shared/adapters/secret-store';
import { newOperatorCredential, storeHashingKey, storeOperatorCredential } from '../local/boot';
import { operatorCredentialRecord } from '../shared/domain/operator-credential';
import { appCredentialsSchema } from '../shared/domain/pinterest-api';
import { hashingKeySecret, secretNames } from '../shared/secrets';
import { placeArgs, runSecretsScript, secretsScriptArgs, secretStoreFor } from './secrets-client';

/** A secret's value as stored; a secret marked for deletion is a usage problem with the command that fixes it. */
async function read(store: SecretStore, name: string): Promise<unknown> {
  try {
    return await store.get(name, z.unknown());
  } catch (error) {
    if (error instanceof Error && error.name === 'InvalidRequestException') {
      throw new Error(`${name} is marked for deletion: restore it (aws secretsmanager restore-secret --secret-id ${name}) or delete it for good (aws secretsmanager delete-secret --secret-id ${name} --force-delete-without-recovery), then run this again.`, { cause: error });
    }
    throw error;
  }
}

async function main(): Promise<number> {
  const values = secretsScriptArgs(process.argv.slice(2), { command: 'setup' });
  if (typeof values === 'number') return values;
  const store = secretStoreFor({ local: values.local, region: values.region });
  const names = secretNames(values.prefix);

  // The hashing key: kept when usable (replacing it would unlink every pseudonym); an empty or unusable
  // value has linked nothing yet, and is replaced.
  const key = await read(store, names.hashingKey);
  if (key === undefined) {
    await storeHashingKey(store, names.hashingKey, false);
    console.log(`Hashing key: created (${names.hashingKey}).`);
  } else if (!hashingKeySecret.safeParse(key).success) {
    await storeHashingKey(store, names.hashingKey, true);
    console.log(`Hashing key: its value was empty or unusable, replaced (${names.hashingKey}).`);
  } else {
    console.log(`Hashing key: kept (${names.hashingKey}).`);
  }

  // The operator credential: kept when a usable hash is stored; otherwise a new one, shown once.
  const stored = await read(store, names.operatorCredential);
  if (stored !== undefined && operatorCredentialRecord.safeParse(stored).success) {
    console.log(`Operator credential: kept (${names.operatorCredential}); rotate it with npm run operator-credential -- ${placeArgs(values)}.`);
  } else {
    const credential = newOperatorCredential();
    await storeOperatorCredential(store, names.operatorCredential, credential, stored !== undefined);
    console.log(`Operator credential: ${stored === undefined ? 'created' : 'its stored value was unusable, replaced'}; only its hash is stored (${names.operatorCredential}). Shown once, keep it safe:\n  ${credential}`);
  }

  const app = appCredentialsSchema.safeParse(await read(store, names.pinterestApp));
  console.log(
    app.success
      ? `Pinterest app credentials: set (${names.pinterestApp}).`
      : `Pinterest app credentials: not set. Next: npm run set-pinterest-app -- ${placeArgs(values)}`,
  );
  return 0;
}

runSecretsScript(main);
