import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repoRoot = join(__dirname, '../..');

/** The test worker's environment without what the global setup pointed at its own emulators. */
function cleanEnv(): Record<string, string | undefined> {
  const productVars = /^(AWS_|PINTEREST_|FUNCTION_|PUBLIC_BASE_URL$|OPERATOR_NOTIFY_EMAIL$|SENDER_EMAIL$|STATE_TABLE$|WORKFLOW_TABLE$|AUDIT_TABLE$|SECRET_PREFIX$|DATA_BUCKET$)/;
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !productVars.test(name)));
}

export interface Started {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  urls: { api: string; dynamodb: string; s3: string; ses: string; secretsManager: string; pinterestAuthorize: string };
}

/** Stacks still running when a test file ends (a failed assertion skipped its stop): killed then. */
const running = new Set<ChildProcessWithoutNullStreams>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

function spawnStart(env: Record<string, string>): ChildProcessWithoutNullStreams {
  const child = spawn(join(repoRoot, 'node_modules/.bin/tsx'), ['local/start.ts'], {
    cwd: repoRoot,
    env: {
      ...cleanEnv(),
      PORT: '0',
      DYNAMODB_PORT: '0',
      S3_PORT: '0',
      SES_PORT: '0',
      SECRETS_MANAGER_PORT: '0',
      PINTEREST_WWW_PORT: '0',
      PINTEREST_SANDBOX_PORT: '0',
      PINTEREST_PRODUCTION_PORT: '0',
      LOCAL_OPERATOR_CREDENTIAL: '',
      ...env,
    },
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Runs `npm start`'s script expecting it to stop by itself (a start-up error): its exit code and output. */
export function startToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnStart(env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`start did not stop by itself:\n${stdout}${stderr}`));
    }, 25_000);
    // 'close' comes after the output streams have ended, unlike 'exit'.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `npm start`'s script (tsx local/start.ts) on free ports and waits for its ready line. */
export async function start(env: Record<string, string>): Promise<Started> {
  const child = spawnStart(env);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`start did not finish:\n${out}`));
    }, 25_000);
    // The ready block is one write: once `Ready:` is seen, the credential lines are there too.
    child.stdout.on('data', () => {
      if (out.includes('\nReady: ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${String(code)}:\n${out}`));
    });
  });
  const url = (label: string) => new RegExp(`${label}\\s+(http://127\\.0\\.0\\.1:\\d+)`).exec(out)?.[1] ?? '';
  return {
    child,
    output: () => out,
    urls: {
      api: url('API'),
      dynamodb: url('DynamoDB'),
      s3: url('S3'),
      ses: url('SES'),
      secretsManager: url('Secrets Manager'),
      pinterestAuthorize: /authorize (http:\/\/127\.0\.0\.1:\d+\/oauth\/)/.exec(out)?.[1] ?? '',
    },
  };
}

/** Sends Ctrl-C and resolves with the exit code. */
export function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once('exit', (code) => {
      resolve(code);
    });
    started.child.kill('SIGINT');
  });
}


/**
 * The local stack for a whole suite, with its data in a fresh temporary folder (`DATA_DIR`, made at
 * once); call it at the top of a `describe`. Registers the hooks: start before all tests, stop and
 * remove the folder after all. The answer reads the running stack, so use it only inside tests.
 */
export function useLocalStack(dataDirPrefix: string, env: Record<string, string>): Started {
  const dataDir = mkdtempSync(join(tmpdir(), dataDirPrefix));
  let started: Started | undefined;
  const running = (): Started => {
    if (started === undefined) throw new Error('the local stack is not running (useLocalStack starts it in beforeAll)');
    return started;
  };
  beforeAll(async () => {
    started = await start({ DATA_DIR: dataDir, ...env });
  }, 30_000);
  afterAll(async () => {
    await stop(running());
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    get child() {
      return running().child;
    },
    output: () => running().output(),
    get urls() {
      return running().urls;
    },
  };
}
