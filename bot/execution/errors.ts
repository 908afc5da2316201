/**
 * Codes of the execution half's log lines, in the scheme of the bot's catalogue (bot/telemetry/errors.ts: stable
 * `MMB-nnn` codes in the `code` field, never reused). Execution internals take the 45x–46x block of the 4xx
 * "execution" group; they are meant to move into bot/telemetry/errors.ts unchanged.
 */
export const EXEC_ERRORS = {
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
} as const;

export type ExecErrorName = keyof typeof EXEC_ERRORS;

/** `{code}` for a pino call: `log.warn({ ...ec('EXEC_RETRY'), endpoint }, 'retrying')`. */
export const ec = (name: ExecErrorName): { code: string } => ({ code: EXEC_ERRORS[name].code });
