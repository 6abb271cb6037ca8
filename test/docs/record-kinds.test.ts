import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bucketPrefixes } from '../../infra/constructs/data';
import { settingsSchema } from '../../shared/config';
import { recordKinds, retentionSettingPrefix, type RecordKind } from '../../shared/record-kinds';
import { secretNames } from '../../shared/secrets';

/**
 * The README's data table, the record-kinds module and the code agree: every kind is a row of the
 * table naming its retention setting, every row is a kind, every retention setting is some kind's,
 * and every partition the stores write, every bucket prefix and every secret group is a kind.
 */

const repoRoot = join(__dirname, '..', '..');
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The rows of the README's "Data and retention" table: [record, where, kept]. */
function readmeRows(): string[][] {
  const section = readme.split(/^## /m).find((part) => part.startsWith('Data and retention'));
  if (section === undefined) throw new Error('README has no "Data and retention" section');
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| ---') && !line.startsWith('| Record |'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

/** Retention settings no record uses yet, each with the reason. */
const notYetStored: Record<string, string> = {};

function settingOf(kind: RecordKind): string | undefined {
  return 'setting' in kind.retention ? kind.retention.setting : undefined;
}

describe('the README data table and the record kinds', () => {
  const rows = readmeRows();

  it('lists every record kind once, in a row that names its retention setting', () => {
    for (const kind of recordKinds) {
      const matching = rows.filter((row) => row[0] === kind.name);
      expect({ kind: kind.name, rows: matching.length }).toEqual({ kind: kind.name, rows: 1 });
      const setting = settingOf(kind);
      if (setting !== undefined) expect({ kind: kind.name, kept: matching[0]?.[2]?.includes(`\`${setting}\``) }).toEqual({ kind: kind.name, kept: true });
    }
  });

  it('has no row that is not a record kind', () => {
    expect(rows.map((row) => row[0]).filter((name) => !recordKinds.some((kind) => kind.name === name))).toEqual([]);
  });

  it('uses every retention setting for some record kind (or says why not yet)', () => {
    const settings = Object.keys(settingsSchema.shape).filter((name) => name.startsWith(retentionSettingPrefix));
    const used = new Set(recordKinds.map(settingOf));
    expect(settings.filter((name) => !used.has(name as never) && notYetStored[name] === undefined)).toEqual([]);
    // And a setting said to be unused really is.
    for (const name of Object.keys(notYetStored)) expect(used.has(name as never)).toBe(false);
  });

  it('states how long point-in-time recovery keeps deleted data', () => {
    expect(readme).toMatch(/Point-in-time recovery keeps[^.]*35 days/);
  });
});

describe('the record kinds cover everything the code stores', () => {
  const partitions = new Set(recordKinds.flatMap((kind) => ('table' in kind.location ? [kind.location.partition] : [])));

  /**
   * The partition each store writes: `pk:` template literals (`ACCOUNT#${env}` → `ACCOUNT#`), and the
   * named partition helpers, resolved here. A `pk:` written any other way fails, so it gets resolved
   * here too rather than slipping past.
   */
  const named: Record<string, string> = { LOG_PARTITION: 'LOG', PRIVACY_PARTITION: 'PRIVACY', 'boardsPartition(env)': 'BOARDS#', 'partition(env)': 'BOARD_SYNC#' };
  // Not writes: passing a key through, and the key's type or schema (`pk: string`, `pk: z.string()`).
  const passThrough = new Set(['item.pk', 'key.pk', 'entry.pk', 'current.pk', 'z.string()']);
  const isType = (expression: string) => /^string\b/.test(expression);
  const dynamoDir = join(repoRoot, 'shared', 'adapters', 'dynamo');
  const written = readdirSync(dynamoDir)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => [...readFileSync(join(dynamoDir, file), 'utf8').matchAll(/\bpk: ([^,}\n]+)/g)].map((m) => ({ file, expression: (m[1] ?? '').trim() })));

  it('finds the partitions the stores write (the scan is live)', () => {
    expect(written.length).toBeGreaterThan(10);
  });

  /** What the stores write that no kind covers (given the kinds' partitions). */
  function uncovered(covered: ReadonlySet<string>): string[] {
    const problems: string[] = [];
    for (const { file, expression } of written) {
      if (passThrough.has(expression) || isType(expression)) continue;
      const partition = /^`([A-Z_]+#)/.exec(expression)?.[1] ?? named[expression];
      if (partition === undefined) problems.push(`${file}: pk: ${expression} (resolve it in this test)`);
      else if (!covered.has(partition)) problems.push(`${file}: ${partition} has no record kind`);
    }
    return problems;
  }

  it('has a kind for every partition a store writes', () => {
    expect(uncovered(partitions)).toEqual([]);
  });

  it('fails when a partition has no kind (the check is live)', () => {
    const without = new Set([...partitions].filter((partition) => partition !== 'TICKET#'));
    expect(uncovered(without)).toEqual(['ticket-store.ts: TICKET# has no record kind']);
  });

  it('has a kind for every bucket prefix and every secret group', () => {
    const prefixes = new Set(recordKinds.flatMap((kind) => ('bucket' in kind.location ? [kind.location.bucket] : [])));
    expect(Object.values(bucketPrefixes).filter((prefix) => !prefixes.has(prefix))).toEqual([]);
    const groups = new Set(recordKinds.flatMap((kind) => ('secrets' in kind.location ? [kind.location.secrets] : [])));
    // Every secret name the product uses lives under one of its groups.
    const names = secretNames('p/');
    const used = [names.hashingKey, names.pinterestApp, names.operatorCredential, names.tokens('sandbox', '1', 'c')];
    expect(Object.keys(names).sort()).toEqual(['hashingKey', 'operatorCredential', 'pinterestApp', 'tokens']);
    expect(used.filter((name) => ![...groups].some((group) => name.startsWith(`p/${group}/`)))).toEqual([]);
  });
});
