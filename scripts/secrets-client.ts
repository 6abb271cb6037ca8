import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseArgs } from 'node:util';
import { SecretStore } from '../shared/adapters/secret-store';
import { systemClock } from '../shared/domain/time';
import { DEFAULT_SECRET_PREFIX, SECRET_PREFIX_PATTERN } from '../shared/secrets';
import { localStackUnreachable } from './local-stack';

/**
 * The secret store a set-up script writes to: the local stack's Secrets Manager emulator (`--local`,
 * SECRETS_MANAGER_PORT, default 4584), or AWS in `region` with the credentials of the environment
 * (AWS_PROFILE, …). No cache: every read is fresh.
 */
export function secretStoreFor(options: { local: boolean; region?: string | undefined }): SecretStore {
  if (options.local) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = options.local
    ? new SecretsManagerClient({
        endpoint: `http://127.0.0.1:${process.env.SECRETS_MANAGER_PORT ?? '4584'}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      })
    : new SecretsManagerClient(options.region === undefined ? {} : { region: options.region });
  return new SecretStore(client, systemClock, 0);
}

/**
 * Runs a set-up script's `main` and sets the exit code it answers; a failure is one line (how to start
 * the local stack when nothing answers on its Secrets Manager port), exit code 1.
 */
export function runSecretsScript(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const port = process.env.SECRETS_MANAGER_PORT ?? '4584';
      console.error(localStackUnreachable(error, 'SECRETS_MANAGER_PORT', port) ?? (error instanceof Error ? error.message : String(error)));
      process.exitCode = 1;
    },
  );
}

export interface SecretsScriptArgs {
  local: boolean;
  region?: string | undefined;
  prefix: string;
  /** The script's own string options, by name. */
  extra: Record<string, string | undefined>;
}

/**
 * The arguments every set-up script shares: `--region <region>` (or AWS_REGION) for AWS, or `--local`
 * for `npm start`, never both; `--prefix`; `--help`. Answers the arguments, or the exit code after
 * printing the usage line: 0 for `--help`, 2 for a usage problem.
 */
export function secretsScriptArgs(
  argv: readonly string[],
  usage: { command: string; more?: string; options?: readonly string[] },
): SecretsScriptArgs | number {
  const line = `Usage: npm run ${usage.command} -- --region <region> [--prefix ${DEFAULT_SECRET_PREFIX}]${(usage.options ?? []).map((name) => ` [--${name} <value>]`).join('')}   (the region the stack is deployed in; or --local for npm start)${usage.more === undefined ? '' : `; ${usage.more}`}`;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        region: { type: 'string' },
        prefix: { type: 'string', default: DEFAULT_SECRET_PREFIX },
        local: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
        ...Object.fromEntries((usage.options ?? []).map((name) => [name, { type: 'string' as const }])),
      },
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${line}`);
    return 2;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help === true) {
    console.log(line);
    return 0;
  }
  const local = values.local === true;
  const region = typeof values.region === 'string' ? values.region : undefined;
  if (local && region !== undefined) {
    console.error(`--local and --region name two different places: give one.\n${line}`);
    return 2;
  }
  if (!local && region === undefined && (process.env.AWS_REGION ?? '') === '') {
    console.error(line);
    return 2;
  }
  const prefix = String(values.prefix);
  if (!SECRET_PREFIX_PATTERN.test(prefix)) {
    console.error(`--prefix ${prefix}: letters, digits and _+=.@- in /-separated parts, ending with / (as secretPrefix in cdk.json).\n${line}`);
    return 2;
  }
  const extra = Object.fromEntries((usage.options ?? []).map((name) => [name, typeof values[name] === 'string' ? values[name] : undefined]));
  return { local, region, prefix, extra };
}

/**
 * How to name the same deployment to another set-up script: `--local`, or `--region <region>`, and its
 * `--prefix` unless it is the default (without it, the command would act on another deployment's secrets).
 */
export function placeArgs(args: { local: boolean; region?: string | undefined; prefix: string }): string {
  const place = args.local ? '--local' : `--region ${args.region ?? process.env.AWS_REGION ?? '<region>'}`;
  return args.prefix === DEFAULT_SECRET_PREFIX ? place : `${place} --prefix ${args.prefix}`;
}
