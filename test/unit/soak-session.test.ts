import { describe, expect, it } from 'vitest';
import { firstError } from '../../scenarios/soak/session.ts';

const venueLine = JSON.stringify({
  level: 50,
  time: 1795510777510,
  runId: 'soak-1',
  reqId: 'req-25u',
  err: { type: 'RangeError', message: 'formatScaled(9028319450670000, 8, 8)', stack: `RangeError: formatScaled(9028319450670000, 8, 8)\n${'    at x (y.ts:1:1)\n'.repeat(40)}` },
  method: 'GET',
  url: '/v5/market/tickers?category=linear&symbol=BTCUSDT',
  msg: 'unexpected error in REST handler',
});

describe('soak: the unhandled-errors gate names the first error', () => {
  it('from a whole pino line: where, what and the error', () => {
    expect(firstError('venue', [venueLine, '{}'])).toBe(
      '; first venue error: GET /v5/market/tickers?category=linear&symbol=BTCUSDT: unexpected error in REST handler (RangeError: formatScaled(9028319450670000, 8, 8))',
    );
  });
  it('from a line cut short (the fields that survived)', () => {
    expect(firstError('bot', [venueLine.slice(0, 500)])).toBe('; first bot error: RangeError: formatScaled(9028319450670000, 8, 8)');
  });
  it('a line that is not JSON as it is; nothing without lines', () => {
    expect(firstError('bot', ['TypeError: x is not a function'])).toBe('; first bot error: TypeError: x is not a function');
    expect(firstError('venue', [])).toBe('');
  });
});
