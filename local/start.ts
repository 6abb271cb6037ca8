import { loadSettings } from '../shared/config';
import { routes } from '../shared/routes';
import { optionsFromEnv, startLocalStack } from './stack';
import { StaleLocalDataError } from './boot';

/**
 * `npm start`: the whole product, locally and offline. Ports, the data folder and the operator
 * credential come from the environment (README, "Local mode"); data persists across restarts.
 */
async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const options = optionsFromEnv();
  const stack = await startLocalStack(options);
  loadSettings(); // fail at once, naming the variable, rather than on the first request

  const e = stack.emulators.endpoints;
  console.log(`MiraDigitalZen Publisher (local) — data in ${options.dataDir ?? '(memory)'}`);
  console.log(`  API              ${stack.apiUrl}`);
  for (const route of routes) console.log(`    ${route.method.padEnd(6)} ${stack.apiUrl}${route.path}  (${route.access})`);
  console.log(`  DynamoDB         ${e.dynamodb}  (dynalite; tables ${JSON.stringify(stack.tables)})`);
  console.log(`  S3               ${e.s3}  (s3rver)`);
  console.log(`  SES              ${e.ses}  (aws-ses-v2-local: sent mail at ${e.ses}/ , memory only)`);
  console.log(`  Secrets Manager  ${e.secretsManager}`);
  if (stack.pinterest === undefined) {
    console.log('  Pinterest        the real Pinterest (PINTEREST_CLIENT_ID / PINTEREST_CLIENT_SECRET are set)');
  } else {
    const p = stack.pinterest.urls;
    console.log(`  Pinterest        emulator: authorize ${p.authorize}  sandbox ${p.sandbox}  production ${p.production}`);
    console.log(`                   app ${stack.pinterest.app.clientId}, redirect URI ${stack.pinterest.app.redirectUris.join(' ')}`);
  }
  if (stack.seed.generatedOperatorCredential !== undefined) {
    console.log('\n  Operator credential (shown once; only its hash is stored):');
    console.log(`    ${stack.seed.generatedOperatorCredential}`);
  } else {
    console.log(`\n  Operator credential: ${stack.seed.operatorCredentialSource === 'given' ? 'from LOCAL_OPERATOR_CREDENTIAL' : 'unchanged since it was first printed'}`);
  }
  console.log('\nPress Ctrl-C to stop.');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error instanceof Error ? error.message : error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => {
    stop('SIGINT');
  });
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof StaleLocalDataError ? error.message : error);
  process.exit(1);
});
