import { BoardStore } from './adapters/dynamo/board-store';
import { PinStore } from './adapters/dynamo/pin-store';
import { PinterestApi } from './adapters/pinterest/resources';
import type { PinCheckDeps } from './use-cases/pin-check';
import { clock, lazy } from './wiring';
import { workflowTable } from './wiring-connect';
import { pinterest } from './wiring-pinterest';
import { tokenDeps } from './wiring-tokens';

/** The check function's pieces: records, the snapshot, the token source and the Pinterest client (no images, no pacing). */
export const pinCheckDeps = lazy(
  (): PinCheckDeps => ({
    clock,
    pins: new PinStore(workflowTable()),
    boards: new BoardStore(workflowTable()),
    get tokens() {
      return tokenDeps();
    },
    pinterest: new PinterestApi(pinterest()),
  }),
);
