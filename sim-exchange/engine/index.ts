export * from './types.ts';
export { OrderBook, type OrderBookOptions } from './order-book.ts';
