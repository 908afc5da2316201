import { createWriteStream, type WriteStream } from 'node:fs';
import { createGzip, type Gzip } from 'node:zlib';
import { once } from 'node:events';

/**
 * The journal: every inbound request and outbound event, one JSON object per line, in the order the venue saw them.
 * Lines are batched in memory and written when the batch fills or on the next tick, so journalling costs one
 * JSON.stringify per record on the hot path and no syscall. Issue 3 adds replay of a journal through the engine.
 */
export class Journal {
  private readonly out: WriteStream;
  private readonly gzip: Gzip | undefined;
  private batch: string[] = [];
  private scheduled = false;
  private closed = false;
  records = 0;

  constructor(path: string, opts: { gzip?: boolean } = {}) {
    this.out = createWriteStream(path);
    if (opts.gzip) {
      this.gzip = createGzip();
      this.gzip.pipe(this.out);
    }
  }

  write(record: object): void {
    if (this.closed) return;
    this.batch.push(JSON.stringify(record));
    this.records++;
    if (this.batch.length >= 512) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.batch.length === 0) return;
    const chunk = `${this.batch.join('\n')}\n`;
    this.batch = [];
    (this.gzip ?? this.out).write(chunk);
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
