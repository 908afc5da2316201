import { EOF, INTR } from '../stub.ts';
import type { ToxicSpec } from './spec.ts';

export interface SlowCloseAttrs extends Record<string, number> {
  delay: number;
}

/** Data passes unchanged; the close that follows EOF is held back `delay` ms. An interrupt ends the wait, not the link. */
export const slowClose: ToxicSpec<SlowCloseAttrs> = {
  type: 'slow_close',
  goStruct: 'SlowCloseToxic',
  fields: { delay: 'int64' },
  bufferSize: 1,
  async pipe(s, a) {
    for (;;) {
      const c = await s.recv();
      if (c === INTR) return;
      if (c === EOF) {
        if (!(await s.sleep(a.delay))) return; // EOF is sticky: the restarted stage sees it again
        return s.close();
      }
      if (!(await s.send(c))) return;
    }
  },
};
