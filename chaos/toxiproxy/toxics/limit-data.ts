import { EOF, INTR } from '../stub.ts';
import type { ToxicSpec } from './spec.ts';

export interface LimitDataAttrs extends Record<string, number> {
  bytes: number;
}

interface LimitState {
  sent: number;
}

/** Forwards at most `bytes` per link (the count survives updates), truncating the last chunk, then closes the link. */
export const limitData: ToxicSpec<LimitDataAttrs> = {
  type: 'limit_data',
  goStruct: 'LimitDataToxic',
  fields: { bytes: 'int64' },
  bufferSize: 1,
  newState: (): LimitState => ({ sent: 0 }),
  async pipe(s, a) {
    const st = s.state as LimitState;
    for (;;) {
      const c = await s.recv();
      if (c === INTR) return;
      if (c === EOF) return s.close();
      const remaining = Math.max(0, a.bytes - st.sent);
      const data = remaining < c.data.length ? c.data.subarray(0, remaining) : c.data;
      if (data.length > 0) {
        st.sent += data.length;
        if (a.bytes - st.sent <= 0) {
          s.forward({ data, ts: c.ts });
          return s.close();
        }
        if (!(await s.send({ data, ts: c.ts }))) return;
      } else if (a.bytes - st.sent <= 0) return s.close();
    }
  },
};
