/**
 * Network profiles as data: each is a set of toxics for one proxy (both directions). Latency figures are per
 * direction, so a request/response round trip pays them twice. Applied by ChaosDriver.applyProfile; names are
 * `<profile>-<type>-<stream>` so a profile can be removed again without touching other faults.
 */
export type Stream = 'upstream' | 'downstream';
export type ToxicType = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data' | 'noop';

export interface ToxicDef {
  type: ToxicType;
  stream: Stream;
  attributes: Record<string, number>;
  /** Probability (per connection and direction) that the toxic applies; default 1. */
  toxicity?: number;
}

export interface NetworkProfile {
  description: string;
  toxics: readonly ToxicDef[];
}

const both = (type: ToxicType, attributes: Record<string, number>): ToxicDef[] => [
  { type, stream: 'upstream', attributes },
  { type, stream: 'downstream', attributes },
];

export const PROFILES = {
  /** Same rack: 1 ms each way, no jitter. */
  lan: { description: '1 ms each way', toxics: both('latency', { latency: 1, jitter: 0 }) },
  /** A decent internet path: 50 ms ± 10 ms each way (round trip 100 ± 20 ms). */
  wan: { description: '50 ms ± 10 ms each way', toxics: both('latency', { latency: 50, jitter: 10 }) },
  /** Congested Wi-Fi: 40 ± 30 ms each way, 2 Mbit/s down, 0.8 Mbit/s up, data arriving in small bursts. */
  'bad-wifi': {
    description: '40 ms ± 30 ms each way, 250 KB/s down, 100 KB/s up, downstream sliced into ~256 B pieces',
    toxics: [
      ...both('latency', { latency: 40, jitter: 30 }),
      { type: 'bandwidth', stream: 'downstream', attributes: { rate: 250 } },
      { type: 'bandwidth', stream: 'upstream', attributes: { rate: 100 } },
      { type: 'slicer', stream: 'downstream', attributes: { average_size: 256, size_variation: 128, delay: 200 } },
    ],
  },
  /** Bot in another continent from the venue: 120 ± 15 ms each way, 10 MB/s. */
  intercontinental: {
    description: '120 ms ± 15 ms each way, 10 MB/s each way',
    toxics: [...both('latency', { latency: 120, jitter: 15 }), ...both('bandwidth', { rate: 10_000 })],
  },
} as const satisfies Record<string, NetworkProfile>;

export type ProfileName = keyof typeof PROFILES;

export function profileToxicName(profile: string, t: ToxicDef): string {
  return `${profile}-${t.type}-${t.stream}`;
}
