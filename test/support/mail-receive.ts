import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Started } from './local-process';

const repoRoot = join(__dirname, '../..');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run mail:receive` (scripts/mail-receive.ts) as a person runs it, next to the stack: a child
 * process in the repository root, pointed at the started stack's ports, without the AWS settings the
 * test worker carries.
 */
export function mailReceive(stack: Started, args: string[]): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const ports = {
    PORT: new URL(stack.urls.api).port,
    S3_PORT: new URL(stack.urls.s3).port,
    DYNAMODB_PORT: new URL(stack.urls.dynamodb).port,
    SES_PORT: new URL(stack.urls.ses).port,
  };
  return new Promise((resolve) => {
    execFile(join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/mail-receive.ts', ...args], { cwd: repoRoot, env: { ...base, ...ports }, timeout: 40_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

/** The reference the script printed (`ticket MDZ-… (open…)`). */
export function referenceIn(stdout: string): string {
  const reference = /^ticket (MDZ-[A-Z2-9]{10}) \(/m.exec(stdout)?.[1];
  if (reference === undefined) throw new Error(`no ticket reference in the script's output:\n${stdout}`);
  return reference;
}

