import { INTR } from '../stub.ts';
import type { ToxicSpec } from './spec.ts';

export interface ResetPeerAttrs extends Record<string, number> {
  timeout: number;
}

/**
 * On the first chunk or EOF: wait `timeout` ms (not interruptible, as in Toxiproxy), then close the link, dropping
 * that chunk and all after it. The close is an RST only on connections accepted while a reset_peer toxic was already
 * in the chain (their sockets got SO_LINGER=0); added to an open connection it closes with a plain FIN.
 */
export const resetPeer: ToxicSpec<ResetPeerAttrs> = {
  type: 'reset_peer',
  goStruct: 'ResetToxic',
  fields: { timeout: 'int64' },
  bufferSize: 1,
  lingerZero: true,
  async pipe(s, a) {
    const c = await s.recv();
    if (c === INTR) return;
    if (!(await s.sleepHard(a.timeout))) return;
    s.close();
  },
};
