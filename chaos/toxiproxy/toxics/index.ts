import { bandwidth } from './bandwidth.ts';
import { latency } from './latency.ts';
import { limitData } from './limit-data.ts';
import { noop } from './noop.ts';
import { resetPeer } from './reset-peer.ts';
import { slicer } from './slicer.ts';
import { slowClose } from './slow-close.ts';
import type { ToxicSpec } from './spec.ts';
import { timeout } from './timeout.ts';

export type { ToxicSpec } from './spec.ts';

/** The toxic types Toxiproxy 2.12.0 registers. `down` is not one of them (it is `enabled:false` on the proxy). */
export const TOXICS: ReadonlyMap<string, ToxicSpec> = new Map(
  ([latency, bandwidth, slowClose, timeout, resetPeer, slicer, limitData, noop] as unknown as ToxicSpec[]).map((t) => [
    t.type,
    t,
  ]),
);
