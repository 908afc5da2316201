import type { Venue } from '../../venue/venue.ts';
import type { MarketParams } from '../params.ts';
import type { Withdrawal } from '../latent.ts';
import type { Scheduled } from '../scheduler.ts';

/** What an agent sees of the market: the venue, market time, the fair price, the parameters in force. */
export interface AgentContext {
  readonly venue: Venue;
  readonly symbol: string;
  /** Market time, µs. */
  nowUs(): number;
  /** Latent price (ticks) now, or `aheadMs` into the future (informed takers only). */
  fair(aheadMs?: number): number;
  params(): MarketParams;
  withdrawal(): Withdrawal;
  at(atUs: number, run: () => void): Scheduled;
  /** Venue commands are timed here so the bench can report the engine's share of the market's time. */
  timed<T>(fn: () => T): T;
}

/** Counters every agent keeps; reported by GET /market. */
export interface AgentStats {
  name: string;
  kind: 'lp' | 'noise' | 'informed';
  uid: number;
  placed: number;
  cancelled: number;
  amended: number;
  rejected: number;
  fills: number;
  volumeLots: number;
}

export function newStats(name: string, kind: AgentStats['kind'], uid: number): AgentStats {
  return { name, kind, uid, placed: 0, cancelled: 0, amended: 0, rejected: 0, fills: 0, volumeLots: 0 };
}

export interface Agent {
  readonly stats: AgentStats;
  /** Schedules the agent's first event. */
  start(): void;
  /** Parameters changed: pending draws made under the old ones are redrawn. */
  onParams(): void;
  /** The latent price moved (grid step). */
  onLatent?(): void;
  /** One of this agent's orders filled. */
  onFill?(): void;
  /** The venue was reset: forget orders, take the new uid. */
  rebind(uid: number): void;
}
