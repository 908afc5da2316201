/**
 * Process resources for the soak, read from a Prometheus text exposition: prom-client's default metrics, which the
 * venue exports as `mmvenue_*` (control plane GET /metrics) and the bot as `mmbot_*` (its /metrics, only when the bot
 * runs with default metrics on, as it does as its own process — absent otherwise, and the soak records null).
 *
 * prom-client resets its event-loop delay histogram on every collection, so the lag p99 read from one scrape covers
 * the time since the previous scrape: the soak scrapes each process once per window boundary, and the lag it records
 * is that window's.
 */

export interface ResourceSample {
  /** process_resident_memory_bytes */
  readonly rssBytes: number | null;
  /** nodejs_heap_size_used_bytes */
  readonly heapUsedBytes: number | null;
  /** nodejs_eventloop_lag_p99_seconds when exported, else nodejs_eventloop_lag_seconds. */
  readonly eventLoopLagSeconds: number | null;
}

export const EMPTY_RESOURCES: ResourceSample = { rssBytes: null, heapUsedBytes: null, eventLoopLagSeconds: null };

/** The value of an unlabelled (or first-labelled) sample `name` in a Prometheus text body; null when absent. */
export function promValue(text: string, name: string): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    const body = rest.startsWith('{') ? rest.slice(rest.indexOf('}') + 1) : rest;
    const v = Number(body.trim().split(/\s+/)[0]);
    if (Number.isFinite(v)) return v;
  }
  return null;
}

/** Reads RSS, heap used and event-loop lag with the given metric prefix ('mmvenue_' or 'mmbot_'). */
export function parseResources(text: string, prefix: string): ResourceSample {
  return {
    rssBytes: promValue(text, `${prefix}process_resident_memory_bytes`),
    heapUsedBytes: promValue(text, `${prefix}nodejs_heap_size_used_bytes`),
    eventLoopLagSeconds: promValue(text, `${prefix}nodejs_eventloop_lag_p99_seconds`) ?? promValue(text, `${prefix}nodejs_eventloop_lag_seconds`),
  };
}

/** Fetches a /metrics URL and parses it; any error gives EMPTY_RESOURCES (a soak window must not die on a scrape). */
export async function scrapeResources(url: string, prefix: string, timeoutMs = 3000, headers: Record<string, string> = {}): Promise<ResourceSample> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return EMPTY_RESOURCES;
    return parseResources(await res.text(), prefix);
  } catch {
    return EMPTY_RESOURCES;
  }
}
