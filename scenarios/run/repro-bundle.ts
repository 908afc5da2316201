/**
 * The scenario's repro bundle (docs/journal.md, docs/scenarios.md "Reproducing a failure"): the venue's journal so
 * far and its manifest (sim-exchange/repro.ts), then the scenario as it ran (scenario.yaml) and what `mmbench repro`
 * checks a replay against (scenario.json: seed, the bot's fills, the fault timeline as it fired).
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { writeReproBundle, type ReproSource } from '../../sim-exchange/repro.ts';
import type { LoadedScenario } from '../schema.ts';
import type { FillRow } from '../types.ts';
import type { Fired } from './timeline.ts';

export interface ReproFacts {
  readonly seed: number;
  readonly botUid: number;
  readonly symbol: string;
  readonly window: { readonly start: number; readonly end: number };
  readonly fills: readonly FillRow[];
  readonly fired: readonly Fired[];
}

/** Writes `<dir>/repro/`; returns its path. */
export async function writeScenarioRepro(dir: string, loaded: LoadedScenario, source: ReproSource, f: ReproFacts): Promise<string> {
  const b = await writeReproBundle(dir, 'repro', source, new Date());
  writeFileSync(join(b.dir, 'scenario.yaml'), loaded.text || stringifyYaml(loaded.scenario));
  const meta = {
    kind: 'mm-bench-scenario-repro',
    version: 1,
    scenarioId: loaded.scenario.id,
    scenarioFile: relative(process.cwd(), loaded.file),
    seed: f.seed,
    botUid: f.botUid,
    symbol: f.symbol,
    window: f.window,
    botFills: f.fills.map((x) => ({ execId: x.execId, orderLinkId: x.orderLinkId, side: x.side, price: x.price, qty: x.qty, fee: x.fee, time: x.time })),
    faultTimeline: f.fired,
  };
  writeFileSync(join(b.dir, 'scenario.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return b.dir;
}
