/** pino JSON logs on stderr (stdout stays free for machine-readable output), with the bot's identity on every line. */
import pino, { type Logger } from 'pino';

export type BotLogger = Logger;

export function createLogger(level: string, symbol: string, destination: pino.DestinationStream = pino.destination(2)): BotLogger {
  return pino({ level, base: { svc: 'mmbot', symbol } }, destination);
}
