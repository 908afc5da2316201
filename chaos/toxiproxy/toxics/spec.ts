/**
 * What the server needs to know about one toxic type: its attribute fields (Go types, for decoding and error
 * wording), its channel buffer, whether it keeps per-link state or cleans up on removal, the extra validation that
 * replaces the real server's crashes with a 400, and the pipe itself.
 */
import type { Stub } from '../stub.ts';

export type GoIntType = 'int64' | 'int';

export interface ToxicSpec<A extends Record<string, number> = Record<string, number>> {
  readonly type: string;
  /** The Go struct name, used in decode error messages (`LatencyToxic.attributes.latency`). */
  readonly goStruct: string;
  /** Attribute keys in Toxiproxy's emit order with their Go integer types; all default to 0. */
  readonly fields: Readonly<Record<keyof A & string, GoIntType>>;
  /** Capacity of the channel into this stage (Toxiproxy: 1024 for latency, unbuffered otherwise). */
  readonly bufferSize: number;
  /** Fresh per-link state (limit_data's byte count), kept across restarts of the stage. */
  newState?(): unknown;
  /** Removing this toxic closes the links it sits on (timeout's Cleanup). */
  readonly closesOnRemove?: boolean;
  /** Connections accepted while this toxic is in the chain get SO_LINGER=0 (reset_peer: close sends RST). */
  readonly lingerZero?: boolean;
  /**
   * Inputs the real server accepts and then crashes or hangs on: a message here makes the API answer 400. Gets the
   * exact decoded integers (Go's int64), so a limit such as `rate * 100 <= 2^63-1` is checked exactly.
   */
  check?(a: { readonly [K in keyof A]: bigint }): string | undefined;
  pipe(s: Stub, a: A): Promise<void>;
}
