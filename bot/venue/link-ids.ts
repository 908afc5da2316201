/**
 * orderLinkIds: how the bot recognises its own orders on a shared account, and the idempotency key of every create.
 *
 *   <prefix>-<run>-<B|S><level>-<n>      e.g.  mmb-k3f9q2-B0-1a
 *
 * - `prefix` (config) marks every order of this bot, across runs: reconciliation cancels an open order only if its
 *   orderLinkId starts with `<prefix>-` (never another bot's or a human's order on the same account).
 * - `run` is random per process: the venue refuses an orderLinkId an account has ever used (110072), so ids minted by
 *   a restarted bot must not collide with the previous run's.
 * - side and level let a log reader (and reconciliation) see which ladder slot an order was for.
 * - `n` counts creates within the run. A retried create reuses its id, so a create that reached the venue before its
 *   reply was lost comes back as 110072 on retry instead of a second order.
 *
 * Bybit allows 36 characters of [0-9A-Za-z_-]; the constructor checks the prefix leaves room.
 */
import type { Side } from '../types.ts';

const MAX_LEN = 36;
const PREFIX_RE = /^[0-9A-Za-z_]{1,12}$/;

export interface ParsedLinkId {
  readonly run: string;
  readonly side: Side;
  readonly level: number;
}

export class LinkIds {
  private n = 0;
  readonly run: string;

  constructor(
    readonly prefix: string,
    random: () => number = Math.random,
  ) {
    if (!PREFIX_RE.test(prefix)) throw new Error(`linkIdPrefix must match ${PREFIX_RE} (no "-"), got "${prefix}"`);
    let run = '';
    for (let i = 0; i < 6; i++) run += Math.floor(random() * 36).toString(36);
    this.run = run;
  }

  /** A fresh id for a create at (side, level). */
  next(side: Side, level: number): string {
    const id = `${this.prefix}-${this.run}-${side === 'Buy' ? 'B' : 'S'}${level}-${(this.n++).toString(36)}`;
    if (id.length > MAX_LEN) throw new Error(`orderLinkId too long (${id.length} > ${MAX_LEN}): ${id}`);
    return id;
  }

  /**
   * A fresh id for an inventory-unwind IOC: `<prefix>-<run>-U<B|S>-<n>`. It never rests and belongs to no ladder
   * slot, so parse() does not recognise it (reconciliation neither adopts nor cancels it; slot tracking ignores it).
   */
  nextUnwind(side: Side): string {
    const id = `${this.prefix}-${this.run}-U${side === 'Buy' ? 'B' : 'S'}-${(this.n++).toString(36)}`;
    if (id.length > MAX_LEN) throw new Error(`orderLinkId too long (${id.length} > ${MAX_LEN}): ${id}`);
    return id;
  }

  /** True for an inventory-unwind id of this bot (any run). */
  isUnwind(orderLinkId: string): boolean {
    return this.isOwn(orderLinkId) && /^[0-9a-z]+-U[BS]-[0-9a-z]+$/.test(orderLinkId.slice(this.prefix.length + 1));
  }

  /** True for any id this bot (any run) could have minted. */
  isOwn(orderLinkId: string): boolean {
    return orderLinkId.startsWith(`${this.prefix}-`);
  }

  /** Side and level of one of our ids; undefined for anything else. */
  parse(orderLinkId: string): ParsedLinkId | undefined {
    if (!this.isOwn(orderLinkId)) return undefined;
    const m = /^([0-9a-z]+)-([BS])(\d+)-[0-9a-z]+$/.exec(orderLinkId.slice(this.prefix.length + 1));
    if (m === null) return undefined;
    return { run: m[1]!, side: m[2] === 'B' ? 'Buy' : 'Sell', level: Number(m[3]) };
  }
}
