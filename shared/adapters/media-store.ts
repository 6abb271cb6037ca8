import { randomUUID } from 'node:crypto';
import { ConflictError } from '../domain/errors';
import { mediaKey, type ImageContentType } from '../domain/pins';
import type { PinterestEnvironment } from '../domain/pinterest';
import type { Clock } from '../domain/time';
import type { MediaPort } from '../use-cases/pin-ports';
import { StaleRecordError, type DynamoTable } from './dynamo/table';
import type { ObjectStore } from './object-store';

/**
 * Image bytes shared by the records that hold them. The bytes live in the data bucket at
 * `media/<env>/<account>/<sha256>`; beside them, in the workflow table, a reference item
 * (`MEDIA#<env>#<account>#<sha256>` / `MEDIA`) holds the set of references to them: one per record
 * that set the image (`<pin id>:<unique id>`, kept in the record), so a request that loses a race or
 * replaces an image lets go of exactly the reference it owns.
 *
 * The rules that make "removed when no other record refers to it" safe under concurrency:
 * - holding: add the Pin id to the set (refused while a removal holds the item), then write the bytes
 *   (content-addressed, so writing them again is harmless);
 * - releasing: remove the Pin id; when the set is empty, claim the item for removal (only while the set
 *   is empty and no live claim exists), delete the bytes, then delete the item (only if still claimed by
 *   us and still unreferenced).
 * A holder never waits on a removal for long (it deletes one object); a claim older than `claimMs` — far
 * longer than any function that releases may run — belongs to a removal that stopped, so a holder may
 * take it over: it writes the bytes again after taking its reference.
 */

const refKey = (env: PinterestEnvironment, accountId: string, sha256: string) => ({ pk: `MEDIA#${env}#${accountId}#${sha256}`, sk: 'MEDIA' });

export interface MediaStoreOptions {
  /** How long a removal's claim holds (ms): longer than any releasing function runs. */
  claimMs: number;
  /** Pauses between attempts to hold an image a removal is working on. */
  pause?: (ms: number) => Promise<void>;
}

export class MediaStore implements MediaPort {
  private readonly pause: (ms: number) => Promise<void>;

  constructor(
    private readonly table: DynamoTable,
    private readonly objects: ObjectStore,
    private readonly clock: Clock,
    private readonly options: MediaStoreOptions,
  ) {
    this.pause = options.pause ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async hold(env: PinterestEnvironment, accountId: string, ref: string, image: { bytes: Buffer; sha256: string; contentType: ImageContentType }): Promise<string> {
    await this.reference(env, accountId, ref, image.sha256);
    const objectKey = mediaKey(env, accountId, image.sha256);
    await this.objects.put(objectKey, image.bytes, image.contentType, { sha256: image.sha256 });
    return objectKey;
  }

  async share(env: PinterestEnvironment, accountId: string, ref: string, sha256: string): Promise<boolean> {
    await this.reference(env, accountId, ref, sha256);
    // Held by the source record, the bytes cannot go; unless the source went first: then let go again.
    if ((await this.objects.get(mediaKey(env, accountId, sha256))) !== undefined) return true;
    await this.release(env, accountId, ref, sha256);
    return false;
  }

  /** Adds `ref` to the image's reference set, waiting briefly for a removal in progress. */
  private async reference(env: PinterestEnvironment, accountId: string, ref: string, sha256: string): Promise<void> {
    const key = refKey(env, accountId, sha256);
    for (let attempt = 0; ; attempt += 1) {
      try {
        // Taking the reference also ends a claim that has run out (its removal has stopped).
        await this.table.update(key, {
          update: 'ADD #refs :pin REMOVE #claim, #claimUntil',
          condition: 'attribute_not_exists(#claimUntil) OR #claimUntil < :now',
          names: { '#refs': 'refs', '#claim': 'claimId', '#claimUntil': 'claimUntil' },
          values: { ':pin': new Set([ref]), ':now': this.clock.now().getTime() },
        });
        return;
      } catch (error) {
        if (!(error instanceof StaleRecordError)) throw error;
        if (attempt >= 6) throw new ConflictError('The same image is being removed by another request right now: send it again in a moment', undefined);
        await this.pause(25 * 2 ** attempt);
      }
    }
  }

  async release(env: PinterestEnvironment, accountId: string, ref: string, sha256: string): Promise<void> {
    const key = refKey(env, accountId, sha256);
    const names = { '#refs': 'refs', '#claim': 'claimId', '#claimUntil': 'claimUntil' };
    const after = await this.table.update(key, { update: 'DELETE #refs :pin', condition: 'attribute_exists(pk)', names: { '#refs': 'refs' }, values: { ':pin': new Set([ref]) } }).catch((error: unknown) => {
      if (error instanceof StaleRecordError) return {}; // no reference item: nothing refers to the bytes
      throw error;
    });
    const refs: unknown = (after as Record<string, unknown>).refs;
    if (refs instanceof Set && refs.size > 0) return;
    const claimId = randomUUID();
    const now = this.clock.now().getTime();
    try {
      await this.table.update(key, {
        update: 'SET #claim = :claim, #claimUntil = :until',
        condition: 'attribute_not_exists(#refs) AND (attribute_not_exists(#claimUntil) OR #claimUntil < :now)',
        names,
        values: { ':claim': claimId, ':until': now + this.options.claimMs, ':now': now },
      });
    } catch (error) {
      if (error instanceof StaleRecordError) return; // held again meanwhile, or another removal is at it
      throw error;
    }
    await this.objects.delete(mediaKey(env, accountId, sha256));
    await this.table.deleteIf(key, { condition: '#claim = :claim AND attribute_not_exists(#refs)', names: { '#claim': 'claimId', '#refs': 'refs' }, values: { ':claim': claimId } });
  }

  read(key: string): Promise<{ body: Buffer; contentType: string | undefined } | undefined> {
    return this.objects.get(key);
  }
}
