/**
 * The catalogue of the bot's error and warning codes. Every log line about something going wrong carries one of
 * these in `code`, so alerts and tests can key on a code that never changes instead of on message text.
 * Codes are never reused or renumbered; add new ones at the end of their group.
 */
export const ERRORS = {
  // 1xx: configuration and startup
  CONFIG_INVALID: { code: 'MMB-101', level: 'fatal', text: 'configuration is invalid' },
  INSTRUMENT_UNAVAILABLE: { code: 'MMB-102', level: 'fatal', text: 'instrument info could not be loaded' },
  DCP_ENABLE_FAILED: { code: 'MMB-103', level: 'warn', text: 'disconnect-cancel (DCP) could not be enabled' },
  DCP_SUBSCRIBE_FAILED: { code: 'MMB-104', level: 'warn', text: 'dcp.future subscription failed' },
  TELEMETRY_START_FAILED: { code: 'MMB-105', level: 'fatal', text: 'telemetry server could not start' },
  EXECUTOR_START_FAILED: { code: 'MMB-106', level: 'fatal', text: 'execution reconciliation at start failed' },
  // 2xx: market data
  BOOK_STALE: { code: 'MMB-201', level: 'warn', text: 'local order book is stale' },
  BOOK_RESYNC_TIMEOUT: { code: 'MMB-202', level: 'warn', text: 'book resync got no snapshot in time; retrying' },
  BOOK_SUBSCRIBE_FAILED: { code: 'MMB-203', level: 'error', text: 'order book subscription failed' },
  WS_EXCEPTION: { code: 'MMB-204', level: 'warn', text: 'WebSocket client exception' },
  WS_RECONNECTING: { code: 'MMB-205', level: 'warn', text: 'WebSocket reconnecting' },
  // 3xx: guards
  GUARD_SOFT: { code: 'MMB-301', level: 'warn', text: 'SOFT guard tripped: widening and shrinking' },
  GUARD_HARD: { code: 'MMB-302', level: 'warn', text: 'HARD guard tripped: cancel all and halt' },
  KILL_SWITCH: { code: 'MMB-303', level: 'error', text: 'kill switch tripped: cancel all, halted until reset' },
  KILL_SWITCH_RESET: { code: 'MMB-304', level: 'warn', text: 'kill switch reset by operator' },
  // 4xx: execution as seen from the quote loop
  APPLY_FAILED: { code: 'MMB-401', level: 'error', text: 'applying a quote set failed' },
  CANCEL_ALL_FAILED: { code: 'MMB-402', level: 'error', text: 'cancel-all failed' },
  PIPELINE_FAILED: { code: 'MMB-403', level: 'error', text: 'quote pipeline threw' },
  // 45x-46x: execution internals (bot/execution/)
  EXEC_REJECT: { code: 'MMB-451', level: 'warn', text: 'the venue refused an order action; it is dropped, not retried' },
  EXEC_RETRY: { code: 'MMB-452', level: 'warn', text: 'request retried after 10006, 10016, HTTP 5xx/429, a network error or a timeout' },
  EXEC_GAVE_UP: { code: 'MMB-453', level: 'error', text: 'request failed after every retry; its actions are dropped and state is reconciled' },
  EXEC_RATE_WAIT: { code: 'MMB-454', level: 'debug', text: 'send held until the rate-limit window of its endpoint resets' },
  EXEC_POST_ONLY: { code: 'MMB-455', level: 'warn', text: 'PostOnly order cancelled by the venue: it would have taken liquidity' },
  EXEC_TAKER_FILL: { code: 'MMB-456', level: 'warn', text: 'one of our orders filled as taker' },
  EXEC_ORPHAN_CANCEL: { code: 'MMB-457', level: 'warn', text: 'open order with our prefix that we do not track: cancelled' },
  EXEC_RECONCILE_FAILED: { code: 'MMB-458', level: 'warn', text: 'REST reconciliation failed; retried at the next trigger' },
  EXEC_CANCEL_ALL_UNCONFIRMED: { code: 'MMB-459', level: 'error', text: 'cancelAll did not see zero open orders before its deadline' },
  EXEC_NO_RATE_HEADERS: { code: 'MMB-460', level: 'warn', text: 'REST client does not return X-Bapi-Limit headers' },
  EXEC_STREAM_SILENT: { code: 'MMB-461', level: 'info', text: 'private stream silent for longer than silentMs; reconciling' },
  EXEC_STREAM_RECONNECTED: { code: 'MMB-462', level: 'warn', text: 'private stream reconnected; reconciling once resubscribed' },
  EXEC_UNWIND: { code: 'MMB-463', level: 'info', text: 'inventory unwind: IOC slice sent to trim an aged position, and its outcome' },
  EXEC_UNWIND_FILL: { code: 'MMB-464', level: 'info', text: 'fill of an inventory-unwind IOC (an intended taker fill, not a guard input)' },

  // 5xx: shutdown
  SHUTDOWN_FAILED: { code: 'MMB-501', level: 'error', text: 'shutdown did not complete cleanly' },
} as const;

export type ErrorName = keyof typeof ERRORS;

/** Fields for a pino call: `log.warn(errFields('BOOK_STALE', { reason }), ERRORS.BOOK_STALE.text)`. */
export function errFields(name: ErrorName, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { code: ERRORS[name].code, ...extra };
}

type LogFn = (obj: Record<string, unknown>, msg: string) => void;
export interface CodeLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
}

/** Logs `name` at its catalogued level with its code and text. */
export function logCode(log: CodeLogger, name: ErrorName, extra: Record<string, unknown> = {}, detail?: string): void {
  const e = ERRORS[name];
  log[e.level](errFields(name, extra), detail ? `${e.text}: ${detail}` : e.text);
}
