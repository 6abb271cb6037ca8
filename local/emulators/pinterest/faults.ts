import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Fault, HostName, RequestFault } from './types';

/**
 * Injected faults: each matches requests by host, method and path and affects the next `times`
 * matching requests. Per request, every matching `delay` is served (and counted), then at most one
 * other fault, the earliest injected, decides the outcome. A delayed request is processed even if its
 * client gave up meanwhile (a timed-out Pin creation may still create the Pin), unless the delay says
 * `ifAbandoned: 'drop'`: then a request whose client left during the wait is not processed at all, as
 * if cancelled while still queued (a refresh token is not rotated), though the faults it matched are
 * used up. Faults on the `/_emulator/` control routes are
 * never applied, so a broad fault cannot lock the tests out of `clearFaults`. `refuse_connection` is
 * not kept here: it acts on a host's listener at once (./host-listener.ts).
 */

const target = z.object({
  host: z.enum(['www', 'sandbox', 'production', 'any']),
  method: z.string().min(1).optional(),
  path: z.string().min(1),
  times: z.number().int().min(1).optional(),
});

const ms = z.number().int().min(0).max(600_000);

export const faultSchema = z.discriminatedUnion('kind', [
  target.extend({ kind: z.literal('status'), status: z.number().int().min(100).max(599), body: z.unknown().optional() }),
  target.extend({ kind: z.literal('delay'), ms, ifAbandoned: z.enum(['process', 'drop']).optional() }),
  target.extend({ kind: z.literal('rate_limit') }),
  target.extend({ kind: z.literal('spam_block') }),
  target.extend({ kind: z.literal('image_unreachable') }),
  target.extend({ kind: z.literal('board_not_found') }),
  target.extend({ kind: z.literal('malformed_json') }),
  target.extend({ kind: z.literal('omit_refresh_token') }),
  target.extend({ kind: z.literal('drop_connection'), afterProcessing: z.boolean().optional() }),
  target.extend({ kind: z.literal('create_then_drop') }),
  z.object({
    kind: z.literal('refuse_connection'),
    host: z.enum(['sandbox', 'production', 'any']),
    ms: ms.min(1),
    // Said plainly rather than silently ignored: the obvious wish, refusing N attempts, cannot be met.
    times: z.undefined({ error: 'refuse_connection takes ms, not times: a host that is not listening cannot count the connections it refuses' }).optional(),
  }),
]) satisfies z.ZodType<Fault>;

export type OutcomeFault = Exclude<RequestFault, { kind: 'delay' }>;

export interface FaultPlan {
  /** Milliseconds to wait before handling, one entry per matching delay fault. */
  delaysMs: number[];
  /** A delay asked for it: if the client left during the wait, do not process the request. */
  dropIfAbandoned: boolean;
  outcome: OutcomeFault | undefined;
}

interface ActiveFault {
  id: string;
  fault: RequestFault;
  remaining: number;
}

function matches(fault: RequestFault, host: HostName, method: string, path: string): boolean {
  if (fault.host !== 'any' && fault.host !== host) return false;
  if (fault.method !== undefined && fault.method.toUpperCase() !== method) return false;
  return fault.path.endsWith('*') ? path.startsWith(fault.path.slice(0, -1)) : path === fault.path;
}

export class FaultRegistry {
  private active: ActiveFault[] = [];

  inject(fault: RequestFault): string {
    const id = randomUUID();
    this.active.push({ id, fault: structuredClone(fault), remaining: fault.times ?? 1 });
    return id;
  }

  clear(): void {
    this.active = [];
  }

  /** Decides what happens to one request, using up one of each applied fault's `times`. */
  plan(host: HostName, method: string, path: string): FaultPlan {
    const plan: FaultPlan = { delaysMs: [], dropIfAbandoned: false, outcome: undefined };
    for (const entry of this.active) {
      const { fault } = entry;
      if (!matches(fault, host, method, path)) continue;
      if (fault.kind === 'delay') {
        plan.delaysMs.push(fault.ms);
        if (fault.ifAbandoned === 'drop') plan.dropIfAbandoned = true;
      }
      else if (plan.outcome === undefined) plan.outcome = fault;
      else continue;
      entry.remaining -= 1;
    }
    this.active = this.active.filter((entry) => entry.remaining > 0);
    return plan;
  }
}
