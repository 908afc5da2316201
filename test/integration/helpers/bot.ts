/** Waiting on the in-process bot: conditions checked after each of its requotes (an event, never a sleep). */
import type { BotHandle } from '../../../bot/app.ts';

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
