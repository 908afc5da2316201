/**
 * Process resources for the soak, read from a Prometheus text exposition: prom-client's default metrics, which the
 * venue exports as `mmvenue_*` (control plane GET /metrics) and the bot as `mmbot_*` (its /metrics, only when the bot
 * runs with default metrics on, as it does as its own process — absent otherwise, and the soak records null).
 *
 * prom-client resets its event-loop delay histogram on every collection, so the lag p99 read from one scrape covers
 * the time since the previous scrape: the soak scrapes each process once per window boundary, and the lag it records
 * is that window's.
 */
import { readFileSync } from 'node:fs';

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

/**
 * The bot's resources, whatever its language: RSS from /proc/<pid>/status (Linux) when it exports none, heap and
 * event-loop lag from its Prometheus text when it exports prom-client's defaults (any prefix, e.g. `mmbot_`).
 */
export function botResources(pid: number | undefined, metricsText: string): ResourceSample {
  const prefix = /^(\w*?)process_resident_memory_bytes\b/m.exec(metricsText)?.[1];
  const fromMetrics = prefix === undefined ? EMPTY_RESOURCES : parseResources(metricsText, prefix);
  return { ...fromMetrics, rssBytes: fromMetrics.rssBytes ?? procRss(pid) };
}

/** VmRSS of a process in bytes, or null (not Linux, or the process is gone). */
export function procRss(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
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
