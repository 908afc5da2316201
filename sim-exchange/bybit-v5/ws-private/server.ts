/**
 * /v5/private (../../../../shared/reference/bybit-v5.md §6.2, §6.4): auth, subscribe/unsubscribe, ping, and the
 * account topics built from the venue's account updates.
 *
 * - `{"op":"auth","args":[apiKey, expires, signature]}` (expires a number or a numeric string) →
 *   `{"success":true,"ret_msg":"","op":"auth","conn_id":…[,"req_id":…]}` or success:false with the reason.
 *   A second auth with the same key succeeds again; with another key it fails ("Repeat auth"), the first one stays.
 * - Topics: order, execution, execution.fast, position, wallet, their `.linear` forms, and the DCP arming topics
 *   dcp.future / dcp.spot / dcp.option (only dcp.future arms: the venue lists linear products only).
 * - Account updates are serialised when the venue reports them (the records mutate later) and sent once per
 *   event-loop turn: every update of an account in one turn is merged into at most one message per topic, as Bybit
 *   batches its pushes. order (every changed order, in command order), execution (every fill), execution.fast (its
 *   reduced form), position (each symbol touched, even unchanged, as Bybit sends one on every create/amend/cancel;
 *   its latest state), wallet (after fills; the latest). Each message is serialised once per topic, and one
 *   connection's messages of a turn leave in one write.
 */
import type { Venue, AccountUpdate } from '../../venue/venue.ts';
import type { Clock } from '../../clock.ts';
import type { IdSource } from '../../ids.ts';
import type { KeyStore } from '../auth.ts';
import { verifyWsAuth } from '../auth.ts';
import { VenueError, CATALOGUE } from '../errors.ts';
import { orderStreamText, executionStreamJson, positionStreamJson, walletJson } from '../serialize.ts';
import { emptyPosition } from '../../accounts/position.ts';
import type { WsConn, WsLogger } from '../ws/connection.ts';
import { argName, BadArgs, checkArgCaps, clip, opOf, opReply, reqIdOf, type ArgCapRefusals, type ArgCaps } from '../ws/frames.ts';
import { DcpGuard, DCP_TOPIC } from './dcp.ts';

/** Topic families in the order their messages are sent for one command. */
const FAMILIES = [
  ['order', 'order.linear'],
  ['execution', 'execution.linear'],
  ['execution.fast', 'execution.fast.linear'],
  ['position', 'position.linear'],
  ['wallet'],
] as const;

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
  /** Subscribe/unsubscribe args caps (ws/frames.ts checkArgCaps) and their refusal counters. */
  readonly caps: ArgCaps;
  readonly refusals: ArgCapRefusals;
}

export class PrivateChannel {
  /** Authenticated connections per account. */
  private readonly byUid = new Map<number, Set<WsConn>>();
  private readonly unlisten: () => void;
  /** Serialised updates waiting for the end of this event-loop turn, per account. */
  private readonly pending = new Map<number, PendingPush>();
  private flushTimer: NodeJS.Immediate | undefined;
  /** Fault hook: topics on which nothing is pushed (pings and op replies are still answered). */
  muted: ReadonlySet<string> | undefined = undefined;

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
        conn.send(opReply(false, `error:invalid op "${clip(op)}"`, conn.connId, reqId, clip(op)));
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
    if (this.flushTimer !== undefined) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    this.pending.clear();
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
    const refused = checkArgCaps(op, args, conn.topics, this.deps.caps, this.deps.refusals);
    if (refused !== undefined) {
      conn.send(opReply(false, refused, conn.connId, reqId, op));
      return;
    }
    const bad = new BadArgs();
    const seen = new Set<string>();
    for (const a of args) {
      if (typeof a !== 'string' || !PRIVATE_TOPICS.has(a)) bad.add(`Invalid topic: ${argName(a)}`);
      else if (op === 'subscribe' && (conn.topics.has(a) || seen.has(a))) bad.add(`error:already subscribed,topic:${a}`);
      if (typeof a === 'string') seen.add(a);
    }
    if (bad.count > 0) {
      conn.send(opReply(false, bad.text(), conn.connId, reqId, op));
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

  /**
   * Called synchronously by the venue after each command. Serialises the families some connection of the account
   * subscribes now (the records mutate later) and queues them for the end of this event-loop turn.
   */
  private onAccountUpdate(uid: number, update: AccountUpdate): void {
    const conns = this.byUid.get(uid);
    if (conns === undefined) return;
    try {
      let wanted = 0;
      for (const conn of conns) wanted |= familyMask(conn.topics);
      if (wanted === 0) return;
      let p = this.pending.get(uid);
      if (p === undefined) this.pending.set(uid, (p = new PendingPush()));
      if (wanted & 1 && update.orders.length > 0) {
        for (const o of update.orders) p.orders.push(orderStreamText(this.deps.venue.instrument(o.symbol), o));
      }
      if (wanted & 6 && update.executions.length > 0) this.queueExecutions(p, update, wanted);
      if (wanted & 8 && update.positions.length > 0) this.queuePositions(p, uid, update);
      if (wanted & 16 && update.wallet) p.wallet = JSON.stringify(walletJson(this.deps.venue.account(uid), this.deps.venue.marginOf(uid)));
      if (this.flushTimer === undefined) this.flushTimer = setImmediate(this.flush);
    } catch (err) {
      this.deps.logger?.error({ err, uid }, 'private stream serialisation failed');
    }
  }

  private queueExecutions(p: PendingPush, u: AccountUpdate, wanted: number): void {
    const { venue } = this.deps;
    for (const e of u.executions) {
      const inst = venue.instrument(e.symbol);
      if (wanted & 2) p.executions.push(JSON.stringify(executionStreamJson(inst, e, venue.mark(e.symbol))));
      if (wanted & 4) {
        const x = executionStreamJson(inst, e, undefined);
        p.fast.push(
          JSON.stringify({
            category: x.category, symbol: x.symbol, execId: x.execId, execPrice: x.execPrice, execQty: x.execQty,
            orderId: x.orderId, isMaker: x.isMaker, orderLinkId: e.isMaker ? '' : x.orderLinkId, side: x.side,
            execTime: x.execTime, seq: x.seq,
          }),
        );
      }
    }
  }

  private queuePositions(p: PendingPush, uid: number, u: AccountUpdate): void {
    const { venue, clock } = this.deps;
    const acct = venue.account(uid);
    for (const s of u.positions) {
      const pos = acct.positions.get(s) ?? emptyPosition(acct.defaultLeverage, clock.now());
      p.positions.set(s, JSON.stringify(positionStreamJson(venue.instrument(s), acct, pos, venue.mark(s))));
    }
  }

  /** End of the turn: one message per topic per account, to every subscribed connection, one write each. */
  private readonly flush = (): void => {
    this.flushTimer = undefined;
    const now = this.deps.clock.now();
    const muted = this.muted;
    for (const [uid, p] of this.pending) {
      const conns = this.byUid.get(uid);
      if (conns === undefined) continue;
      try {
        const data = p.dataByFamily();
        const texts = new Map<string, string>();
        for (const conn of conns) {
          if (conn.topics.size === 0) continue;
          conn.corked(() => {
            for (let f = 0; f < FAMILIES.length; f++) {
              const d = data[f];
              if (d === undefined) continue;
              for (const topic of FAMILIES[f]!) {
                if (!conn.topics.has(topic) || (muted !== undefined && muted.has(topic))) continue;
                let text = texts.get(topic);
                if (text === undefined) {
                  text = `{"id":"${this.deps.ids.uuid()}","topic":"${topic}","creationTime":${now},"data":${d}}`;
                  texts.set(topic, text);
                }
                conn.send(text);
              }
            }
          });
        }
      } catch (err) {
        this.deps.logger?.error({ err, uid }, 'private stream push failed');
      }
    }
    this.pending.clear();
  };
}

/** What one account's updates of the current turn will push, as serialised `data` items per family. */
class PendingPush {
  readonly orders: string[] = [];
  readonly executions: string[] = [];
  readonly fast: string[] = [];
  /** Latest state per symbol, in first-touched order. */
  readonly positions = new Map<string, string>();
  wallet: string | undefined;

  /** The `data` array text per family (FAMILIES order), undefined where nothing is pending. */
  dataByFamily(): (string | undefined)[] {
    const arr = (items: Iterable<string>): string | undefined => {
      const a = [...items];
      return a.length === 0 ? undefined : `[${a.join(',')}]`;
    };
    return [arr(this.orders), arr(this.executions), arr(this.fast), arr(this.positions.values()), this.wallet === undefined ? undefined : `[${this.wallet}]`];
  }
}

/** Bit f set when `topics` holds a topic of family f. */
function familyMask(topics: ReadonlySet<string>): number {
  if (topics.size === 0) return 0;
  let m = 0;
  for (let f = 0; f < FAMILIES.length; f++) {
    for (const t of FAMILIES[f]!) if (topics.has(t)) m |= 1 << f;
  }
  return m;
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
