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
