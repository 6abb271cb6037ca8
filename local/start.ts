import { ConfigError } from '../shared/domain/errors';
import { DataFolderInUseError } from './data-lock';
import { PortInUseError } from './listen';

/**
 * `npm start`: the whole product, locally and offline. Ports, the data folder and the operator
 * credential come from the environment (docs/local-mode.md); data persists across restarts.
 *
 * What it prints, in order: where each service listens, `Ready: <API URL>` once everything is up,
 * and the operator credential last, so no log line can push it out of view. A start-up problem
 * (a taken port, a data folder in use, an invalid setting) is one line saying what to change,
 * never a stack trace, and the exit code is 1.
 */

/** The one line a start-up failure prints. */
export async function describeStartupError(error: unknown): Promise<string> {
  const { portSettings, LocalSettingError } = await import('./stack');
  const { StaleLocalDataError } = await import('./boot');
  if (error instanceof PortInUseError) {
    const setting = portSettings[error.service as keyof typeof portSettings] as (typeof portSettings)[keyof typeof portSettings] | undefined;
    return setting === undefined
      ? `Port ${error.port} is in use: stop the other process or choose other ports`
      : `${setting.service} port ${error.port} is in use: set ${setting.variable} or stop the other process`;
  }
  if (error instanceof ConfigError) return `Invalid setting: ${error.message.replace(/^Invalid configuration: /, '')}`;
  if (error instanceof LocalSettingError) return `Invalid setting: ${error.message}`;
  if (error instanceof DataFolderInUseError || error instanceof StaleLocalDataError) return error.message;
  return `Could not start: ${error instanceof Error ? error.message : String(error)}`;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Loaded only now: the product's logger reads LOG_FORMAT when its module loads.
  const { parseLocalEnv, optionsFromEnv, localSettings, startLocalStack } = await import('./stack');
  const localEnv = parseLocalEnv();
  process.env.LOG_FORMAT = localEnv.LOG_FORMAT;
  const options = optionsFromEnv();
  const { loadSettings } = await import('../shared/config');
  // Every product setting checked before anything starts; the URLs are placeholders of the same shape.
  const apiGuess = `http://127.0.0.1:${String(options.ports.api || 3000)}`;
  loadSettings({
    ...process.env,
    ...localSettings(apiGuess, options.realPinterestApp === undefined ? { authorize: `${apiGuess}/oauth/`, sandbox: `${apiGuess}/v5`, production: `${apiGuess}/v5` } : undefined),
  });

  const stack = await startLocalStack(options);
  loadSettings(); // the settings as the handlers will read them
  const { routes } = await import('../shared/routes');
  const e = stack.emulators.endpoints;
  const lines = [
    `MiraDigitalZen Publisher (local) — data in ${options.dataDir ?? '(memory)'}`,
    `  DynamoDB         ${e.dynamodb}  (dynalite; tables ${JSON.stringify(stack.tables)})`,
    `  S3               ${e.s3}  (s3rver)`,
    `  SES              ${e.ses}  (aws-ses-v2-local: sent mail at ${e.ses}/ , memory only)`,
    `  Secrets Manager  ${e.secretsManager}`,
  ];
  if (stack.pinterest === undefined) {
    lines.push('  Pinterest        the real Pinterest (PINTEREST_CLIENT_ID / PINTEREST_CLIENT_SECRET are set)');
  } else {
    const p = stack.pinterest.urls;
    lines.push(`  Pinterest        emulator: authorize ${p.authorize}  sandbox ${p.sandbox}  production ${p.production}`);
  }
  lines.push(
    `  API              ${stack.apiUrl}  (${String(routes.length)} routes, docs/api.md)`,
    `  Lambda           ${stack.apiUrl}  (Invoke API: asynchronous invocations, by function id)`,
    `  Logs             one line per request below${localEnv.LOG_FORMAT === 'json' ? ' (JSON)' : '; LOG_FORMAT=json for JSON lines'}`,
    '',
    `Ready: ${stack.apiUrl}   (started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; Ctrl-C stops everything)`,
    '',
  );
  const credential = stack.seed.generatedOperatorCredential;
  if (credential !== undefined) {
    lines.push('Operator credential (shown once; only its hash is stored):', `    ${credential}`);
  } else if (stack.seed.operatorCredentialSource === 'given') {
    lines.push('Operator credential: from LOCAL_OPERATOR_CREDENTIAL');
  } else {
    lines.push('Operator credential: unchanged, the one stored earlier (npm run operator-credential -- --local makes a new one)');
  }
  // One write, so the block arrives whole and last.
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
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

if (require.main === module) {
  main().catch(async (error: unknown) => {
    process.stderr.write(`${await describeStartupError(error)}\n`);
    process.exit(1);
  });
}
