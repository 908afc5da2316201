import { describe, expect, it } from 'vitest';
import { InventoryAge } from '../../bot/state/inventory-age.ts';

describe('InventoryAge (the inventory unwind trigger)', () => {
  it('restarts when the position leaves zero, shrinks or flips; growing on one side keeps aging; flat is 0', () => {
    const a = new InventoryAge();
    expect(a.observe(0, 1000)).toBe(0);
    expect(a.observe(10, 2000)).toBe(0); // left zero
    expect(a.observe(10, 2500)).toBe(500);
    expect(a.observe(20, 3000)).toBe(1000); // grew: still the same aging position
    expect(a.observe(15, 3100)).toBe(0); // shrank: restart
    expect(a.observe(15, 4100)).toBe(1000);
    expect(a.observe(-5, 4200)).toBe(0); // flipped
    expect(a.observe(-5, 5200)).toBe(1000);
    expect(a.observe(0, 5300)).toBe(0);
    expect(a.observe(0, 9000)).toBe(0);
  });
});
