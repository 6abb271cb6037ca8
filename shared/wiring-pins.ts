import { randomUUID } from 'node:crypto';
import { s3Client } from './adapters/aws/s3';
import { BoardStore } from './adapters/dynamo/board-store';
import { PinStore } from './adapters/dynamo/pin-store';
import { MediaStore } from './adapters/media-store';
import { ObjectStore } from './adapters/object-store';
import { requireBinding } from './config';
import type { PinDeps } from './use-cases/pin-ports';
import { clock, lazy } from './wiring';
import { accounts, workflowTable } from './wiring-connect';

/**
 * The Pin draft functions' pieces: records, shared image bytes in the data bucket, the board snapshot
 * and the account. No Pinterest client: nothing here calls Pinterest.
 */

export const dataBucket = lazy(() => new ObjectStore(s3Client(), requireBinding('DATA_BUCKET')));

/** A removal's claim on shared image bytes: far longer than any Pin function runs (15 s at most). */
const MEDIA_CLAIM_MS = 5 * 60_000;

/** The snapshot's store, without the sync jobs (./wiring-boards.ts would bring them). */
const boards = lazy(() => new BoardStore(workflowTable()));

export const pinDeps = lazy(
  (): PinDeps => ({
    clock,
    newId: randomUUID,
    get pins() {
      return new PinStore(workflowTable());
    },
    get media() {
      return new MediaStore(workflowTable(), dataBucket(), clock, { claimMs: MEDIA_CLAIM_MS });
    },
    get boards() {
      return boards();
    },
    get accounts() {
      return accounts();
    },
  }),
);
