/**
 * All proxies by name (Toxiproxy's ProxyCollection). Lifecycle changes (create, update, delete, populate, reset)
 * are serialised so a name is never bound twice and populate sees a stable set.
 */
import { decodeInto, isObject } from './decode.ts';
import { ApiError, Errors } from './errors.ts';
import type { GoValue } from './gojson.ts';
import { Proxy, type ProxyContext, type ProxyInput } from './proxy.ts';

export interface ProxySpec extends ProxyInput {
  name: string;
}

const PROXY_FIELDS = { name: 'string', listen: 'string', upstream: 'string', enabled: 'bool' } as const;

/** Decodes a create/populate entry; `enabled` defaults to true. Throws 400 `bad request body: ...`. */
export function decodeProxySpec(v: GoValue, goType = 'toxiproxy.Proxy'): ProxySpec {
  const out: Record<string, unknown> = { name: '', listen: '', upstream: '', enabled: true };
  const err = decodeInto(out, PROXY_FIELDS, v, 'Proxy', '', goType);
  if (err) throw Errors.badRequestBody(err);
  return out as unknown as ProxySpec;
}

export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: ProxyContext) {}

  /** Runs `fn` with no other lifecycle change in flight. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  get(name: string): Proxy {
    const p = this.proxies.get(name);
    if (!p) throw Errors.proxyNotFound();
    return p;
  }

  /** Sorted by name, as Go's json.Marshal sorts map keys. */
  all(): Proxy[] {
    return [...this.proxies.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  create(spec: ProxySpec): Promise<Proxy> {
    return this.exclusive(async () => {
      if (!spec.name) throw Errors.missingField('name');
      if (!spec.upstream) throw Errors.missingField('upstream');
      if (this.proxies.has(spec.name)) throw Errors.proxyAlreadyExists();
      const p = new Proxy(spec.name, spec.listen, spec.upstream, this.ctx);
      if (spec.enabled) await p.start();
      this.proxies.set(p.name, p);
      return p;
    });
  }

  update(name: string, apply: (p: Proxy) => ProxyInput): Promise<Proxy> {
    return this.exclusive(async () => {
      const p = this.get(name);
      await p.update(apply(p));
      return p;
    });
  }

  remove(name: string): Promise<void> {
    return this.exclusive(async () => {
      const p = this.get(name);
      p.stop();
      this.proxies.delete(name);
    });
  }

  /**
   * POST /populate. All entries are checked for name/upstream first (nothing is created on a missing field); then,
   * in order: an unchanged existing proxy is left alone (toxics and enabled state kept), a changed one is replaced
   * by a fresh proxy without toxics, a new one is created. A start failure stops there with the partial list.
   */
  populate(body: GoValue): Promise<{ proxies: Proxy[]; error?: ApiError }> {
    return this.exclusive(async () => {
      const proxies: Proxy[] = [];
      if (!Array.isArray(body)) {
        const kind = body === null ? null : isObject(body) ? 'object' : typeof body === 'string' ? 'string' : typeof body === 'boolean' ? 'bool' : 'number';
        if (kind === null) return { proxies }; // JSON null decodes to an empty list
        throw Errors.badRequestBody(`json: cannot unmarshal ${kind} into Go value of type []struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }`);
      }
      const specs = body.map((v) => decodeProxySpec(v, 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }'));
      specs.forEach((s, i) => {
        if (!s.name) throw Errors.missingField(`name at proxy ${i + 1}`);
        if (!s.upstream) throw Errors.missingField(`upstream at proxy ${i + 1}`);
      });
      for (const s of specs) {
        try {
          const existing = this.proxies.get(s.name);
          if (existing && !(await existing.differs(s))) {
            proxies.push(existing);
            continue;
          }
          existing?.stop();
          const p = new Proxy(s.name, s.listen, s.upstream, this.ctx);
          if (s.enabled) await p.start();
          this.proxies.set(p.name, p);
          proxies.push(p);
        } catch (err) {
          return { proxies, error: err instanceof ApiError ? err : Errors.internal(String(err)) };
        }
      }
      return { proxies };
    });
  }

  /** POST /reset: start every disabled proxy, then remove every toxic. Stops at the first start failure (500). */
  reset(): Promise<void> {
    return this.exclusive(async () => {
      for (const p of this.all()) {
        await p.start();
        await p.toxics.removeAll();
      }
    });
  }

  async closeAll(): Promise<void> {
    await this.exclusive(async () => {
      for (const p of this.proxies.values()) p.stop();
      this.proxies.clear();
    });
  }
}
