/**
 * Guards: pure evaluation of the bot's risk conditions, and the small state machine around them.
 *
 * - SOFT: the pipeline widens the spread and shrinks sizes while the condition holds.
 * - HARD: cancel all and halt; quoting resumes `cooldownMs` after the last HARD condition cleared.
 * - Kill switch (max loss, max position): cancel all and stay halted until an operator resets it — a loss that
 *   large means the model is wrong, and the bot must not decide on its own that it is right again.
 * Stale market data is always HARD: a quote priced off a book we do not trust is a gift to whoever has the real one.
 *
 * Each (severity, reason) is counted once when it starts to hold (a rising edge), not once per requote.
 */

export type GuardReason = 'volatility' | 'ack_latency' | 'drawdown' | 'inventory' | 'taker_fills' | 'reject_rate' | 'stale_data';
export type KillReason = 'max_loss' | 'max_position';
export type Severity = 'soft' | 'hard' | 'kill';

export interface Thresholds {
  readonly volBps: number;
  readonly ackP95Ms: number;
  readonly drawdown: number;
  readonly inventoryRatio: number;
  readonly takerFills: number;
  readonly rejectRate: number;
}

export interface GuardLimits {
  readonly soft: Thresholds;
  readonly hard: Thresholds;
  readonly cooldownMs: number;
  readonly minActionsForRejectRate: number;
  readonly killSwitch: { readonly maxLoss: number; readonly maxPosition: number };
}

export interface GuardInputs {
  /** Volatility estimate, bps per √s (0 when unknown). */
  readonly volBps: number;
  /** P95 order-ack latency over the window; undefined without samples. */
  readonly ackP95Ms: number | undefined;
  /** Drop of PnL from its peak (quote currency, ≥ 0). */
  readonly drawdown: number;
  /** |position| / quoting.maxPosition. */
  readonly inventoryRatio: number;
  /** Taker fills in the window. */
  readonly takerFills: number;
  /** Rejected and total actions in the window. */
  readonly rejects: number;
  readonly actions: number;
  readonly stale: boolean;
  /** Loss since start (−PnL, quote currency). */
  readonly loss: number;
  /** |position| in base units. */
  readonly absPosition: number;
}

export interface GuardState {
  readonly softActive: readonly GuardReason[];
  readonly hardActive: readonly GuardReason[];
  /** Halted (HARD) until this time (ms, the caller's clock). */
  readonly haltUntil: number;
  readonly killed: { readonly reason: KillReason; readonly at: number } | undefined;
}

export type GuardMode = 'normal' | 'soft' | 'hard' | 'killed';

export interface GuardDecision {
  readonly mode: GuardMode;
  readonly soft: readonly GuardReason[];
  readonly hard: readonly GuardReason[];
  readonly kill: KillReason | undefined;
  readonly haltUntil: number;
}

export interface Trip {
  readonly severity: Severity;
  readonly reason: GuardReason | KillReason;
}

export const INITIAL_GUARD_STATE: GuardState = { softActive: [], hardActive: [], haltUntil: 0, killed: undefined };

/** Which thresholds the inputs cross, per severity. */
export function checkGuards(i: GuardInputs, l: GuardLimits): { soft: GuardReason[]; hard: GuardReason[]; kill: KillReason | undefined } {
  const over = (t: Thresholds): GuardReason[] => {
    const r: GuardReason[] = [];
    if (i.volBps > t.volBps) r.push('volatility');
    if (i.ackP95Ms !== undefined && i.ackP95Ms > t.ackP95Ms) r.push('ack_latency');
    if (i.drawdown > t.drawdown) r.push('drawdown');
    if (i.inventoryRatio > t.inventoryRatio) r.push('inventory');
    if (i.takerFills >= t.takerFills) r.push('taker_fills');
    if (i.actions >= l.minActionsForRejectRate && i.rejects / i.actions > t.rejectRate) r.push('reject_rate');
    return r;
  };
  const hard = over(l.hard);
  if (i.stale) hard.push('stale_data');
  // A condition that is HARD is not also reported SOFT.
  const soft = over(l.soft).filter((r) => !hard.includes(r));
  const kill: KillReason | undefined =
    i.loss > l.killSwitch.maxLoss ? 'max_loss' : i.absPosition > l.killSwitch.maxPosition ? 'max_position' : undefined;
  return { soft, hard, kill };
}

export function stepGuards(
  state: GuardState,
  inputs: GuardInputs,
  limits: GuardLimits,
  now: number,
): { state: GuardState; decision: GuardDecision; trips: Trip[] } {
  const c = checkGuards(inputs, limits);
  const trips: Trip[] = [];
  for (const r of c.soft) if (!state.softActive.includes(r)) trips.push({ severity: 'soft', reason: r });
  for (const r of c.hard) if (!state.hardActive.includes(r)) trips.push({ severity: 'hard', reason: r });
  let killed = state.killed;
  if (killed === undefined && c.kill !== undefined) {
    killed = { reason: c.kill, at: now };
    trips.push({ severity: 'kill', reason: c.kill });
  }
  const haltUntil = c.hard.length > 0 ? Math.max(state.haltUntil, now + limits.cooldownMs) : state.haltUntil;
  const next: GuardState = { softActive: c.soft, hardActive: c.hard, haltUntil, killed };
  const mode: GuardMode = killed ? 'killed' : c.hard.length > 0 || now < haltUntil ? 'hard' : c.soft.length > 0 ? 'soft' : 'normal';
  return { state: next, decision: { mode, soft: c.soft, hard: c.hard, kill: killed?.reason, haltUntil }, trips };
}

/** The operator's reset: the kill switch opens; HARD conditions still apply from the next evaluation. */
export function resetKillSwitch(state: GuardState): GuardState {
  return { ...state, killed: undefined };
}
