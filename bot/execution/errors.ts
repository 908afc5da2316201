/**
 * The execution half's view of the bot's one catalogue (bot/telemetry/errors.ts): its codes are the EXEC_* entries
 * there (MMB-451..462).
 */
import { ERRORS } from '../telemetry/errors.ts';

export type ExecErrorName = Extract<keyof typeof ERRORS, `EXEC_${string}`>;

/** `{code}` for a pino call: `log.warn({ ...ec('EXEC_RETRY'), endpoint }, 'retrying')`. */
export const ec = (name: ExecErrorName): { code: string } => ({ code: ERRORS[name].code });
