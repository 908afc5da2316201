/**
 * Inbound frame parsing and the request/reply shapes shared by /v5/public/* and /v5/private
 * (../../../../shared/reference/bybit-v5.md §6.2). Replies are compact JSON: bybit-api detects a pong by the raw
 * substrings `"op":"pong"` / `"ret_msg":"pong"`.
 */
import type { RawData } from 'ws';

export type ReqId = string | number;

export type Parsed =
  | { readonly ok: true; readonly text: string; readonly msg: Record<string, unknown> }
  | { readonly ok: false; readonly text: string | undefined; readonly why: string };

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** A text frame holding one JSON object, or why not. Never throws. */
export function parseFrame(data: RawData, isBinary: boolean): Parsed {
  if (isBinary) return { ok: false, text: undefined, why: 'error:binary frames are not supported' };
  const text = rawText(data);
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { ok: false, text, why: 'error:request is not valid JSON' };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return { ok: false, text, why: 'error:request must be a JSON object' };
  }
  return { ok: true, text, msg: msg as Record<string, unknown> };
}

/** `req_id` (public/private) or `reqId` (trade) as sent, when it is a string or a number. */
export function reqIdOf(msg: Record<string, unknown> | undefined, key: 'req_id' | 'reqId'): ReqId | undefined {
  const v = msg?.[key];
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? v : undefined;
}

export function opOf(msg: Record<string, unknown> | undefined): string {
  const op = msg?.['op'];
  return typeof op === 'string' ? op : '';
}

/** `{"success":…,"ret_msg":…,"conn_id":…,"req_id":…,"op":…}`: subscribe/unsubscribe acks and every failure. */
export function opReply(success: boolean, retMsg: string, connId: string, reqId: ReqId | undefined, op: string): string {
  return JSON.stringify({ success, ret_msg: retMsg, conn_id: connId, req_id: reqId ?? '', op });
}

/** `s` cut to `n` characters, with `…` when cut. */
export function clip(s: string, n = 64): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/**
 * The JSON text of `v` (a value from JSON.parse), cut after `max` characters (`complete` false, text ending in `…`).
 * Iterative with an explicit stack, so any nesting depth is safe (JSON.stringify throws RangeError past a few
 * thousand levels), and the work is bounded by `max`, not by the size of `v`. Never throws.
 */
export function boundedJson(v: unknown, max: number): { text: string; complete: boolean } {
  let out = '';
  type Frame = { readonly arr: readonly unknown[]; i: number } | { readonly obj: Record<string, unknown>; readonly keys: string[]; i: number };
  const stack: Frame[] = [];
  let next: unknown = v;
  let have = true;
  for (;;) {
    if (out.length > max) return { text: `${out.slice(0, max)}…`, complete: false };
    if (have) {
      have = false;
      if (Array.isArray(next)) {
        out += '[';
        stack.push({ arr: next, i: 0 });
      } else if (typeof next === 'object' && next !== null) {
        out += '{';
        stack.push({ obj: next as Record<string, unknown>, keys: Object.keys(next), i: 0 });
      } else if (typeof next === 'string') {
        out += JSON.stringify(next.length > max ? next.slice(0, max + 1) : next);
      } else if (typeof next === 'number') {
        out += Number.isFinite(next) ? String(next) : 'null';
      } else if (typeof next === 'boolean') {
        out += next ? 'true' : 'false';
      } else {
        out += 'null';
      }
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return { text: out, complete: true };
    if ('arr' in top) {
      if (top.i >= top.arr.length) {
        out += ']';
        stack.pop();
        continue;
      }
      if (top.i > 0) out += ',';
      next = top.arr[top.i++];
    } else {
      if (top.i >= top.keys.length) {
        out += '}';
        stack.pop();
        continue;
      }
      const k = top.keys[top.i++]!;
      out += `${top.i > 1 ? ',' : ''}${JSON.stringify(k.length > max ? k.slice(0, max + 1) : k)}:`;
      next = top.obj[k];
    }
    have = true;
  }
}

/** How a bad arg is named in a refusal: a string as sent, anything else as (bounded) JSON; at most 64 characters. */
export function argName(a: unknown): string {
  return typeof a === 'string' ? clip(a) : boundedJson(a, 64).text;
}

/** Refusal texts name at most this many bad args; the rest are counted ("…and 14995 more"). */
export const MAX_NAMED_ARGS = 5;

/**
 * The `ret_msg` of a refused request listing its bad args: the first MAX_NAMED_ARGS, each clipped to 64 characters,
 * then how many more. Bounded whatever the request: ≤ 5 × ~100 characters + a count.
 */
export class BadArgs {
  private readonly named: string[] = [];
  count = 0;
  add(text: string): void {
    if (++this.count <= MAX_NAMED_ARGS) this.named.push(text);
  }
  text(): string {
    const more = this.count - this.named.length;
    return more > 0 ? `${this.named.join('; ')}; …and ${more} more` : this.named.join('; ');
  }
}

/** Subscribe/unsubscribe args caps of one path (Bybit's public-channel "args limits", docs/websocket.md). */
export interface ArgCaps {
  /** Characters of args one connection may hold: its topics plus a subscribe's args. Bybit: 21,000 (every public category). */
  readonly maxChars: number;
  /** Args in one request. Bybit: spot 10 ("args size >10"); none for futures. */
  readonly maxPerRequest: number;
  /** Topics one connection may hold. Bybit: option 2000. */
  readonly maxPerConnection: number;
}

/** Refusals by cap since start (gateway stats, /metrics). */
export interface ArgCapRefusals {
  perRequest: number;
  perConnection: number;
  chars: number;
}

/**
 * Checks a request's args (already known to be a non-empty array) against `caps` before any topic is looked at, so
 * the work and the reply are bounded whatever the request holds. Returns the refusal `ret_msg`, or undefined when
 * within the caps. Characters: a string arg counts its length, anything else the length of its JSON; a subscribe
 * counts the topics the connection holds too, an unsubscribe only its own args.
 */
export function checkArgCaps(
  op: 'subscribe' | 'unsubscribe',
  args: readonly unknown[],
  held: ReadonlySet<string>,
  caps: ArgCaps,
  refusals: ArgCapRefusals,
): string | undefined {
  if (args.length > caps.maxPerRequest) {
    refusals.perRequest++;
    return `args size >${caps.maxPerRequest}`;
  }
  if (op === 'subscribe' && held.size + args.length > caps.maxPerConnection) {
    refusals.perConnection++;
    return `args size >${caps.maxPerConnection} per connection (subscribed ${held.size}, requested ${args.length})`;
  }
  let chars = 0;
  if (op === 'subscribe') for (const t of held) chars += t.length;
  for (const a of args) {
    if (chars > caps.maxChars) break;
    chars += typeof a === 'string' ? a.length : boundedJson(a, caps.maxChars - chars + 1).text.length;
  }
  if (chars > caps.maxChars) {
    refusals.chars++;
    return `args length >${caps.maxChars} characters per connection`;
  }
  return undefined;
}
