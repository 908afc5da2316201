/**
 * A scenario's fault timeline, played in scenario (market) time: venue faults through the control plane (POST
 * /faults, DELETE /faults/:id), network toxics through the fault proxy's driver (added at their start, removed at
 * their end, `down` = the channel's proxy disabled). Start times written as windows `[a, b]` are drawn from the seed,
 * each entry from its own stream, so the same seed always fires at the same moment.
 */
import { CHANNELS, type ChaosDriver, type Channel } from '../../chaos/driver.ts';
import type { SimHandle } from '../../sim-exchange/server.ts';
import { Rng } from '../../sim-exchange/rng.ts';
import type { AtSpec, Scenario } from '../schema.ts';
import type { FaultWindow } from '../types.ts';
import { control } from './control.ts';

export interface Fired {
  /** Venue clock when it fired. */
  readonly at: number;
  readonly plannedMs: number;
  readonly scenarioMs: number;
  readonly what: string;
  error?: string;
}

interface Action {
  readonly scenarioMs: number;
  readonly order: number;
  readonly what: string;
  readonly run: () => Promise<void>;
}

/** Resolves a start time: fixed, or drawn uniformly from [from, to] with the scenario seed's stream `name`. */
export function resolveAt(at: AtSpec, seed: number, name: string): number {
  if ('fixed' in at) return at.fixed;
  return Math.round(at.from + new Rng(seed).fork(name).next() * (at.to - at.from));
}

export interface PlayOptions {
  readonly durationMs: number;
  /** Market time per wall second: how long to wait between checks. */
  readonly speed: number;
  /** The scenario clock (ms since t0). */
  readonly scenarioNow: () => number;
  /** Checked after every wait: a reason ends the play early (the bot died). */
  readonly stopIf: () => string | undefined;
  /** Told the scenario time about four times a second. */
  readonly onTick: (scenarioMs: number) => void;
}

/** Checks the scenario clock at least this often (ms of wall time). */
const CHECK_MS = 20;
const TICK_MS = 250;

export class Timeline {
  /** Fault windows as they happened (venue clock), for shading, attribution and recovery gates. */
  readonly windows: FaultWindow[] = [];
  /** Actions as they fired. */
  readonly fired: Fired[] = [];
  private readonly actions: Action[] = [];
  /** Faults on now, by name, with how to end each. */
  private readonly active = new Map<string, () => Promise<void>>();
  private next = 0;
  /** The first action that failed. */
  error: string | null = null;
  private readonly venueNow: () => number;

  constructor(sc: Scenario, seed: number, sim: SimHandle, chaos: ChaosDriver) {
    const now = () => sim.venue.clock.now();
    let order = 0;
    sc.venue_faults.forEach((f, i) => {
      const at = resolveAt(f.at, seed, `venue_faults[${i}]`);
      const name = `${f.type}#${i}`;
      let id: string | undefined;
      let startedAt = 0;
      const stop = async () => {
        this.active.delete(name);
        if (id !== undefined) await control(sim, 'DELETE', `/faults/${id}`).catch(() => undefined);
        this.windows.push({ kind: 'venue', name, start: startedAt, end: now() });
      };
      this.actions.push({
        scenarioMs: at,
        order: order++,
        what: `venue fault ${name} on`,
        run: async () => {
          startedAt = now();
          const res = (await control(sim, 'POST', '/faults', { type: f.type, params: f.params })) as { id?: string };
          id = res.id;
          if (f.duration === undefined) this.windows.push({ kind: 'venue', name, start: startedAt, end: startedAt });
          else this.active.set(name, stop);
        },
      });
      if (f.duration !== undefined) {
        this.actions.push({ scenarioMs: at + f.duration, order: order++, what: `venue fault ${name} off`, run: async () => void (this.active.has(name) && (await stop())) });
      }
    });
    sc.network.toxics.forEach((t, i) => {
      const at = resolveAt(t.at, seed, `network.toxics[${i}]`);
      const channels: readonly Channel[] = t.channel === 'all' ? CHANNELS : [t.channel];
      const streams = t.direction === 'both' ? (['upstream', 'downstream'] as const) : ([t.direction] as const);
      const name = `${t.type}-${t.channel}#${i}`;
      let startedAt = 0;
      const stop = async () => {
        this.active.delete(name);
        for (const ch of channels) {
          if (t.type === 'down') await chaos.setEnabled(ch, true);
          else for (const s of streams) await chaos.removeFault(ch, `sc${i}-${s}`).catch(() => undefined);
        }
        this.windows.push({ kind: 'network', name, start: startedAt, end: now() });
      };
      this.actions.push({
        scenarioMs: at,
        order: order++,
        what: `network ${name} on`,
        run: async () => {
          startedAt = now();
          this.active.set(name, stop);
          for (const ch of channels) {
            if (t.type === 'down') await chaos.setEnabled(ch, false);
            else for (const s of streams) await chaos.addFault(ch, { name: `sc${i}-${s}`, type: t.type, stream: s, attributes: t.attributes, ...(t.toxicity !== undefined ? { toxicity: t.toxicity } : {}) });
          }
        },
      });
      this.actions.push({ scenarioMs: at + t.duration, order: order++, what: `network ${name} off`, run: async () => void (this.active.has(name) && (await stop())) });
    });
    this.actions.sort((a, b) => a.scenarioMs - b.scenarioMs || a.order - b.order);
    this.venueNow = now;
  }

  get activeCount(): number {
    return this.active.size;
  }

  /** Scenario time of the next action, or undefined when none is left. */
  get nextAt(): number | undefined {
    return this.actions[this.next]?.scenarioMs;
  }

  /** Fires every action due at scenario time `now` (`scenarioNow` is read again for each record). */
  private async fireDue(now: number, scenarioNow: () => number): Promise<void> {
    while (this.next < this.actions.length && this.actions[this.next]!.scenarioMs <= now) {
      const a = this.actions[this.next++]!;
      const rec: Fired = { at: this.venueNow(), plannedMs: a.scenarioMs, scenarioMs: Math.round(scenarioNow()), what: a.what };
      try {
        await a.run();
      } catch (err) {
        rec.error = (err as Error).message;
        this.error ??= `${a.what}: ${rec.error}`;
      }
      this.fired.push(rec);
    }
  }

  /**
   * Plays the scenario until its duration in scenario time: fires each action when its time comes (waking up early for
   * it, at most CHECK_MS apart). Resolves with why it ended early (the wall-time limit, `stopIf`), or undefined.
   */
  async play(o: PlayOptions): Promise<string | undefined> {
    const wallLimit = (o.durationMs / o.speed) * 3 + 30_000;
    const wallStart = performance.now();
    let lastTick = 0;
    for (;;) {
      const now = o.scenarioNow();
      await this.fireDue(now, o.scenarioNow);
      if (now >= o.durationMs) return undefined;
      if (performance.now() - wallStart > wallLimit) {
        return `scenario time reached only ${Math.round(now)} of ${o.durationMs} ms within ${Math.round(wallLimit)} ms of wall time`;
      }
      if (performance.now() - lastTick >= TICK_MS) {
        lastTick = performance.now();
        o.onTick(now);
      }
      const next = this.nextAt;
      await new Promise((r) => setTimeout(r, next === undefined ? CHECK_MS : Math.min(CHECK_MS, Math.max(1, (next - now) / o.speed))));
      const stop = o.stopIf();
      if (stop !== undefined) return stop;
    }
  }

  /** Ends every fault still on (the run is over). */
  async endAll(): Promise<void> {
    for (const stop of [...this.active.values()]) await stop().catch(() => undefined);
  }
}
