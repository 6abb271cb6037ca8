/**
 * `npm run operator-credential`: creates or rotates the operator credential. It generates a random
 * credential (or takes `--credential VALUE`), stores only its SHA-256 in Secrets Manager under
 * `<prefix>operator/credential`, and prints the credential once.
 *
 * Local stack: `npm run operator-credential -- --local` (talks to the local Secrets Manager emulator
 * on SECRETS_MANAGER_PORT, default 4584; `npm start` must be running).
 * AWS: run with AWS credentials for the account (e.g. AWS_PROFILE) and `--region`, `--prefix` if not `mdz-publisher/`.
 * A rotated credential keeps working until API Gateway's authorizer cache expires (30 s).
 */
import { newOperatorCredential, storeOperatorCredential } from '../local/boot';
import { operatorCredentialRecord } from '../shared/domain/operator-credential';
import { operatorAuthorizer } from '../shared/routes';
import { secretNames } from '../shared/secrets';
import { runSecretsScript, secretsScriptArgs, secretStoreFor } from './secrets-client';

async function main(): Promise<number> {
  const args = secretsScriptArgs(process.argv.slice(2), { command: 'operator-credential', options: ['credential'] });
  if (typeof args === 'number') return args;
  const given = args.extra.credential;
  const store = secretStoreFor(args);
  const name = secretNames(args.prefix).operatorCredential;
  const credential = given ?? newOperatorCredential();
  await storeOperatorCredential(store, name, credential, (await store.get(name, operatorCredentialRecord)) !== undefined);
  console.log(`Stored the hash in ${name}.`);
  if (given === undefined) console.log(`Operator credential (shown once):\n  ${credential}`);
  console.log(`The previous credential keeps working for up to ${String(operatorAuthorizer.cacheTtlSeconds)} s (the authorizer's cache).`);
  return 0;
}

runSecretsScript(main);
