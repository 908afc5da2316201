/** Waiting on the in-process bot: conditions checked after each of its requotes (an event, never a sleep). */
import pino, { type Logger } from 'pino';
import type { BotHandle } from '../../../bot/app.ts';
import type { SimHandle } from '../../../sim-exchange/server.ts';

/** The bot config's `venue` section pointing at a running simulated venue, with one account's keys. */
export function venueSection(sim: SimHandle, key: { readonly apiKey: string; readonly secret: string }) {
  const u = sim.urls;
  return { restUrl: u.rest, wsPublicUrl: u.wsPublic, wsPrivateUrl: u.wsPrivate, wsTradeUrl: u.wsTrade, apiKey: key.apiKey, apiSecret: key.secret };
}

export interface LogLine {
  level: number;
  code?: string;
  msg: string;
}

/** A pino logger that keeps every line as parsed JSON, for assertions on codes and levels. */
export function capturingLogger(): { logger: Logger; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  return { logger, logs };
}

/** Resolves when `cond()` holds, checked now and after every requote of `bot`; rejects after `ms`. */
export function untilRequote(bot: BotHandle, cond: () => boolean, what: string, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (cond()) return resolve();
    const timer = setTimeout(() => {
      bot.events.off('requote', on);
      reject(new Error(`timed out after ${ms} ms waiting for ${what}; status ${JSON.stringify(bot.status())}`));
    }, ms);
    const on = () => {
      if (!cond()) return;
      clearTimeout(timer);
      bot.events.off('requote', on);
      resolve();
    };
    bot.events.on('requote', on);
  });
}
