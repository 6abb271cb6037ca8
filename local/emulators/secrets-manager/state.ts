import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

// Stored state (also the persisted file format)

export const tagSchema = z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256).optional() });

const versionRecordSchema = z.object({
  versionId: z.string(),
  secretString: z.string().optional(),
  secretBinary: z.string().optional(),
  stages: z.array(z.string()),
  createdMs: z.number(),
  lastAccessedMs: z.number().optional(),
});

const secretRecordSchema = z.object({
  arn: z.string(),
  name: z.string(),
  description: z.string().optional(),
  tags: z.array(tagSchema),
  createdMs: z.number(),
  lastChangedMs: z.number(),
  lastAccessedMs: z.number().optional(),
  deletionMs: z.number().optional(),
  versions: z.array(versionRecordSchema),
});

const stateFileSchema = z.object({ formatVersion: z.literal(1), secrets: z.array(secretRecordSchema) });

export type Tag = z.infer<typeof tagSchema>;
export type VersionRecord = z.infer<typeof versionRecordSchema>;
export type SecretRecord = z.infer<typeof secretRecordSchema>;

/** Secrets by name, in creation order; `flush` writes the file once per changed request. */
export class SecretStore {
  private readonly secrets = new Map<string, SecretRecord>();
  private dirty = false;

  constructor(private readonly dataFile: string | undefined) {
    if (dataFile === undefined) return;
    mkdirSync(dirname(dataFile), { recursive: true });
    if (!existsSync(dataFile)) return;
    const parsed = stateFileSchema.safeParse(JSON.parse(readFileSync(dataFile, 'utf8')));
    if (!parsed.success) throw new Error(`Secrets Manager emulator: ${dataFile} is not a valid state file`);
    for (const secret of parsed.data.secrets) this.secrets.set(secret.name, secret);
  }

  all(): SecretRecord[] {
    return [...this.secrets.values()];
  }

  byName(name: string): SecretRecord | undefined {
    return this.secrets.get(name);
  }

  add(secret: SecretRecord): void {
    this.secrets.set(secret.name, secret);
    this.changed();
  }

  remove(secret: SecretRecord): void {
    this.secrets.delete(secret.name);
    this.changed();
  }

  changed(): void {
    this.dirty = true;
  }

  /** Drops every secret whose scheduled deletion date has been reached. */
  purgeExpired(nowMs: number): void {
    for (const secret of this.all()) {
      if (secret.deletionMs !== undefined && secret.deletionMs <= nowMs) this.remove(secret);
    }
  }

  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.dataFile === undefined) return;
    const temp = `${this.dataFile}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(temp, JSON.stringify({ formatVersion: 1, secrets: this.all() }), { mode: 0o600 });
    renameSync(temp, this.dataFile);
  }
}
