/**
 * The venue's Prometheus metrics (GET /metrics on the control plane, behind its bearer token). Everything is read
 * when Prometheus scrapes (prom-client `collect` callbacks over state the venue keeps anyway), so the trading hot
 * path pays nothing; the process metrics (RSS, heap, event-loop lag, GC) come from prom-client's defaults, which
 * soak runs watch for leaks and drift.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Venue } from '../venue/venue.ts';
import type { WsStats } from '../bybit-v5/ws/gateway.ts';
import type { RestHttpStats } from '../bybit-v5/rest/http.ts';

export interface VenueMetricsSources {
  readonly venue: Venue;
  readonly ws?: () => WsStats;
  /** The REST app's `httpStats` (connections its deadlines and parser closed). */
  readonly rest?: () => RestHttpStats;
}

export function createVenueMetrics(src: VenueMetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mmvenue_' });
  const { venue } = src;

  // Commands by kind, counted as the command journal sees them (a listener, one integer add per command).
  const commands = new Map<string, number>();
  venue.listen({ onCommand: (c) => commands.set(c.cmd, (commands.get(c.cmd) ?? 0) + 1) });
  countersFromTotals(registry, 'mmvenue_commands_total', 'State-changing venue commands by kind (refused ones included), from any source', 'cmd', () => commands);

  new Gauge({
    name: 'mmvenue_fills',
    help: 'Fills in the ledger (one per account per fill; the ledger is capped, see dropped)',
    registers: [registry],
    collect() {
      this.set(venue.ledger.entries().length);
    },
  });
  new Gauge({
    name: 'mmvenue_open_orders',
    help: 'Open orders per symbol, all accounts',
    labelNames: ['symbol'],
    registers: [registry],
    collect() {
      for (const symbol of venue.instruments.keys()) this.labels(symbol).set(venue.book(symbol).size);
    },
  });
  new Gauge({
    name: 'mmvenue_mid',
    help: 'Venue mid price per symbol (absent while a side is empty)',
    labelNames: ['symbol'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [symbol, inst] of venue.instruments) {
        const m = venue.mid(symbol);
        if (m !== null) this.labels(symbol).set((m * inst.tick.units) / 10 ** inst.tick.scale);
      }
    },
  });
  new Gauge({
    name: 'mmvenue_accounts',
    help: 'Accounts on the venue',
    registers: [registry],
    collect() {
      this.set(venue.accounts.size);
    },
  });
  const ws = src.ws;
  if (ws) {
    new Gauge({
      name: 'mmvenue_ws_connections',
      help: 'Open WebSocket connections per path',
      labelNames: ['path'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [path, n] of Object.entries(ws().connections)) this.labels(path).set(n);
      },
    });
    new Gauge({
      name: 'mmvenue_ws_policy_closes',
      help: 'WebSocket connections closed by policy since start (slow consumer 1013, flood 1008, idle 1000)',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        for (const [reason, n] of Object.entries(ws().closes)) this.labels(reason).set(n);
      },
    });
    // The WebSocket budgets (docs/websocket.md "Budgets").
    new Gauge({
      name: 'mmvenue_ws_buffered_bytes',
      help: 'Outbound bytes buffered now across all open WebSocket connections (socket buffers + delayed frames)',
      registers: [registry],
      collect() {
        this.set(ws().buffer.bytes);
      },
    });
    new Gauge({
      name: 'mmvenue_ws_buffered_budget_bytes',
      help: 'Budget of outbound bytes buffered across all WebSocket connections (maxTotalBufferedBytes; +Inf = none)',
      registers: [registry],
      collect() {
        this.set(ws().buffer.budget);
      },
    });
    let budgetReported = 0;
    new Counter({
      name: 'mmvenue_ws_budget_closes_total',
      help: 'WebSocket connections closed with 1013 because all connections together buffered more than the budget',
      registers: [registry],
      collect() {
        const n = ws().buffer.closes;
        if (n > budgetReported) this.inc(n - budgetReported);
        budgetReported = n;
      },
    });
    countersFromTotals(
      registry,
      'mmvenue_ws_subscribe_refusals_total',
      'WebSocket subscribe/unsubscribe requests refused by an args cap (perRequest, perConnection, chars)',
      'cap',
      () => Object.entries(ws().subscribeRefusals),
    );
  }
  const rest = src.rest;
  if (rest) {
    countersFromTotals(
      registry,
      'mmvenue_rest_closes_total',
      'REST connections the HTTP layer answered and closed (headers/body deadline 408, header overflow 431, malformed 400)',
      'reason',
      () => Object.entries(rest().closes),
    );
  }
  // Every budget in force (docs/security.md), so a dashboard shows the limits next to what runs into them.
  new Gauge({
    name: 'mmvenue_budget',
    help: 'Budgets in force: REST deadlines (ms) and sizes (bytes), WebSocket buffers, rates, caps and windows (docs/security.md)',
    labelNames: ['budget'],
    registers: [registry],
    collect() {
      const all = { ...rest?.().limits, ...ws?.().limits, venue_closed_link_ids_per_account: venue.closedLinkIdWindow };
      for (const [name, v] of Object.entries(all)) this.labels(name).set(v);
    },
  });
  return registry;
}

/**
 * A labelled counter fed from running totals the venue keeps anyway: at each scrape it adds what each total gained
 * since the last one (a prom-client counter only goes up by increments).
 */
function countersFromTotals(registry: Registry, name: string, help: string, label: string, totals: () => Iterable<[string, number]>): void {
  const reported = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      for (const [key, n] of totals()) {
        this.labels(key).inc(Math.max(0, n - (reported.get(key) ?? 0)));
        reported.set(key, n);
      }
    },
  });
}
