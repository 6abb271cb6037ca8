import { PinterestApi } from './adapters/pinterest/resources';
import type { BoardCallDeps } from './use-cases/board-ports';
import { clock, lazy } from './wiring';
import { boardStore } from './wiring-boards';
import { pinterest } from './wiring-pinterest';
import { tokenDepsWithinDeadline } from './wiring-tokens';

/** The board functions that call Pinterest (sections, creation, the sync job): storage plus the client. */

const pinterestApi = lazy(() => new PinterestApi(pinterest()));

export const boardCallDeps = lazy(
  (): BoardCallDeps => ({
    clock,
    get tokens() {
      return tokenDepsWithinDeadline();
    },
    get pinterest() {
      return pinterestApi();
    },
    get boards() {
      return boardStore();
    },
    // 250 boards a page (the most Pinterest allows: every call counts under Trial); a runner holds its
    // job longer than the job function may run, and hands over with 20 s left.
    settings: { pageSize: 250, jobLeaseMs: 100_000, handOverBelowMs: 20_000 },
  }),
);
