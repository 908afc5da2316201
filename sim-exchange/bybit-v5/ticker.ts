import type { Venue } from '../venue/venue.ts';
import { price, qty, usdtTotal, fracPrice } from './serialize.ts';

const EIGHT_HOURS = 8 * 3600_000;

/**
 * A linear ticker (REST /v5/market/tickers item and the WS tickers.{symbol} snapshot). The bench has no index or
 * funding: indexPrice and markPrice are the venue mark (mid, else last trade), funding is 0 at 8-hour boundaries.
 * `openInterestValue` is always non-empty: ccxt treats a ticker without it as spot.
 */
export function tickerJson(venue: Venue, symbol: string, now: number): Record<string, string> {
  const inst = venue.instrument(symbol);
  const book = venue.book(symbol);
  const tape = venue.tape(symbol);
  const w = tape.window(now);
  const last = tape.last;
  const mark = venue.mark(symbol);
  const bid = book.bestBid();
  const ask = book.bestAsk();
  let openInterest = 0;
  for (const a of venue.accounts.values()) {
    const size = a.positions.get(symbol)?.size ?? 0;
    if (size > 0) openInterest += size;
  }
  const px = (t: number | undefined) => (t === undefined ? '' : price(inst, t));
  const lastTicks = last?.price;
  const pct = (from: number | undefined) =>
    from === undefined || lastTicks === undefined || from === 0 ? '0' : ((lastTicks - from) / from).toFixed(6);
  return {
    symbol,
    tickDirection: last?.tickDirection ?? 'ZeroPlusTick',
    lastPrice: px(lastTicks),
    indexPrice: mark === undefined ? '' : fracPrice(inst, mark),
    markPrice: mark === undefined ? '' : fracPrice(inst, mark),
    prevPrice24h: px(w.prev24h ?? lastTicks),
    price24hPcnt: pct(w.prev24h),
    highPrice24h: px(w.high ?? lastTicks),
    lowPrice24h: px(w.low ?? lastTicks),
    prevPrice1h: px(w.prev1h ?? lastTicks),
    openInterest: qty(inst, openInterest),
    openInterestValue: usdtTotal(mark === undefined ? 0 : openInterest * mark * inst.cashPerTickLot),
    turnover24h: usdtTotal(w.turnover),
    volume24h: qty(inst, w.volume),
    fundingRate: '0',
    nextFundingTime: String(Math.ceil((now + 1) / EIGHT_HOURS) * EIGHT_HOURS),
    predictedDeliveryPrice: '',
    basisRate: '',
    deliveryFeeRate: '',
    deliveryTime: '0',
    ask1Size: ask === undefined ? '' : qty(inst, book.levelQty(-1, ask)),
    bid1Price: px(bid),
    ask1Price: px(ask),
    bid1Size: bid === undefined ? '' : qty(inst, book.levelQty(1, bid)),
    basis: '',
    preOpenPrice: '',
    preQty: '',
    curPreListingPhase: '',
    fundingIntervalHour: '8',
    fundingCap: '0.005',
    basisRateYear: '',
  };
}
