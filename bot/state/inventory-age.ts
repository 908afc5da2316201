/**
 * How long the position has gone without moving toward zero: the inventory unwind's trigger (pipeline
 * stages/unwind.ts). The clock restarts when the position leaves zero, shrinks, or flips side; growing on the same
 * side does not restart it (a position that keeps building is the one to trim).
 */
export class InventoryAge {
  private lots = 0;
  private since = 0;

  /** Records the position (lots) seen at `now` (ms) and returns its age in ms (0 when flat). */
  observe(positionLots: number, now: number): number {
    const prev = this.lots;
    if (positionLots === 0 || prev === 0 || Math.sign(positionLots) !== Math.sign(prev) || Math.abs(positionLots) < Math.abs(prev)) {
      this.since = now;
    }
    this.lots = positionLots;
    return positionLots === 0 ? 0 : now - this.since;
  }
}
