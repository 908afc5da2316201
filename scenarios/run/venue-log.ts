/**
 * The venue's log file for a run (scenario or soak): every pino line goes to `<logsDir>/venue.log`, and the lines at
 * level ≥ 50 without a catalogue `code` (an unhandled error) are also kept, cut to `maxLine` characters, for the
 * `unhandled_errors` safety gate.
 */
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';

export interface VenueLog {
  readonly stream: Writable;
  readonly uncoded: string[];
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

export function venueLog(path: string, maxLine: number): VenueLog {
  const file = createWriteStream(path);
  const uncoded: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      file.write(chunk);
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const rec = JSON.parse(line) as { level?: number; code?: unknown };
          if ((rec.level ?? 0) >= 50 && typeof rec.code !== 'string') uncoded.push(line.slice(0, maxLine));
        } catch {
          /* not JSON: ignore */
        }
      }
      cb();
    },
  });
  return { stream, uncoded, close: () => new Promise<void>((r) => file.end(r)) };
}
