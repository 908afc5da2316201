/**
 * Gates: the scenario file's metric gates, the always-on safety gates, the recovery gates of chaos scenarios, and the
 * baseline regression comparison. Every function returns GateOutcome (a GateResult with the value and threshold the
 * report tables show); an absent metric always fails, with the reason it is absent.
 */
import { isPresent, metricOf } from './metrics.ts';
import type { Gate, GateResult, MetricName, MetricValue, Metrics, RunRecord, ScenarioReport } from './types.ts';

/** A GateResult with what the verdict tables show. Extra fields are optional for readers of older report.json. */
export interface GateOutcome extends GateResult {
  /** The measured value; null when absent. */
  readonly value: number | null;
  /** The condition, e.g. "< 150", "= 0", "≤ 0.5". */
  readonly threshold: string;
  /** 'metric' | 'safety' | 'recovery' | 'regression'. */
  readonly kind: 'metric' | 'safety' | 'recovery' | 'regression';
}

/** Formats a number for gate details and tables: up to 6 significant digits, no exponent for ordinary values. */
export function fmtNum(v: number, digits = 6): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e15) return String(Number(v.toPrecision(digits)));
  return v.toPrecision(digits);
}

const OPS: Record<Gate['op'], (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

export function gateName(g: Gate): string {
  return `${g.metric} ${g.op} ${fmtNum(g.threshold)}`;
}

/** One metric gate. */
export function evaluateGate(metrics: Metrics, g: Gate): GateOutcome {
  const name = gateName(g);
  const threshold = `${g.op} ${fmtNum(g.threshold)}`;
  const m: MetricValue | undefined = metricOf(metrics, g.metric);
  if (!isPresent(m)) {
    const reason = m === undefined ? 'not computed' : m.reason;
    return { name, pass: false, value: null, threshold, kind: 'metric', detail: `${g.metric} absent (${reason}): fails` };
  }
  const cmp = OPS[g.op];
  if (cmp === undefined || !Number.isFinite(g.threshold)) {
    return { name, pass: false, value: m.value, threshold, kind: 'metric', detail: `invalid gate: ${g.metric} ${String(g.op)} ${g.threshold}` };
  }
  const pass = cmp(m.value, g.threshold);
  const detail = pass
    ? `${g.metric} = ${fmtNum(m.value)} ${g.op} ${fmtNum(g.threshold)} (${m.samples} samples)`
    : `${g.metric} = ${fmtNum(m.value)}, not ${g.op} ${fmtNum(g.threshold)} (${m.samples} samples)`;
  return { name, pass, value: m.value, threshold, kind: 'metric', detail };
}

/** The always-on safety gates, in this order. */
export function safetyGates(safety: RunRecord['safety']): GateOutcome[] {
  const out: GateOutcome[] = [];
  const open = safety.openOrdersAfterStop;
  out.push({
    name: 'open_orders_after_stop = 0',
    kind: 'safety',
    value: open,
    threshold: '= 0',
    pass: open === 0,
    detail: open === 0 ? 'no open order after the bot stopped' : `${open} order(s) still open after the bot stopped`,
  });
  const dup = safety.duplicateOrderLinkIds;
  out.push({
    name: 'duplicate_order_link_ids = 0',
    kind: 'safety',
    value: dup,
    threshold: '= 0',
    pass: dup === 0,
    detail: dup === 0 ? 'every orderLinkId was used once' : `${dup} duplicate orderLinkId(s)`,
  });
  const pos = safety.maxAbsPosition;
  const lim = safety.positionLimit;
  // Quantities are decimals carried as floats: allow one part in 1e9 of rounding on the limit.
  const posOk = Number.isFinite(pos) && Number.isFinite(lim) && pos <= lim + 1e-9 * Math.max(1, Math.abs(lim));
  out.push({
    name: 'max_abs_position <= position_limit',
    kind: 'safety',
    value: pos,
    threshold: `≤ ${fmtNum(lim)}`,
    pass: posOk,
    detail: posOk ? `max |position| ${fmtNum(pos)} ≤ limit ${fmtNum(lim)}` : `max |position| ${fmtNum(pos)} exceeds the bot's limit ${fmtNum(lim)}`,
  });
  const { venue, bot } = safety.unhandledErrors;
  const errs = venue + bot;
  out.push({
    name: 'unhandled_errors = 0',
    kind: 'safety',
    value: errs,
    threshold: '= 0',
    pass: errs === 0,
    detail: errs === 0 ? 'no unhandled error in the venue or the bot' : `unhandled errors: venue ${venue}, bot ${bot}`,
  });
  if (safety.botExit) out.push(botExitGate(safety.botExit));
  return out;
}

/** The bot's end: alive until the runner stopped it, then exit code 0 within the stop grace. */
export function botExitGate(e: NonNullable<RunRecord['safety']['botExit']>): GateOutcome {
  const how = e.signal !== null ? `signal ${e.signal}` : `code ${e.code}`;
  const pass = !e.diedBeforeStop && e.killedAfterMs === null && e.code === 0;
  const detail = e.diedBeforeStop
    ? `the bot died before the stop (${how})`
    : e.killedAfterMs !== null
      ? `the bot was still running ${fmtNum(e.killedAfterMs)} ms after ${e.stopSignal} and was killed (SIGKILL)`
      : pass
        ? `the bot exited 0 after ${e.stopSignal}`
        : `the bot exited with ${how} after ${e.stopSignal}`;
  return { name: 'bot_exit = 0', kind: 'safety', value: e.code, threshold: '= 0', pass, detail };
}

/**
 * The scenario's inventory gate (`position: {max_abs}`), tighter than the safety gate's limit (the bot's own
 * quoting.maxPosition, which the bot never exceeds by construction): max |position| over the run — the running sum of
 * the ledger's fills, as for the safety gate — must stay ≤ maxAbs. It is what fails when the inventory skew is off.
 */
export function positionGate(safety: RunRecord['safety'], maxAbs: number): GateOutcome {
  const pos = safety.maxAbsPosition;
  const pass = Number.isFinite(pos) && pos <= maxAbs + 1e-9 * Math.max(1, Math.abs(maxAbs));
  return {
    name: `max_abs_position <= ${fmtNum(maxAbs)}`,
    kind: 'metric',
    value: Number.isFinite(pos) ? pos : null,
    threshold: `≤ ${fmtNum(maxAbs)}`,
    pass,
    detail: pass ? `max |position| ${fmtNum(pos)} ≤ ${fmtNum(maxAbs)}` : `max |position| ${fmtNum(pos)}, not ≤ ${fmtNum(maxAbs)} (the scenario's inventory gate)`,
  };
}

/** The file's gates (in file order), then the always-on safety gates. */
export function evaluateGates(metrics: Metrics, gates: readonly Gate[], safety: RunRecord['safety']): GateOutcome[] {
  return [...gates.map((g) => evaluateGate(metrics, g)), ...safetyGates(safety)];
}

/**
 * Recovery gates for chaos scenarios: after each fault window ends, quoting (both sides live) must resume within
 * `maxResumeMs`. The quote state at the fault's end is the last `run.quotes` entry at or before it; if both sides are
 * live then, recovery took 0 ms. A fault still active at the window end cannot be judged and fails (say so in the
 * scenario: end faults before the run ends). `faults` defaults to all of run.faults.
 */
export function recoveryGates(run: RunRecord, maxResumeMs: number, faults = run.faults): GateOutcome[] {
  const quotes = [...run.quotes].sort((a, b) => a.time - b.time);
  const live = (q: { bid: number | null; ask: number | null }) => q.bid !== null && q.ask !== null;
  return faults.map((f) => {
    const name = `recovery after ${f.kind} ${f.name} ≤ ${fmtNum(maxResumeMs)} ms`;
    const threshold = `≤ ${fmtNum(maxResumeMs)} ms`;
    if (f.end > run.end) {
      return { name, kind: 'recovery', pass: false, value: null, threshold, detail: `fault ${f.name} still active at the window end: recovery not observed` };
    }
    let before: (typeof quotes)[number] | undefined;
    let resumedAt: number | null = null;
    for (const q of quotes) {
      if (q.time <= f.end) before = q;
      else if (live(q)) {
        resumedAt = q.time;
        break;
      }
    }
    if (before !== undefined && live(before)) resumedAt = f.end;
    if (resumedAt === null) {
      return { name, kind: 'recovery', pass: false, value: null, threshold, detail: `no two-sided quote after ${f.name} ended (${fmtNum((run.end - f.end) / 1000)} s observed)` };
    }
    const took = resumedAt - f.end;
    const pass = took <= maxResumeMs;
    return {
      name,
      kind: 'recovery',
      pass,
      value: took,
      threshold,
      detail: pass ? `quoting resumed ${fmtNum(took)} ms after ${f.name} ended` : `quoting resumed only ${fmtNum(took)} ms after ${f.name} ended (> ${fmtNum(maxResumeMs)} ms)`,
    };
  });
}

export interface RegressionMargins {
  /** A P95 may grow by at most this many percent of the baseline's. */
  readonly p95GrowthPct: number;
  /** net_bps may fall by at most this many bps below the baseline's. */
  readonly netBpsDrop: number;
}

/** The metrics the regression gate compares: every P95 and net_bps. */
export const REGRESSION_P95: readonly MetricName[] = ['quote_reaction_p95_ms', 'order_age_p95_ms', 'quote_cycle_p95_ms'];

/**
 * Regression gate against a baseline report of the same scenario: each P95 may not grow by more than p95GrowthPct %
 * of the baseline, and net_bps may not fall by more than netBpsDrop bps. Absent on either side fails; so does a
 * baseline of another scenario. The bot's own quote_cycle_p95_ms is compared only when the baseline has it: a bot
 * that exports no latency has nothing to regress on there (its venue-side reaction is compared all the same).
 */
export function compareToBaseline(current: ScenarioReport, baseline: ScenarioReport, margins: RegressionMargins): GateOutcome[] {
  const out: GateOutcome[] = [];
  if (current.scenarioId !== baseline.scenarioId) {
    out.push({
      name: 'baseline is the same scenario',
      kind: 'regression',
      pass: false,
      value: null,
      threshold: `= ${baseline.scenarioId}`,
      detail: `baseline is ${baseline.scenarioId}, current is ${current.scenarioId}: not comparable`,
    });
  }
  const side = (r: ScenarioReport, m: MetricName) => r.metrics?.[m];
  const why = (v: MetricValue | undefined) => (v === undefined ? 'missing' : 'absent' in v ? v.reason : '');
  for (const m of REGRESSION_P95) {
    if (m === 'quote_cycle_p95_ms' && !isPresent(side(baseline, m))) continue;
    const cur = side(current, m);
    const base = side(baseline, m);
    const name = `regression: ${m} growth ≤ ${fmtNum(margins.p95GrowthPct)}%`;
    if (!isPresent(cur) || !isPresent(base)) {
      const which = !isPresent(cur) ? `current ${m} absent (${why(cur)})` : `baseline ${m} absent (${why(base)})`;
      out.push({ name, kind: 'regression', pass: false, value: isPresent(cur) ? cur.value : null, threshold: `≤ baseline + ${fmtNum(margins.p95GrowthPct)}%`, detail: `${which}: fails` });
      continue;
    }
    const limit = base.value * (1 + margins.p95GrowthPct / 100);
    const growth = base.value === 0 ? (cur.value === 0 ? 0 : Infinity) : (100 * (cur.value - base.value)) / base.value;
    const pass = cur.value <= limit;
    out.push({
      name,
      kind: 'regression',
      pass,
      value: cur.value,
      threshold: `≤ ${fmtNum(limit)} (baseline ${fmtNum(base.value)} + ${fmtNum(margins.p95GrowthPct)}%)`,
      detail: `${m} ${fmtNum(base.value)} → ${fmtNum(cur.value)} (${growth >= 0 ? '+' : ''}${fmtNum(growth, 3)}%)${pass ? '' : `: grew more than ${fmtNum(margins.p95GrowthPct)}%`}`,
    });
  }
  {
    const cur = side(current, 'net_bps');
    const base = side(baseline, 'net_bps');
    const name = `regression: net_bps drop ≤ ${fmtNum(margins.netBpsDrop)} bps`;
    if (!isPresent(cur) || !isPresent(base)) {
      const which = !isPresent(cur) ? `current net_bps absent (${why(cur)})` : `baseline net_bps absent (${why(base)})`;
      out.push({ name, kind: 'regression', pass: false, value: isPresent(cur) ? cur.value : null, threshold: `≥ baseline − ${fmtNum(margins.netBpsDrop)}`, detail: `${which}: fails` });
    } else {
      const floor = base.value - margins.netBpsDrop;
      const pass = cur.value >= floor;
      const d = cur.value - base.value;
      out.push({
        name,
        kind: 'regression',
        pass,
        value: cur.value,
        threshold: `≥ ${fmtNum(floor)} (baseline ${fmtNum(base.value)} − ${fmtNum(margins.netBpsDrop)})`,
        detail: `net_bps ${fmtNum(base.value)} → ${fmtNum(cur.value)} (${d >= 0 ? '+' : ''}${fmtNum(d, 4)} bps)${pass ? '' : `: fell more than ${fmtNum(margins.netBpsDrop)} bps`}`,
      });
    }
  }
  return out;
}

/** Failed gates first (stable within each group). */
export function failedFirst<T extends GateResult>(gates: readonly T[]): T[] {
  return [...gates.filter((g) => !g.pass), ...gates.filter((g) => g.pass)];
}
