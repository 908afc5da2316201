/** Starting and stopping the stress venue child (stress/lib/venue-child.ts). */
import { fileURLToPath } from 'node:url';
import { startChild, stopChild, type Child } from '../bench/harness.ts';
import type { VenueChildOptions } from './venue-child.ts';

export interface VenueUrls {
  port: number;
  rest: string;
  wsPublic: string;
  wsPrivate: string;
  wsTrade: string;
  control: string;
  token: string;
}

export interface VenueProc {
  readonly urls: VenueUrls;
  /** CPU ms of the venue process so far. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./venue-child.ts', import.meta.url));

export async function startVenue(o: VenueChildOptions): Promise<VenueProc> {
  const child: Child<VenueUrls> = await startChild<VenueUrls>(CHILD, [JSON.stringify(o)]);
  return {
    urls: child.ready,
    async cpuMs() {
      const s = await child.request<{ cpu: NodeJS.CpuUsage }>({ cmd: 'stats' }, 'stats');
      return (s.cpu.user + s.cpu.system) / 1000;
    },
    stop: () => stopChild(child),
  };
}
