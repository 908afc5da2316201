/**
 * The bench's own error codes (the control plane's, not the venue's): stable strings, each with its HTTP status,
 * documented in docs/control-plane.md and checked by test/unit/control-errors-doc.test.ts.
 */
export const CONTROL_ERRORS = {
  CTRL_UNAUTHORIZED: { http: 401, when: 'missing or wrong bearer token' },
  CTRL_BAD_REQUEST: { http: 400, when: 'a body or parameter that fails validation; the message names the path' },
  CTRL_NOT_FOUND: { http: 404, when: 'unknown account, symbol or route' },
  CTRL_CONFLICT: { http: 409, when: 'an account with that uid or apiKey already exists; a repro bundle without a journal' },
  CTRL_INTERNAL: { http: 500, when: 'an unexpected error; nothing was changed' },
} as const;

export type ControlErrorCode = keyof typeof CONTROL_ERRORS;

export class ControlError extends Error {
  readonly http: number;
  constructor(readonly code: ControlErrorCode, message: string) {
    super(message);
    this.name = 'ControlError';
    this.http = CONTROL_ERRORS[code].http;
  }
}
