import type { Side, Level } from '../engine/types.ts';
import type { Instrument } from '../instruments.ts';
import type { OrderRecord } from '../venue/orders.ts';
import type { Execution } from '../accounts/ledger.ts';
import type { Account, MarginSummary } from '../accounts/account.ts';
import { avgEntryTicks, unrealised, type Position } from '../accounts/position.ts';
import type { PublicTrade } from '../venue/market-stats.ts';
import { fromSteps, formatScaled } from './decimal.ts';

/**
 * Domain records → Bybit V5 JSON objects (field names, string numbers, key sets as in the reference §3 and §6).
 * Linear objects carry `tpslMode` (orders) and `createType` (executions): ccxt tells linear from spot by them.
 */

export const sideText = (s: Side): 'Buy' | 'Sell' => (s === 1 ? 'Buy' : 'Sell');

export const price = (inst: Instrument, ticks: number): string => fromSteps(ticks, inst.tick, inst.priceDecimals);
export const qty = (inst: Instrument, lots: number): string => fromSteps(lots, inst.lot, inst.qtyDecimals);
/** nano-USDT → USDT string with 8 decimals, trailing zeros trimmed to at least 2 (Bybit prints e.g. "0.0024"). */
export const usdt = (nano: number): string => trim(formatScaled(Math.round(nano), 8, 8));

/**
 * A running total in USDT (24 h turnover, a kline's turnover, open-interest value): exact while it fits in
 * nano-USDT integers (≤ ~90M USDT), then to the cent. A float sum that large has no exact nano digits to print, and
 * a busy market passes 90M USDT of turnover within hours.
 */
export const usdtTotal = (nano: number): string => {
  const n = Math.round(nano);
  return Number.isSafeInteger(n) ? usdt(n) : (nano / 1e8).toFixed(2);
};
/** A fractional tick price (a mid, an average) with the instrument's decimals plus 2, trimmed. */
export const fracPrice = (inst: Instrument, ticks: number): string => {
  const decimals = inst.priceDecimals + 2;
  const scaled = Math.round(ticks * inst.tick.units * 10 ** (decimals - inst.tick.scale));
  return trimTo(formatScaled(scaled, decimals, decimals), inst.priceDecimals);
};

function trim(s: string): string {
  return trimTo(s, 2);
}
function trimTo(s: string, minDecimals: number): string {
  const dot = s.indexOf('.');
  if (dot < 0) return s;
  let end = s.length;
  while (end > dot + 1 + minDecimals && s[end - 1] === '0') end--;
  return s.slice(0, end);
}

export function orderJson(inst: Instrument, o: OrderRecord) {
  const leaves = o.status === 'New' || o.status === 'PartiallyFilled' ? o.qty - o.filled : 0;
  return {
    orderId: o.orderId,
    orderLinkId: o.orderLinkId,
    blockTradeId: '',
    symbol: o.symbol,
    price: price(inst, o.price),
    qty: qty(inst, o.qty),
    side: sideText(o.side),
    isLeverage: '',
    positionIdx: 0,
    orderStatus: o.status,
    createType: 'CreateByUser',
    cancelType: o.cancelType,
    rejectReason: o.rejectReason,
    avgPrice: o.filled > 0 ? fracPrice(inst, o.cumValue / (o.filled * inst.cashPerTickLot)) : '',
    leavesQty: qty(inst, leaves),
    leavesValue: usdt(o.price * leaves * inst.cashPerTickLot),
    cumExecQty: qty(inst, o.filled),
    cumExecValue: usdt(o.cumValue),
    cumExecFee: usdt(o.cumFee),
    timeInForce: o.timeInForce,
    orderType: o.orderType,
    stopOrderType: '',
    orderIv: '',
    marketUnit: '',
    triggerPrice: '',
    takeProfit: '',
    stopLoss: '',
    tpslMode: '',
    ocoTriggerBy: '',
    tpLimitPrice: '',
    slLimitPrice: '',
    tpTriggerBy: '',
    slTriggerBy: '',
    triggerDirection: 0,
    triggerBy: '',
    lastPriceOnCreated: o.lastPriceOnCreated > 0 ? price(inst, o.lastPriceOnCreated) : '',
    reduceOnly: o.reduceOnly,
    closeOnTrigger: false,
    placeType: '',
    smpType: 'None',
    smpGroup: 0,
    smpOrderId: '',
    createdTime: String(o.createdTime),
    updatedTime: String(o.updatedTime),
    cumFeeDetail: o.cumFee !== 0 ? { USDT: usdt(o.cumFee) } : {},
  };
}

/**
 * orderStreamJson as JSON text, built directly: the private stream serialises one of these per order change, and
 * building the 50-field object only to stringify it was the largest cost of a push. Identical output to
 * JSON.stringify(orderStreamJson(inst, o)) (a property test holds them together).
 */
export function orderStreamText(inst: Instrument, o: OrderRecord): string {
  const q = JSON.stringify;
  const leaves = o.status === 'New' || o.status === 'PartiallyFilled' ? o.qty - o.filled : 0;
  const avgPrice = o.filled > 0 ? fracPrice(inst, o.cumValue / (o.filled * inst.cashPerTickLot)) : '';
  const lastPrice = o.lastPriceOnCreated > 0 ? price(inst, o.lastPriceOnCreated) : '';
  const fee = usdt(o.cumFee);
  return (
    `{"category":"linear","orderId":${q(o.orderId)},"orderLinkId":${q(o.orderLinkId)},"blockTradeId":"",` +
    `"symbol":${q(o.symbol)},"price":"${price(inst, o.price)}","qty":"${qty(inst, o.qty)}","side":"${sideText(o.side)}",` +
    `"isLeverage":"","positionIdx":0,"orderStatus":${q(o.status)},"createType":"CreateByUser",` +
    `"cancelType":${q(o.cancelType)},"rejectReason":${q(o.rejectReason)},"avgPrice":"${avgPrice}",` +
    `"leavesQty":"${qty(inst, leaves)}","leavesValue":"${usdt(o.price * leaves * inst.cashPerTickLot)}",` +
    `"cumExecQty":"${qty(inst, o.filled)}","cumExecValue":"${usdt(o.cumValue)}","cumExecFee":"${fee}",` +
    `"timeInForce":${q(o.timeInForce)},"orderType":${q(o.orderType)},"stopOrderType":"","orderIv":"","marketUnit":"",` +
    `"triggerPrice":"","takeProfit":"","stopLoss":"","tpslMode":"","ocoTriggerBy":"","tpLimitPrice":"",` +
    `"slLimitPrice":"","tpTriggerBy":"","slTriggerBy":"","triggerDirection":0,"triggerBy":"",` +
    `"lastPriceOnCreated":"${lastPrice}","reduceOnly":${o.reduceOnly},"closeOnTrigger":false,"placeType":"",` +
    `"smpType":"None","smpGroup":0,"smpOrderId":"","createdTime":"${o.createdTime}","updatedTime":"${o.updatedTime}",` +
    `"cumFeeDetail":${o.cumFee !== 0 ? `{"USDT":"${fee}"}` : '{}'},"closedPnl":"${usdt(o.closedPnl)}",` +
    `"feeCurrency":"","slippageToleranceType":"UNKNOWN","slippageTolerance":"0"}`
  );
}

/** The private `order` topic item: the REST fields plus category and a few stream-only fields. */
export function orderStreamJson(inst: Instrument, o: OrderRecord) {
  return {
    category: 'linear',
    ...orderJson(inst, o),
    closedPnl: usdt(o.closedPnl),
    feeCurrency: '',
    slippageToleranceType: 'UNKNOWN',
    slippageTolerance: '0',
  };
}

export function executionJson(inst: Instrument, e: Execution, markTicks: number | undefined) {
  return {
    symbol: e.symbol,
    orderId: e.orderId,
    orderLinkId: e.orderLinkId,
    side: sideText(e.side),
    orderPrice: price(inst, e.orderPrice),
    orderQty: qty(inst, e.orderQty),
    leavesQty: qty(inst, e.leavesQty),
    createType: 'CreateByUser',
    orderType: e.orderType,
    stopOrderType: '',
    execFee: usdt(e.fee),
    execFeeV2: '',
    execId: e.execId,
    execPrice: price(inst, e.price),
    execQty: qty(inst, e.qty),
    execType: 'Trade',
    execValue: usdt(e.notional),
    execTime: String(e.time),
    feeCurrency: 'USDT',
    isMaker: e.isMaker,
    feeRate: String(e.feeRate),
    tradeIv: '',
    markIv: '',
    markPrice: markTicks === undefined ? '' : fracPrice(inst, markTicks),
    indexPrice: '',
    underlyingPrice: '',
    blockTradeId: '',
    closedSize: qty(inst, e.closedSize),
    seq: e.seq,
    extraFees: '',
  };
}

export function executionStreamJson(inst: Instrument, e: Execution, markTicks: number | undefined) {
  return {
    category: 'linear',
    ...executionJson(inst, e, markTicks),
    isLeverage: '',
    execPnl: usdt(e.pnl),
    marketUnit: '',
  };
}

export function positionJson(inst: Instrument, acct: Account, p: Position, markTicks: number | undefined) {
  const upl = markTicks === undefined ? 0 : unrealised(p, markTicks, inst.cashPerTickLot);
  const value = Math.abs(p.cost);
  return {
    positionIdx: 0,
    riskId: 1,
    riskLimitValue: '2000000',
    symbol: inst.symbol,
    side: p.size > 0 ? 'Buy' : p.size < 0 ? 'Sell' : '',
    size: qty(inst, Math.abs(p.size)),
    avgPrice: p.size === 0 ? '0' : fracPrice(inst, avgEntryTicks(p, inst.cashPerTickLot)),
    positionValue: usdt(value),
    tradeMode: 0,
    positionStatus: 'Normal',
    autoAddMargin: 0,
    adlRankIndicator: p.size === 0 ? 0 : 2,
    leverage: String(p.leverage),
    positionBalance: usdt(value / p.leverage),
    markPrice: markTicks === undefined ? '' : fracPrice(inst, markTicks),
    liqPrice: '',
    bustPrice: '',
    positionMM: usdt(value * 0.005),
    positionMMByMp: usdt(value * 0.005),
    positionIM: usdt(acct.positionIM(inst.symbol)),
    positionIMByMp: usdt(acct.positionIM(inst.symbol)),
    tpslMode: 'Full',
    takeProfit: '0.00',
    stopLoss: '0.00',
    trailingStop: '0.00',
    unrealisedPnl: usdt(upl),
    curRealisedPnl: usdt(p.curRealised),
    cumRealisedPnl: usdt(p.realisedGross - p.fees),
    sessionAvgPrice: '',
    isReduceOnly: false,
    mmrSysUpdatedTime: '',
    leverageSysUpdatedTime: '',
    breakEvenPrice: p.size === 0 ? '' : fracPrice(inst, avgEntryTicks(p, inst.cashPerTickLot)),
    createdTime: String(p.createdTime),
    updatedTime: String(p.updatedTime),
    openTime: p.size === 0 ? '0' : String(p.openTime),
    seq: p.seq,
  };
}

/** The position topic uses entryPrice where REST says avgPrice. */
export function positionStreamJson(inst: Instrument, acct: Account, p: Position, markTicks: number | undefined) {
  const { avgPrice, ...rest } = positionJson(inst, acct, p, markTicks);
  return { category: 'linear', ...rest, entryPrice: avgPrice };
}

/** wallet-balance list item for a UNIFIED account holding only USDT. */
export function walletJson(acct: Account, m: MarginSummary) {
  const usd = (n: number) => usdt(n);
  const imRate = m.equity > 0 ? ((m.positionIM + m.orderIM) / m.equity).toFixed(4) : '0';
  return {
    accountType: 'UNIFIED',
    accountIMRate: imRate,
    accountIMRateByMp: imRate,
    accountMMRate: m.equity > 0 ? ((m.positionIM * 0.05) / m.equity).toFixed(4) : '0',
    accountMMRateByMp: m.equity > 0 ? ((m.positionIM * 0.05) / m.equity).toFixed(4) : '0',
    accountLTV: '0',
    totalEquity: usd(m.equity),
    totalWalletBalance: usd(m.wallet),
    totalMarginBalance: usd(m.equity),
    totalAvailableBalance: usd(Math.max(0, m.available)),
    totalPerpUPL: usd(m.upl),
    totalInitialMargin: usd(m.positionIM + m.orderIM),
    totalInitialMarginByMp: usd(m.positionIM + m.orderIM),
    totalMaintenanceMargin: usd(m.positionIM * 0.05),
    totalMaintenanceMarginByMp: usd(m.positionIM * 0.05),
    coin: [
      {
        coin: 'USDT',
        equity: usd(m.equity),
        usdValue: usd(m.equity),
        walletBalance: usd(m.wallet),
        locked: '0',
        spotHedgingQty: '0',
        borrowAmount: '0',
        accruedInterest: '0',
        totalOrderIM: usd(m.orderIM),
        totalPositionIM: usd(m.positionIM),
        totalPositionMM: usd(m.positionIM * 0.05),
        unrealisedPnl: usd(m.upl),
        cumRealisedPnl: usd(acct.cumRealised()),
        bonus: '0',
        marginCollateral: true,
        collateralSwitch: true,
        spotBorrow: '0',
        free: '',
        availableToWithdraw: '',
        availableToBorrow: '',
      },
    ],
  };
}

export function publicTradeRestJson(inst: Instrument, t: PublicTrade) {
  return {
    execId: t.execId,
    symbol: inst.symbol,
    price: price(inst, t.price),
    size: qty(inst, t.qty),
    side: sideText(t.side),
    time: String(t.time),
    isBlockTrade: false,
    isRPITrade: false,
    seq: String(t.seq),
  };
}

export function publicTradeStreamJson(inst: Instrument, t: PublicTrade) {
  return {
    T: t.time,
    s: inst.symbol,
    S: sideText(t.side),
    v: qty(inst, t.qty),
    p: price(inst, t.price),
    L: t.tickDirection,
    i: t.execId,
    BT: false,
    RPI: false,
    seq: t.seq,
  };
}

export function levelsJson(inst: Instrument, levels: readonly Level[]): [string, string][] {
  return levels.map(([p, q]) => [price(inst, p), qty(inst, q)]);
}
