/**
 * Repro bundles: what an engineer needs to rebuild a run exactly — the seed, the instruments, what the market was
 * (regime or replayed capture), the command journal, and the capture file itself for replays. Written on demand
 * through the control plane (POST /repro), read back by readReproBundle(); replaying its commands rebuilds the
 * venue's ledger (docs/journal.md). Scenario files join the bundle when the scenario runner exists.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import type { InstrumentConfig } from './instruments.ts';
import type { Journal } from './journal.ts';
import { isVenueCommand, type JournalHeader, type VenueCommand } from './venue/commands.ts';

/** What the running venue tells the bundle writer (main.ts builds it). */
export interface ReproSource {
  readonly seed: number;
  readonly instruments: readonly InstrumentConfig[];
  /** The journal being written; without one there is nothing to bundle. */
  readonly journal: Journal | undefined;
  /** The background market as configured (regime, speed), or null. */
  readonly market: object | null;
  /** The replayed capture, when the market is a replay. */
  readonly replayFile?: string | undefined;
  /** The command line that started the venue (`npm run sim -- …`). */
  readonly argv: readonly string[];
}

export interface ReproManifest {
  readonly kind: 'mm-bench-repro';
  readonly version: 1;
  readonly createdAt: string;
  readonly seed: number;
  readonly instruments: readonly InstrumentConfig[];
  readonly market: object | null;
  readonly replay: { readonly file: string; readonly sha256: string } | null;
  /** File name of the journal inside the bundle. */
  readonly journal: string;
  readonly scenario: null;
  /** How to start the same venue again. */
  readonly command: string;
}

export class ReproUnavailable extends Error {}
/** The bundle name is not one plain directory name inside the repro root. */
export class ReproNameError extends Error {}

/** A bundle name is one path segment: no separators, and not `.` or `..` (nor any dot-only name). */
export const REPRO_NAME = /^(?!\.+$)[A-Za-z0-9._-]{1,64}$/;

/** Writes a bundle under `root/<name>` (name defaults to the time); returns the directory and its files. */
export async function writeReproBundle(
  root: string,
  name: string | undefined,
  src: ReproSource,
  now: Date,
): Promise<{ dir: string; files: string[]; manifest: ReproManifest }> {
  const journal = src.journal;
  if (!journal) throw new ReproUnavailable('no journal: start the venue with --journal <file> to record repro bundles');
  const dirName = name ?? `repro-${now.toISOString().replace(/[:.]/g, '-')}`;
  if (!REPRO_NAME.test(dirName)) throw new ReproNameError(`bundle name must be 1-64 of letters, digits, . _ - and not dots only, got "${dirName}"`);
  const dir = resolve(root, dirName);
  // Belt and braces: whatever the pattern allows, the bundle is a directory strictly inside the root.
  const rel = relative(resolve(root), dir);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) || rel.includes(sep)) throw new ReproNameError(`bundle name "${dirName}" leaves the repro directory`);
  await mkdir(dir, { recursive: true });
  await journal.sync();
  const journalName = journal.gzipped ? 'journal.jsonl.gz' : 'journal.jsonl';
  await copyFile(journal.path, join(dir, journalName));
  const files = [journalName];
  let replay: ReproManifest['replay'] = null;
  if (src.replayFile) {
    const file = basename(src.replayFile);
    await copyFile(src.replayFile, join(dir, file));
    replay = { file, sha256: await sha256(src.replayFile) };
    files.push(file);
  }
  const manifest: ReproManifest = {
    kind: 'mm-bench-repro',
    version: 1,
    createdAt: now.toISOString(),
    seed: src.seed,
    instruments: src.instruments,
    market: src.market,
    replay,
    journal: journalName,
    scenario: null,
    command: `npm run sim -- ${src.argv.map(shellQuote).join(' ')}`.trimEnd(),
  };
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  files.unshift('manifest.json');
  return { dir, files, manifest };
}

/** Reads a bundle: its manifest, the journal's header and its venue commands in order. */
export async function readReproBundle(dir: string): Promise<{ manifest: ReproManifest; header: JournalHeader; commands: VenueCommand[] }> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ReproManifest;
  if (manifest.kind !== 'mm-bench-repro' || manifest.version !== 1) throw new Error(`${dir}: not an mm-bench repro bundle (v1)`);
  const raw = await readFile(join(dir, manifest.journal));
  // A live gzip journal has no trailer yet: read it as far as it was flushed.
  const text = manifest.journal.endsWith('.gz') ? gunzipSync(raw, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString('utf8') : raw.toString('utf8');
  let header: JournalHeader | undefined;
  const commands: VenueCommand[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const rec = JSON.parse(line) as unknown;
    if (isVenueCommand(rec)) commands.push(rec);
    else if (header === undefined && (rec as { kind?: unknown }).kind === 'header') header = rec as JournalHeader;
  }
  return { manifest, header: header ?? { kind: 'header', version: 1, seed: manifest.seed, instruments: manifest.instruments }, commands };
}

function sha256(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolvePromise(h.digest('hex')));
  });
}

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
