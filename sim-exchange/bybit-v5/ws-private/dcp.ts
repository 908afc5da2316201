/**
 * Disconnect-cancel (DCP, Bybit's dead man's switch; ../../../../shared/reference/bybit-v5.md §3.5).
 *
 * An authenticated /v5/private connection arms DCP for its account by subscribing `dcp.future` (linear products).
 * When the LAST armed connection of an account is gone, a timer of the account's window (`venue.dcpWindow(uid)`
 * seconds × `unitMs`) starts; a new authenticated connection that subscribes `dcp.future` before it fires cancels
 * it; when it fires, every open order of the account is cancelled with cancelType CancelByDCP. The window is read
 * at disconnection, so an account that never enabled DCP (no window) is never cancelled. Unsubscribing `dcp.future`
 * disarms that connection without starting a timer (the client turned the switch off).
 */
import type { Venue } from '../../venue/venue.ts';
import type { WsLogger } from '../ws/connection.ts';

/** The topic that arms DCP for the linear (futures) product. */
export const DCP_TOPIC = 'dcp.future';

export class DcpGuard {
  private readonly armed = new Map<number, Set<object>>();
  private readonly timers = new Map<number, NodeJS.Timeout>();

  /**
   * `unitMs`: milliseconds per unit of the venue's window (1000: the window is in seconds, as on Bybit; tests use a
   * smaller unit). `onFire` is told after each disconnect-cancel (with how many orders it cancelled).
   */
  constructor(
    private readonly venue: Venue,
    private readonly unitMs = 1000,
    private readonly logger?: WsLogger,
    private readonly onFire?: (uid: number, cancelled: number) => void,
  ) {}

  /** Connection `conn` of account `uid` subscribed dcp.future: it counts as alive, and a pending cancel is called off. */
  arm(uid: number, conn: object): void {
    let set = this.armed.get(uid);
    if (set === undefined) this.armed.set(uid, (set = new Set()));
    set.add(conn);
    const t = this.timers.get(uid);
    if (t !== undefined) {
      clearTimeout(t);
      this.timers.delete(uid);
    }
  }

  /** `conn` unsubscribed dcp.future: no longer counts, and no timer starts for it. */
  disarm(uid: number, conn: object): void {
    const set = this.armed.get(uid);
    if (set === undefined) return;
    set.delete(conn);
    if (set.size === 0) this.armed.delete(uid);
  }

  /** `conn` closed: if it was the account's last armed connection, the window starts. */
  disconnected(uid: number, conn: object): void {
    const set = this.armed.get(uid);
    if (set === undefined || !set.delete(conn) || set.size > 0) return;
    this.armed.delete(uid);
    const window = this.venue.dcpWindow(uid);
    if (window === undefined || this.timers.has(uid)) return;
    const t = setTimeout(() => this.fire(uid), Math.max(0, window * this.unitMs));
    t.unref();
    this.timers.set(uid, t);
  }

  /** Accounts with a disconnect-cancel pending. */
  pending(): number[] {
    return [...this.timers.keys()];
  }

  /** Whether `uid` has an armed live connection. */
  isArmed(uid: number): boolean {
    return (this.armed.get(uid)?.size ?? 0) > 0;
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.armed.clear();
  }

  private fire(uid: number): void {
    this.timers.delete(uid);
    if (this.isArmed(uid)) return;
    let cancelled = 0;
    try {
      cancelled = this.venue.cancelAll(uid, undefined, 'CancelByDCP').length;
    } catch (err) {
      this.logger?.error({ err, uid }, 'disconnect-cancel failed');
    }
    this.logger?.info({ uid, cancelled }, 'disconnect-cancel fired');
    this.onFire?.(uid, cancelled);
  }
}
