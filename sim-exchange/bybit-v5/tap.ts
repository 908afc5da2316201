/**
 * Taps: how a harness running the venue in its own process watches the traffic of the venue's clients as the venue
 * sees it — every REST answer with its retCode, every WebSocket frame in either direction with its connection — for
 * venue-side measurements of a bot (docs/reports.md: quote reaction, rejects, requests; scenarios/run/venue-view.ts).
 *
 * A tap is not the journal: the journal records what came in so that a run can be replayed; a tap observes answers
 * and connections as they happen and keeps nothing. Unset, a tap costs the venue one undefined check per request or
 * frame. A tap must not throw or block: it runs inside the venue's request and send paths.
 */
import type { Channel } from './ws/connection.ts';

/** One REST answer, at the moment it is sent, with what the request was. */
export interface RestAnswer {
  readonly method: string;
  /** Route path (the URL path for unknown routes), without the query. */
  readonly path: string;
  /** The account, once the request authenticated. */
  readonly uid: number | undefined;
  /** X-BAPI-API-KEY as sent (also when authentication failed), if any. */
  readonly apiKey: string | undefined;
  /** Parsed JSON body (POST), else undefined. */
  readonly body: unknown;
  /** Venue clock when the request was received. */
  readonly at: number;
  /** performance.now() when the request was received: for latencies, which the venue clock (skewable) is not for. */
  readonly mono: number;
  /** The envelope's retCode; null for a raw answer (an HTTP 5xx or maintenance page from a fault). */
  readonly retCode: number | null;
  readonly status: number;
  /** A batch answer's per-item codes (retExtInfo.list[i].code), in request order. */
  readonly items: readonly number[] | undefined;
}

export interface RestTap {
  answered(a: RestAnswer): void;
}

/** What a tap may read of a WebSocket connection. */
export interface WsConnView {
  readonly connId: string;
  readonly channel: Channel;
  /** The authenticated account (private and trade connections), else undefined. */
  readonly uid: number | undefined;
  /** The client's TCP port as the venue sees it (the proxy's, when the client comes through one). */
  readonly peerPort: number | undefined;
}

export interface WsTap {
  opened?(conn: WsConnView): void;
  /** A text frame: inbound when received (before it is handled), outbound when written to the socket. */
  frame(conn: WsConnView, dir: 'in' | 'out', text: string): void;
  closed?(conn: WsConnView): void;
}
