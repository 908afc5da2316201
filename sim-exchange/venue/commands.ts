/**
 * The command journal: every state-changing Venue call as a plain JSON record, and its replay.
 *
 * The venue is deterministic given its instruments, its seed, and the ordered commands with the time each one read
 * from the clock (each command reads the clock exactly once). Replaying the commands on a ManualClock set to each
 * command's `at` therefore rebuilds the same orders, ids, fills and ledger — whoever issued them: REST, WS trade,
 * disconnect-cancel timers, the background market, the control plane.
 */
import type { AccountInput } from '../accounts/account.ts';
import type { InstrumentConfig } from '../instruments.ts';
import { ManualClock } from '../clock.ts';
import { VenueError } from '../bybit-v5/errors.ts';
import { ZodError } from 'zod';
import { Venue, type AmendRequest, type OrderRef, type PlaceRequest } from './venue.ts';

export type VenueCommand =
  | { readonly cmd: 'reset'; readonly at: number }
  | { readonly cmd: 'createAccount'; readonly at: number; readonly input: AccountInput }
  | { readonly cmd: 'setDcpWindow'; readonly at: number; readonly uid: number; readonly seconds: number }
  | { readonly cmd: 'setLeverage'; readonly at: number; readonly uid: number; readonly symbol: string; readonly leverage: number }
  | { readonly cmd: 'place'; readonly at: number; readonly uid: number; readonly req: PlaceRequest }
  | { readonly cmd: 'amend'; readonly at: number; readonly uid: number; readonly req: AmendRequest }
  | { readonly cmd: 'cancel'; readonly at: number; readonly uid: number; readonly ref: OrderRef }
  | {
      readonly cmd: 'cancelAll';
      readonly at: number;
      readonly uid: number;
      readonly symbol: string | null;
      readonly cancelType: string;
      readonly limit: number;
    };

/** What a journal's first record says about the venue that wrote it (main.ts writes it). */
export interface JournalHeader {
  readonly kind: 'header';
  readonly version: 1;
  readonly seed: number;
  readonly instruments: readonly InstrumentConfig[];
}

export interface ReplayResult {
  readonly venue: Venue;
  readonly applied: number;
  /** Commands the venue refused on replay (as it did originally: refused commands change nothing). */
  readonly refused: number;
}

/** Applies one command; a refusal (VenueError, or a duplicate account) is returned as false, as it happened live. */
export function applyCommand(venue: Venue, c: VenueCommand): boolean {
  try {
    switch (c.cmd) {
      case 'reset':
        venue.reset();
        break;
      case 'createAccount':
        venue.createAccount(c.input);
        break;
      case 'setDcpWindow':
        venue.setDcpWindow(c.uid, c.seconds);
        break;
      case 'setLeverage':
        venue.setLeverage(c.uid, c.symbol, c.leverage);
        break;
      case 'place':
        venue.place(c.uid, c.req);
        break;
      case 'amend':
        venue.amend(c.uid, c.req);
        break;
      case 'cancel':
        venue.cancel(c.uid, c.ref);
        break;
      case 'cancelAll':
        venue.cancelAll(c.uid, c.symbol ?? undefined, c.cancelType, c.limit);
        break;
    }
    return true;
  } catch (err) {
    if (err instanceof VenueError || err instanceof ZodError) return false;
    if (c.cmd === 'createAccount' && err instanceof Error && err.message.includes('already exists')) return false;
    throw err;
  }
}

/** Rebuilds a venue from its commands: a fresh Venue with the same instruments and seed, on a ManualClock. */
export function replayCommands(
  commands: Iterable<VenueCommand>,
  opts: { readonly instruments: readonly InstrumentConfig[]; readonly seed: number },
): ReplayResult {
  const clock = new ManualClock(0);
  const venue = new Venue({ instruments: opts.instruments, clock, seed: opts.seed });
  let applied = 0;
  let refused = 0;
  for (const c of commands) {
    clock.set(c.at);
    if (applyCommand(venue, c)) applied++;
    else refused++;
  }
  return { venue, applied, refused };
}

/** True for a parsed journal line that is a venue command (traffic lines carry `channel`, the header `kind`). */
export function isVenueCommand(x: unknown): x is VenueCommand {
  return typeof x === 'object' && x !== null && typeof (x as { cmd?: unknown }).cmd === 'string' && typeof (x as { at?: unknown }).at === 'number';
}
