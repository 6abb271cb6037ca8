import type { PinterestEnvironment } from '../domain/pinterest';
import type { SecurityLogPort } from '../domain/security-event';
import type { PinDeps } from './pin-ports';
import type { TokenDeps } from './token-ports';

/** What publishing and checking Pins work through, beyond the drafts' ports. */

export interface PinCreateBody {
  board_id: string;
  board_section_id?: string;
  title?: string;
  description?: string;
  link?: string;
  alt_text?: string;
  dominant_color?: string;
  media_source: { source_type: 'image_url'; url: string } | { source_type: 'image_base64'; content_type: 'image/jpeg' | 'image/png'; data: string };
}

export interface PinterestAnswer<T> {
  data: T;
  status: number;
  requestId: string | undefined;
  rateLimit: { limit?: number; remaining?: number; resetSeconds?: number };
}

export interface PinterestPinFacts {
  id: string;
  created_at?: string | undefined;
  board_id?: string | undefined;
  board_section_id?: string | null | undefined;
  title?: string | null | undefined;
  description?: string | null | undefined;
  link?: string | null | undefined;
  alt_text?: string | null | undefined;
}

export interface PinterestPinsPort {
  createPin(env: PinterestEnvironment, token: string, pin: PinCreateBody, timeoutMs?: number): Promise<PinterestAnswer<PinterestPinFacts>>;
  getPin(env: PinterestEnvironment, token: string, pinId: string): Promise<PinterestAnswer<PinterestPinFacts>>;
  /** A board's Pins, newest first, one page. */
  listBoardPins(env: PinterestEnvironment, token: string, boardId: string, options: { pageSize?: number; bookmark?: string }): Promise<PinterestAnswer<{ items: PinterestPinFacts[]; bookmark: string | null }>>;
  /** A board section's Pins, newest first, one page. */
  listSectionPins(env: PinterestEnvironment, token: string, boardId: string, sectionId: string, options: { pageSize?: number; bookmark?: string }): Promise<PinterestAnswer<{ items: PinterestPinFacts[]; bookmark: string | null }>>;
}

/**
 * Which record holds a Pinterest Pin: one item per Pinterest Pin id, created conditionally, so no two
 * records can ever claim the same Pin (publish, reconciliation and resolve all go through it).
 */
export interface PinHoldersPort {
  /** Makes `pinId` the holder; answers the holder there is now (ours, or another record's). */
  claim(env: PinterestEnvironment, pinterestPinId: string, pinId: string): Promise<string>;
  holderOf(env: PinterestEnvironment, pinterestPinId: string): Promise<string | undefined>;
  /** Gives a claim back if `pinId` still holds it (its record could not be written). */
  release(env: PinterestEnvironment, pinterestPinId: string, pinId: string): Promise<void>;
}

export type PacingVerdict =
  | { allowed: true }
  | { allowed: false; reason: 'gap'; retryAfterSeconds: number; holder?: string }
  | { allowed: false; reason: 'daily_cap'; retryAfterSeconds: number; cap: number };

export interface PacingPort {
  /** Takes the environment's next Pin-write slot for `pinId`, or says how long to wait. */
  reserve(env: PinterestEnvironment, pinId: string): Promise<PacingVerdict>;
  /** Gives back today's count for a slot `pinId` took but will not use (its claim was lost). The gap stays. */
  refund(env: PinterestEnvironment, pinId: string): Promise<void>;
}

export interface PublishSettings {
  accessTier: 'trial' | 'standard';
  /** Timeout of one `POST /v5/pins` (the function's timeout covers two plus a token refresh). */
  createTimeoutMs: number;
  /** How long a claim holds: longer than the publish function may run. */
  leaseMs: number;
}

export interface PublishDeps extends PinDeps {
  holders: PinHoldersPort;
  tokens: TokenDeps;
  pinterest: PinterestPinsPort;
  pacing: PacingPort;
  securityLog: SecurityLogPort;
  settings: PublishSettings;
}
