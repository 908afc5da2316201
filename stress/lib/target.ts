/** Where the load goes: a venue child started here, or an existing venue (--target, optionally --control/--token). */
import type { StressAccount } from './accounts.ts';
import { STRESS_BALANCE } from './accounts.ts';
import { startVenue, type VenueProc } from './venue.ts';

export interface Target {
  readonly rest: string;
  readonly venue: VenueProc | undefined;
  /** Venue CPU ms so far (null for an external target). */
  cpuMs(): Promise<number | null>;
  close(): Promise<void>;
}

/** Creates the accounts on an existing venue through its control plane (POST /accounts); 409 (exists) is fine. */
export async function ensureAccounts(control: string, token: string, accounts: readonly StressAccount[]): Promise<void> {
  for (const a of accounts) {
    const r = await fetch(`${control}/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: a.apiKey, secret: a.secret, balance: STRESS_BALANCE }),
    });
    if (!r.ok && r.status !== 409) throw new Error(`control POST /accounts ${a.apiKey}: HTTP ${r.status} ${await r.text()}`);
  }
}

export async function openTarget(o: {
  target?: string;
  control?: string;
  token?: string;
  accounts: readonly StressAccount[];
  staticBook: boolean;
  market: boolean;
  seed: number;
  bot?: boolean;
}): Promise<Target> {
  if (o.target) {
    if (o.control && o.token) await ensureAccounts(o.control, o.token, o.accounts);
    return { rest: o.target.replace(/\/$/, ''), venue: undefined, cpuMs: async () => null, close: async () => {} };
  }
  const venue = await startVenue({ accounts: o.accounts.length, staticBook: o.staticBook, market: o.market, seed: o.seed, bot: o.bot ?? false });
  return { rest: venue.urls.rest, venue, cpuMs: () => venue.cpuMs(), close: () => venue.stop() };
}
