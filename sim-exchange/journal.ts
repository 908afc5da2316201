import { createWriteStream, type WriteStream } from 'node:fs';
import { createGzip, constants as zlibConstants, type Gzip } from 'node:zlib';
import { once } from 'node:events';
import type { RestJournalEvent } from './bybit-v5/rest/http.ts';
import type { WsJournalEvent } from './bybit-v5/ws/connection.ts';

/** What the venue's traffic hooks report: every inbound request and frame, every outbound frame. */
export type TrafficEvent = RestJournalEvent | WsJournalEvent;

/** Flush when this much text is waiting, or FLUSH_MS after the first line of a batch, whichever comes first. */
const FLUSH_BYTES = 256 * 1024;
const FLUSH_MS = 20;

/**
 * The journal: every inbound request and outbound event, one JSON object per line, in the order the venue saw them.
 * Lines are batched in memory and handed to the file in large writes (one every FLUSH_MS at most, or per
 * FLUSH_BYTES), because on these machines every write is a thread-pool round trip and costs more than the
 * serialisation of a hundred lines. A crash loses at most the last FLUSH_MS; close() writes everything.
 */
export class Journal {
  private readonly out: WriteStream;
  private readonly gzip: Gzip | undefined;
  private batch: string[] = [];
  private batchBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  records = 0;

  constructor(
    readonly path: string,
    opts: { gzip?: boolean } = {},
  ) {
    this.out = createWriteStream(path);
    if (opts.gzip) {
      this.gzip = createGzip();
      this.gzip.pipe(this.out);
    }
  }

  /** Journals any JSON-serialisable record (faults, regime changes, control-plane actions). */
  write(record: object): void {
    this.line(JSON.stringify(record));
  }

  /** Journals one traffic event (the venue's onTraffic hook). */
  traffic(e: TrafficEvent): void {
    this.line(trafficLine(e));
  }

  private line(text: string): void {
    if (this.closed) return;
    this.batch.push(text);
    this.batchBytes += text.length;
    this.records++;
    if (this.batchBytes >= FLUSH_BYTES) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.flush, FLUSH_MS);
      this.timer.unref();
    }
  }

  private readonly flush = (): void => {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return;
    const chunk = `${this.batch.join('\n')}\n`;
    this.batch = [];
    this.batchBytes = 0;
    (this.gzip ?? this.out).write(chunk);
  };

  get gzipped(): boolean {
    return this.gzip !== undefined;
  }

  /**
   * Writes every line so far through to the file, so it can be copied (a repro bundle). A gzip journal gets a full
   * flush: the copy is a valid deflate stream without the gzip trailer, read with finishFlush Z_SYNC_FLUSH.
   */
  async sync(): Promise<void> {
    if (this.closed) return;
    this.flush();
    const gzip = this.gzip;
    if (gzip) {
      await new Promise<void>((resolve) => gzip.flush(zlibConstants.Z_FULL_FLUSH, () => resolve()));
      await new Promise<void>((resolve) => setImmediate(resolve)); // let the pipe hand the flushed bytes to the file
    }
    await new Promise<void>((resolve, reject) => this.out.write('', (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.gzip) this.gzip.end();
    else this.out.end();
    await once(this.out, 'finish');
  }
}

/**
 * One journal line for a traffic event. What a client sent stays its exact text, as a JSON string (`body` for REST,
 * `data` for an inbound WS frame): it may be invalid JSON, and a signature covers its bytes. An outbound WS frame is
 * the venue's own JSON and is embedded as a value (`frame`) instead of being escaped into a string, which halves the
 * bytes and the cost of journalling pushes; the rare frame with a raw line break falls back to `data`.
 */
export function trafficLine(e: TrafficEvent): string {
  if (e.channel === 'rest') {
    let s = `{"at":${e.at},"channel":"rest","method":${JSON.stringify(e.method)},"path":${JSON.stringify(e.path)},"query":${JSON.stringify(e.query)}`;
    if (e.uid !== undefined) s += `,"uid":${e.uid}`;
    if (e.body !== undefined) s += `,"body":${JSON.stringify(e.body)}`;
    return `${s}}`;
  }
  let s = `{"at":${e.at},"channel":"${e.channel}","connId":${JSON.stringify(e.connId)}`;
  if (e.uid !== undefined) s += `,"uid":${e.uid}`;
  s += `,"dir":"${e.dir}"`;
  if (e.dir === 'out' && e.data.indexOf('\n') < 0) return `${s},"frame":${e.data}}`;
  return `${s},"data":${JSON.stringify(e.data)}}`;
}
