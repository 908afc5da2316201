/**
 * The bot's position in its symbol: from the private `position` stream, and from REST on reconciliation. Either
 * source may arrive late; the newest venue updatedTime wins (ties: the later message).
 */
import type { PositionUpdate } from '../venue/messages.ts';

export class PositionState {
  size = 0;
  private updatedTime = 0;

  apply(p: PositionUpdate): boolean {
    if (p.updatedTime !== 0 && p.updatedTime < this.updatedTime) return false;
    this.size = p.size;
    if (p.updatedTime !== 0) this.updatedTime = p.updatedTime;
    return true;
  }
}
