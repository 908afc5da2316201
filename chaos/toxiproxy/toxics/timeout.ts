import { EOF, INTR, TIMEOUT } from '../stub.ts';
import type { ToxicSpec } from './spec.ts';

export interface TimeoutAttrs extends Record<string, number> {
  timeout: number;
}

/**
 * Swallows all data. With timeout > 0 it closes the link after `timeout` ms without a chunk (an idle timer, restarted
 * by every chunk); with 0 it never closes. Removing it closes the link (Toxiproxy's Cleanup), see spec.closesOnRemove.
 */
export const timeout: ToxicSpec<TimeoutAttrs> = {
  type: 'timeout',
  goStruct: 'TimeoutToxic',
  fields: { timeout: 'int64' },
  bufferSize: 1,
  closesOnRemove: true,
  async pipe(s, a) {
    for (;;) {
      // The timer is re-armed for every chunk, as Go re-creates time.After on each loop turn.
      const c = a.timeout > 0 ? await s.recv(a.timeout) : await s.recv();
      if (c === INTR) return;
      if (c === EOF || c === TIMEOUT) return s.close();
      // Data is dropped on the floor.
    }
  },
};
