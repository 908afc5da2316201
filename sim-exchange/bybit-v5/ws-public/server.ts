/**
 * /v5/public/{linear|spot|inverse|option} requests (../../../../shared/reference/bybit-v5.md §6.2): ping, subscribe,
 * unsubscribe. The topics themselves live in feed.ts. Only linear lists symbols: on the other categories every topic
 * is invalid (the venue lists nothing there), so their subscribes get the failure reply.
 *
 * A request over the args caps (ws/frames.ts checkArgCaps: Bybit's per-request and per-connection args limits) is
 * refused before any topic is looked at. A request with any bad arg fails as a whole (`success:false`, ret_msg naming
 * the first few bad args, then how many more) and changes nothing: unknown topic or symbol → "Invalid topic: <topic>";
 * a topic this connection already has (or twice in one request) → "error:already subscribed,topic:<topic>".
 * Unsubscribing a valid topic the connection does not have succeeds. On subscribe the ack goes first, then each
 * topic's snapshot. Every reply is bounded (≤ ~1 KiB plus the echoed req_id) whatever the frame holds.
 */
import type { WsConn } from '../ws/connection.ts';
import { argName, BadArgs, checkArgCaps, clip, opOf, opReply, reqIdOf, type ArgCapRefusals, type ArgCaps, type ReqId } from '../ws/frames.ts';
import type { PublicFeed, FeedTopic } from './feed.ts';

export type PublicCategory = 'linear' | 'spot' | 'inverse' | 'option';

export class PublicChannel {
  constructor(
    private readonly feed: PublicFeed,
    readonly category: PublicCategory,
    private readonly caps: ArgCaps,
    private readonly refusals: ArgCapRefusals,
  ) {}

  /** One parsed frame from a public connection. Never throws. */
  message(conn: WsConn, msg: Record<string, unknown>): void {
    const op = opOf(msg);
    const reqId = reqIdOf(msg, 'req_id');
    switch (op) {
      case 'ping':
        conn.send(opReply(true, 'pong', conn.connId, reqId, 'ping'));
        return;
      case 'pong':
        return;
      case 'subscribe':
      case 'unsubscribe':
        return this.subscription(conn, op, msg['args'], reqId);
      default:
        conn.send(opReply(false, `error:invalid op "${clip(op)}"`, conn.connId, reqId, clip(op)));
    }
  }

  /** The connection closed: leave every topic. */
  closed(conn: WsConn): void {
    for (const name of conn.topics) this.feed.topic(name)?.remove(conn);
    conn.topics.clear();
  }

  private lookup(name: string): FeedTopic | undefined {
    return this.category === 'linear' ? this.feed.topic(name) : undefined;
  }

  private subscription(conn: WsConn, op: 'subscribe' | 'unsubscribe', args: unknown, reqId: ReqId | undefined): void {
    if (!Array.isArray(args) || args.length === 0) {
      conn.send(opReply(false, 'error:args must be a non-empty array of topics', conn.connId, reqId, op));
      return;
    }
    const refused = checkArgCaps(op, args, conn.topics, this.caps, this.refusals);
    if (refused !== undefined) {
      conn.send(opReply(false, refused, conn.connId, reqId, op));
      return;
    }
    const bad = new BadArgs();
    const topics: FeedTopic[] = [];
    const seen = new Set<string>();
    for (const a of args) {
      const t = typeof a === 'string' ? this.lookup(a) : undefined;
      if (t === undefined) bad.add(`Invalid topic: ${argName(a)}`);
      else if (op === 'subscribe' && (conn.topics.has(t.name) || seen.has(t.name))) bad.add(`error:already subscribed,topic:${t.name}`);
      else topics.push(t);
      if (t !== undefined) seen.add(t.name);
    }
    if (bad.count > 0) {
      conn.send(opReply(false, bad.text(), conn.connId, reqId, op));
      return;
    }
    conn.send(opReply(true, '', conn.connId, reqId, op));
    for (const t of topics) {
      if (op === 'subscribe') {
        conn.topics.add(t.name);
        t.add(conn);
      } else if (conn.topics.delete(t.name)) {
        t.remove(conn);
      }
    }
  }
}
