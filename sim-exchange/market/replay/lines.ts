/**
 * Streaming input for the importers: one text line at a time from a plain or gzip file (gzip is recognised by its
 * magic bytes 1f 8b, not by the file name), so a capture of any size is read in constant memory.
 */
import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';

/** The input stream broke part-way (typically a truncated .gz from a capture that was killed). */
export class InputStreamError extends Error {}

export async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await fh.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Yields the lines of `path` (without line ends; CRLF tolerated). A missing file throws at once; a stream that
 * breaks later (corrupt or truncated gzip) throws InputStreamError after the lines read so far were yielded.
 */
export async function* readLines(path: string): AsyncGenerator<string> {
  const gz = await isGzip(path);
  const raw = createReadStream(path);
  const input = gz ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } catch (e) {
    throw new InputStreamError(e instanceof Error ? e.message : String(e));
  } finally {
    rl.close();
    raw.destroy();
  }
}

/**
 * A capture's receive stamp in µs since the epoch, from its digit count: 19 digits = ns, 16 = µs, 13 = ms.
 * The digits are cut as text, so a 19-digit ns stamp (beyond 2^53) never passes through a float.
 */
export function parseStampUs(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  switch (text.length) {
    case 19: return Number(text.slice(0, 16));
    case 16: return Number(text);
    case 13: return Number(text) * 1000;
    default: return null;
  }
}

/**
 * Splits `<stamp> <json>` into its parts. Only a leading run of digits followed by a space counts as a stamp;
 * anything else is all message (so garbage is reported as bad JSON, not as a bad stamp).
 */
export function splitStamped(line: string): { stamp: string | null; json: string } {
  const m = /^(\d+) /.exec(line);
  return m ? { stamp: m[1]!, json: line.slice(m[0].length) } : { stamp: null, json: line };
}
