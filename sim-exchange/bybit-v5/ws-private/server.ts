/**
 * /v5/private (../../../../shared/reference/bybit-v5.md §6.2, §6.4): auth, subscribe/unsubscribe, ping, and the
 * account topics built from the venue's account updates.
 *
 * - `{"op":"auth","args":[apiKey, expires, signature]}` (expires a number or a numeric string) →
 *   `{"success":true,"ret_msg":"","op":"auth","conn_id":…[,"req_id":…]}` or success:false with the reason.
 *   A second auth with the same key succeeds again; with another key it fails ("Repeat auth"), the first one stays.
 * - Topics: order, execution, execution.fast, position, wallet, their `.linear` forms, and the DCP arming topics
 *   dcp.future / dcp.spot / dcp.option (only dcp.future arms: the venue lists linear products only).
 * - One account update (one venue command) → at most one message per topic: order (all changed orders), execution
 *   (all fills), execution.fast (its reduced form), position (every symbol the command touched, even unchanged, as
 *   Bybit sends one on every create/amend/cancel), wallet (after fills). Each message is serialised once per topic
 *   and the same text goes to every subscribed connection of the account.
 */
import type { Venue, AccountUpdate } from '../../venue/venue.ts';
import type { Clock } from '../../clock.ts';
import type { IdSource } from '../../ids.ts';
import type { KeyStore } from '../auth.ts';
import { verifyWsAuth } from '../auth.ts';
import { VenueError, CATALOGUE } from '../errors.ts';
import { orderStreamJson, executionStreamJson, positionStreamJson, walletJson } from '../serialize.ts';
import { emptyPosition } from '../../accounts/position.ts';
import type { WsConn, WsLogger } from '../ws/connection.ts';
import { opOf, opReply, reqIdOf } from '../ws/frames.ts';
import { DcpGuard, DCP_TOPIC } from './dcp.ts';

/** Topic families in the order their messages are sent for one command. */
const FAMILIES = [
  ['order', 'order.linear'],
  ['execution', 'execution.linear'],
  ['execution.fast', 'execution.fast.linear'],
  ['position', 'position.linear'],
  ['wallet'],
] as const;

type Family = 0 | 1 | 2 | 3 | 4;

export const PRIVATE_TOPICS: ReadonlySet<string> = new Set<string>([
  ...FAMILIES.flat(),
  DCP_TOPIC,
  'dcp.spot',
  'dcp.option',
]);

export interface PrivateChannelDeps {
  readonly venue: Venue;
  readonly clock: Clock;
  readonly keys: KeyStore;
  readonly ids: IdSource;
  readonly dcp: DcpGuard;
  readonly logger?: WsLogger | undefined;
}

export class PrivateChannel {
  /** Authenticated connections per account. */
  private readonly byUid = new Map<number, Set<WsConn>>();
  private readonly unlisten: () => void;

  constructor(private readonly deps: PrivateChannelDeps) {
    this.unlisten = deps.venue.listen({ onAccountUpdate: (uid, update) => this.onAccountUpdate(uid, update) });
  }

  /** One parsed frame from a /v5/private connection. Replies to everything but data topics; never throws. */
  message(conn: WsConn, msg: Record<string, unknown>): void {
    const op = opOf(msg);
    const reqId = reqIdOf(msg, 'req_id');
    switch (op) {
      case 'ping':
        conn.send(pong(conn.connId, reqId, this.deps.clock.now()));
        return;
      case 'pong':
        return;
      case 'auth':
        return this.auth(conn, msg['args'], reqId);
      case 'subscribe':
      case 'unsubscribe':
        return this.subscription(conn, op, msg['args'], reqId);
      default:
        conn.send(opReply(false, `error:invalid op "${clip(op)}"`, conn.connId, reqId, op));
    }
  }

  /** The connection closed: forget it, and tell DCP. */
  closed(conn: WsConn): void {
    const uid = conn.uid;
    if (uid === undefined) return;
    const set = this.byUid.get(uid);
    if (set !== undefined) {
      set.delete(conn);
      if (set.size === 0) this.byUid.delete(uid);
    }
    this.deps.dcp.disconnected(uid, conn);
  }

  /** Authenticated connections (all accounts). */
  authenticated(): number {
    let n = 0;
    for (const s of this.byUid.values()) n += s.size;
    return n;
  }

  shutdown(): void {
    this.unlisten();
    this.byUid.clear();
  }

  private auth(conn: WsConn, args: unknown, reqId: string | number | undefined): void {
    let uid: number;
    try {
      uid = verifyWsAuth(args, this.deps.keys, this.deps.clock.now()).uid;
    } catch (err) {
      const why = err instanceof VenueError ? err.retMsg : CATALOGUE.SERVER.retMsg;
      conn.send(authReply(false, why, conn.connId, reqId));
      return;
    }
    if (conn.uid !== undefined && conn.uid !== uid) {
      conn.send(authReply(false, 'Repeat auth', conn.connId, reqId));
      return;
    }
    conn.uid = uid;
    let set = this.byUid.get(uid);
    if (set === undefined) this.byUid.set(uid, (set = new Set()));
    set.add(conn);
    conn.send(authReply(true, '', conn.connId, reqId));
  }

  private subscription(conn: WsConn, op: 'subscribe' | 'unsubscribe', args: unknown, reqId: string | number | undefined): void {
    if (!Array.isArray(args) || args.length === 0) {
      conn.send(opReply(false, 'error:args must be a non-empty array of topics', conn.connId, reqId, op));
      return;
    }
    if (conn.uid === undefined) {
      conn.send(opReply(false, CATALOGUE.WS_NOT_AUTHED.retMsg, conn.connId, reqId, op));
      return;
    }
    const uid = conn.uid;
    const bad: string[] = [];
    const seen = new Set<string>();
    for (const a of args) {
      if (typeof a !== 'string' || !PRIVATE_TOPICS.has(a)) bad.push(`Invalid topic: ${clip(String(typeof a === 'string' ? a : JSON.stringify(a)))}`);
      else if (op === 'subscribe' && (conn.topics.has(a) || seen.has(a))) bad.push(`error:already subscribed,topic:${a}`);
      seen.add(String(a));
    }
    if (bad.length > 0) {
      conn.send(opReply(false, bad.join('; '), conn.connId, reqId, op));
      return;
    }
    for (const t of args as string[]) {
      if (op === 'subscribe') {
        conn.topics.add(t);
        if (t === DCP_TOPIC) this.deps.dcp.arm(uid, conn);
      } else if (conn.topics.delete(t) && t === DCP_TOPIC) {
        this.deps.dcp.disarm(uid, conn);
      }
    }
    conn.send(opReply(true, '', conn.connId, reqId, op));
  }

  /** Called synchronously by the venue after each command: serialise now, the records mutate later. */
  private onAccountUpdate(uid: number, update: AccountUpdate): void {
    const conns = this.byUid.get(uid);
    if (conns === undefined) return;
    try {
      const texts = new Map<string, string>();
      const data: (string | null | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
      const now = this.deps.clock.now();
      for (const conn of conns) {
        if (conn.topics.size === 0) continue;
        for (let f = 0; f < FAMILIES.length; f++) {
          for (const topic of FAMILIES[f]!) {
            if (!conn.topics.has(topic)) continue;
            let d = data[f];
            if (d === undefined) d = data[f] = this.data(f as Family, uid, update);
            if (d === null) break;
            let text = texts.get(topic);
            if (text === undefined) {
              text = `{"id":"${this.deps.ids.uuid()}","topic":"${topic}","creationTime":${now},"data":${d}}`;
              texts.set(topic, text);
            }
            conn.send(text);
          }
        }
      }
    } catch (err) {
      this.deps.logger?.error({ err, uid }, 'private stream serialisation failed');
    }
  }

  /** The `data` array of one family as JSON, or null when the update has nothing for it. */
  private data(f: Family, uid: number, u: AccountUpdate): string | null {
    const { venue, clock } = this.deps;
    switch (f) {
      case 0:
        return u.orders.length === 0 ? null : JSON.stringify(u.orders.map((o) => orderStreamJson(venue.instrument(o.symbol), o)));
      case 1:
        return u.executions.length === 0
          ? null
          : JSON.stringify(u.executions.map((e) => executionStreamJson(venue.instrument(e.symbol), e, venue.mark(e.symbol))));
      case 2:
        return u.executions.length === 0
          ? null
          : JSON.stringify(
              u.executions.map((e) => {
                const x = executionStreamJson(venue.instrument(e.symbol), e, undefined);
                return {
                  category: x.category, symbol: x.symbol, execId: x.execId, execPrice: x.execPrice, execQty: x.execQty,
                  orderId: x.orderId, isMaker: x.isMaker, orderLinkId: e.isMaker ? '' : x.orderLinkId, side: x.side,
                  execTime: x.execTime, seq: x.seq,
                };
              }),
            );
      case 3: {
        if (u.positions.length === 0) return null;
        const acct = venue.account(uid);
        const now = clock.now();
        return JSON.stringify(
          u.positions.map((s) =>
            positionStreamJson(venue.instrument(s), acct, acct.positions.get(s) ?? emptyPosition(acct.defaultLeverage, now), venue.mark(s)),
          ),
        );
      }
      case 4:
        return u.wallet ? JSON.stringify([walletJson(venue.account(uid), venue.marginOf(uid))]) : null;
    }
  }
}

function clip(s: string, n = 64): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** `{"req_id":…,"op":"pong","args":["<ms>"],"conn_id":…}` (compact: bybit-api matches `"op":"pong"`). */
function pong(connId: string, reqId: string | number | undefined, now: number): string {
  return JSON.stringify({ req_id: reqId ?? '', op: 'pong', args: [String(now)], conn_id: connId });
}

function authReply(success: boolean, retMsg: string, connId: string, reqId: string | number | undefined): string {
  const r: Record<string, unknown> = { success, ret_msg: retMsg, op: 'auth', conn_id: connId };
  if (reqId !== undefined) r['req_id'] = reqId;
  return JSON.stringify(r);
}
