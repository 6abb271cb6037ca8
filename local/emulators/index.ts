import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import sesLocal from 'aws-ses-v2-local';
import { createGuardedServer, guardServer } from '../guard';
import { assertPortFree, closeServer, listen, tagPortError } from '../listen';
import { startSecretsManagerEmulator } from './secrets-manager';

/**
 * Starts the AWS emulators the product reaches through the real SDK clients: DynamoDB (dynalite on
 * LevelDB), S3 (s3rver), SES (aws-ses-v2-local; its store is memory only) and Secrets Manager (our
 * own, in ./secrets-manager/). All bind 127.0.0.1 and answer only requests addressed to 127.0.0.1 or
 * localhost that no other web origin sent (../guard.ts). With a data folder, DynamoDB, S3 and Secrets
 * Manager keep their data across restarts; without one they live in memory (or a temp folder).
 */

export interface EmulatorPorts {
  dynamodb: number;
  s3: number;
  ses: number;
  secretsManager: number;
}

export interface StartEmulatorsOptions {
  /** Folder for persisted data; omit for throw-away state (tests). */
  dataDir?: string;
  /** 0 (the default) picks a free port. */
  ports?: Partial<EmulatorPorts>;
  /** Time seen by the Secrets Manager emulator (scheduled deletions). */
  clock?: () => Date;
}

export interface Emulators {
  endpoints: Record<keyof EmulatorPorts, string>;
  /** Environment that points the real AWS SDK clients at the emulators. */
  sdkEnv: Record<string, string>;
  stop(): Promise<void>;
}

const host = '127.0.0.1';


export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const ports = { dynamodb: 0, s3: 0, ses: 0, secretsManager: 0, ...options.ports };
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => undefined);
  };
  try {
    const dataDir = options.dataDir;
    if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });

    // dynalite accepts any signature and answers CORS preflights from anywhere: the guard keeps pages out.
    const dynamo = guardServer(
      dynalite({
        ...(dataDir === undefined ? {} : { path: join(dataDir, 'dynamodb') }),
        createTableMs: 0,
        deleteTableMs: 0,
        updateTableMs: 0,
      }),
    );
    const dynamoPort = await tagPortError('dynamodb', listen(dynamo, ports.dynamodb, host));
    stops.push(() => closeServer(dynamo));

    // s3rver's own run() throws a taken port as an uncaught event; serving its handler from a server
    // of ours reports it like every other port.
    const s3Dir = dataDir === undefined ? mkdtempSync(join(tmpdir(), 'mdz-s3-')) : join(dataDir, 's3');
    const s3 = createGuardedServer(new S3rver({ address: host, port: ports.s3, silent: true, directory: s3Dir, vhostBuckets: false }).callback());
    stops.push(async () => {
      await closeServer(s3);
      if (dataDir === undefined) rmSync(s3Dir, { recursive: true, force: true });
    });
    const s3Port = await tagPortError('s3', listen(s3, ports.s3, host));

    // aws-ses-v2-local resolves with a server that is not listening when its port is taken.
    await tagPortError('ses', assertPortFree(ports.ses, host));
    // Its Express app listens by itself; the guard goes in front before any request can arrive (the
    // next connection is handled on a later turn of the event loop than this continuation).
    const ses = guardServer(await sesLocal({ host, port: ports.ses }));
    stops.push(() => closeServer(ses));
    if (!ses.listening) throw new Error(`SES emulator could not listen on port ${ports.ses}`);
    const sesPort = (ses.address() as AddressInfo).port;

    const secrets = await tagPortError(
      'secretsManager',
      startSecretsManagerEmulator({
        port: ports.secretsManager,
        host,
        ...(dataDir === undefined ? {} : { dataFile: join(dataDir, 'secrets-manager.json') }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      }),
    );
    stops.push(() => secrets.close());

    const endpoints = {
      dynamodb: `http://${host}:${dynamoPort}`,
      s3: `http://${host}:${s3Port}`,
      ses: `http://${host}:${sesPort}`,
      secretsManager: secrets.url,
    };
    return { endpoints, sdkEnv: sdkEnvFor(endpoints), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Endpoint overrides the AWS SDK v3 reads from the environment, plus dummy credentials. */
export function sdkEnvFor(endpoints: Record<keyof EmulatorPorts, string>): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SES: endpoints.ses,
    AWS_ENDPOINT_URL_SESV2: endpoints.ses,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    // s3rver would otherwise store aws-chunked framing inside streamed objects.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
