/**
 * What every benchmark shares: the machine it ran on, CPU steal over the run (these machines share cores with
 * neighbours), and servers in child processes, so that the load generator never shares an event loop with the server
 * it measures. A child script sends {type:'ready', port, ...} over IPC when listening and answers {cmd} messages.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The `cpu` line of /proc/stat: jiffies per state (user nice system idle iowait irq softirq steal ...). */
export function cpuLine(): number[] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  return line.trim().split(/\s+/).slice(1).map(Number);
}

/** Steal as a percentage of all CPU time between two cpuLine() readings. */
export function stealPct(a: number[], b: number[]): number {
  const d = b.map((v, i) => v - (a[i] ?? 0));
  const total = d.reduce((s, v) => s + v, 0);
  return total > 0 ? (100 * (d[7] ?? 0)) / total : 0;
}

export function machine() {
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, loadavg: os.loadavg() };
}

export interface Child<Ready> {
  readonly proc: ChildProcess;
  readonly ready: Ready;
  /** Sends `msg` and resolves with the first message of `type` that comes back. */
  request<T>(msg: object, type: string): Promise<T>;
}

export async function startChild<Ready extends { port: number }>(
  script: string,
  args: string[],
  opts: { execArgv?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<Child<Ready>> {
  const proc = fork(script, args, {
    execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])],
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (c) => reject(new Error(`${script} ${args.join(' ')} exited ${c}`)));
    proc.on('message', (m: Ready & { type: string }) => {
      if (m.type === 'ready') resolve(m);
    });
  });
  return {
    proc,
    ready,
    request<T>(msg: object, type: string): Promise<T> {
      return new Promise<T>((resolve) => {
        const on = (m: { type: string }): void => {
          if (m.type === type) {
            proc.off('message', on);
            resolve(m as T);
          }
        };
        proc.on('message', on);
        proc.send(msg);
      });
    },
  };
}

/** Asks a child to close, waits up to 5 s for it to exit, then kills it. */
export async function stopChild(c: Child<unknown & { port: number }>): Promise<void> {
  const exited = new Promise((r) => (c.proc.exitCode === null ? c.proc.once('exit', r) : r(null)));
  c.proc.removeAllListeners('exit');
  c.proc.send({ cmd: 'close' });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
  clearTimeout(timer);
  if (c.proc.exitCode === null) c.proc.kill();
}
