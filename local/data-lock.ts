import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One running local stack per data folder. Two stacks over the same folder would fight over
 * dynalite's LevelDB (whose own lock surfaces only as "Database is closed" on the first request)
 * and overwrite each other's emulator files, so start-up takes a lock file naming its process and
 * refuses a folder whose lock belongs to a process that is still alive. A lock left by a process
 * that died (kill -9, a crash) is taken over.
 */

export class DataFolderInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `The data folder ${dataDir} is in use by another local stack (process ${pid}). ` +
        'Stop that one (Ctrl-C in its terminal), or set DATA_DIR to another folder.',
    );
    this.name = 'DataFolderInUseError';
  }
}

const LOCK_FILE = '.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the folder's lock (creating the folder) and answers the function that releases it. */
export function lockDataDir(dataDir: string, pid = process.pid): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, LOCK_FILE);
  // Written whole, then linked into place: linking fails if the lock exists, and a reader never
  // sees a half-written pid.
  const draft = `${lockPath}.${pid}.tmp`;
  writeFileSync(draft, String(pid), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        linkSync(draft, lockPath);
        return () => {
          if (holder(lockPath) === pid) unlinkSync(lockPath);
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const other = holder(lockPath);
        if (other !== undefined && other !== pid && alive(other)) throw new DataFolderInUseError(dataDir, other);
        unlinkSync(lockPath); // stale: its process is gone
      }
    }
  } finally {
    unlinkSync(draft);
  }
  throw new Error(`Could not take the lock ${lockPath}`);
}
