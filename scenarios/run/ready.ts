/**
 * Waiting for the bot under test to be ready, as its spec says (docs/any-bot.md): by default until the venue sees its
 * orders resting on both sides of the book (an event: the venue tells us on every update of its account); or a line
 * of its stdout/stderr matching a pattern; or a URL answering 200. Rejects, naming the cause and the bot's last
 * stderr lines, when the bot exits first or the time runs out.
 */
import type { Venue } from '../../sim-exchange/venue/venue.ts';
import { renderTemplate } from '../bot-spec.ts';
import { BotVerdict, exitVerdict, lastLines, type BotProcess } from './bot-process.ts';

export interface ReadyContext {
  readonly venue: Venue;
  readonly uid: number;
  readonly symbol: string;
  readonly values: Readonly<Record<string, string>>;
}

/** The bot's resting orders on `symbol`: how many bids and asks. */
export function restingSides(venue: Venue, uid: number, symbol: string): { bids: number; asks: number } {
  let bids = 0;
  let asks = 0;
  for (const o of venue.orders.openOf(uid)) {
    if (o.symbol !== symbol) continue;
    if (o.side === 1) bids++;
    else asks++;
  }
  return { bids, asks };
}

/** Resolves once the bot has orders resting on both sides of `symbol`; `cancel` stops listening. */
function quotesBothSides(ctx: ReadyContext): { done: Promise<void>; cancel: () => void } {
  let off = () => {};
  const done = new Promise<void>((resolve) => {
    const check = () => {
      const s = restingSides(ctx.venue, ctx.uid, ctx.symbol);
      if (s.bids > 0 && s.asks > 0) {
        off();
        resolve();
        return true;
      }
      return false;
    };
    if (check()) return;
    off = ctx.venue.listen({ onAccountUpdate: (uid) => void (uid === ctx.uid && check()) });
  });
  return { done, cancel: () => off() };
}

/** Polls `url` until it answers 200 (a readiness endpoint offers nothing to wait on but polling). */
function httpOk(url: string): { done: Promise<void>; cancel: () => void; last: () => string } {
  let stopped = false;
  let last = 'no answer yet';
  const done = (async () => {
    while (!stopped) {
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
        last = `HTTP ${r.status}`;
        await r.body?.cancel();
        if (r.ok) return;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return { done, cancel: () => void (stopped = true), last: () => last };
}

/** Waits until the bot is ready; throws an Error whose message is the verdict. */
export async function waitReady(bot: BotProcess, ctx: ReadyContext): Promise<void> {
  const ready = bot.spec.ready;
  const timeoutMs = bot.spec.readyTimeoutMs;
  let what: string;
  let state: () => string;
  let wait: { done: Promise<unknown>; cancel: () => void };
  if (ready === 'quotes') {
    what = 'its orders resting on both sides at the venue';
    wait = quotesBothSides(ctx);
    state = () => {
      const s = restingSides(ctx.venue, ctx.uid, ctx.symbol);
      return `it had ${s.bids} bid(s) and ${s.asks} ask(s) resting on ${ctx.symbol}`;
    };
  } else if ('log' in ready) {
    what = `a line matching /${ready.log}/ on its stdout or stderr`;
    wait = { done: bot.waitLine(new RegExp(ready.log)), cancel: () => {} };
    state = () => 'no such line';
  } else {
    const url = renderTemplate(ready.http, ctx.values);
    what = `${url} answering 200`;
    const h = httpOk(url);
    wait = h;
    state = () => `last answer: ${h.last()}`;
  }
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    wait.done.then(() => 'ready' as const),
    bot.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);
  wait.cancel();
  if (outcome === 'ready') return;
  if (outcome === 'exited') throw new BotVerdict(exitVerdict(bot, 'before it was ready'));
  throw new BotVerdict(`the bot did not become ready within ${timeoutMs} ms (waiting for ${what}; ${state()})${lastLines(bot)}`);
}
