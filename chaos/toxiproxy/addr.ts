/**
 * Go's address handling as clients see it: net.SplitHostPort errors, ResolveTCPAddr's String() (used to decide
 * whether a proxy update "differs"), and the address a listener reports once bound.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Errors } from './errors.ts';

export interface HostPort {
  host: string;
  port: number;
}

/** net.SplitHostPort plus port parsing; throws ApiError 500 with Go's `address X: ...` text. */
export function splitHostPort(addr: string): HostPort {
  const fail = (why: string): never => {
    throw Errors.internal(`address ${addr}: ${why}`);
  };
  let host: string;
  let portStr: string;
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    if (end < 0) fail("missing ']' in address");
    host = addr.slice(1, end);
    const rest = addr.slice(end + 1);
    if (!rest.startsWith(':')) fail('missing port in address');
    portStr = rest.slice(1);
  } else {
    const i = addr.lastIndexOf(':');
    if (i < 0) fail('missing port in address');
    host = addr.slice(0, i);
    if (host.includes(':')) fail('too many colons in address');
    portStr = addr.slice(i + 1);
  }
  const port = portStr === '' ? 0 : Number(portStr);
  if (!/^\d*$/.test(portStr) || port > 65535) fail('invalid port');
  return { host, port };
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** ResolveTCPAddr("tcp", listen).String(): literal IPs normalised, names looked up (IPv4 first), "" stays "". */
export async function resolveListen(listen: string): Promise<string> {
  const { host, port } = splitHostPort(listen);
  return joinHostPort(await resolveHost(host), port);
}

async function resolveHost(host: string): Promise<string> {
  if (host === '') return '';
  if (host === 'localhost') return '127.0.0.1';
  if (isIP(host)) return host;
  try {
    const all = await lookup(host, { all: true });
    const v4 = all.find((a) => a.family === 4) ?? all[0];
    if (!v4) throw new Error('no address');
    return v4.address;
  } catch {
    throw Errors.internal(`lookup ${host}: no such host`);
  }
}

/**
 * Where to bind for a stored listen value. `""`, `:P` and `0.0.0.0:P` mean all interfaces (reported `[::]:P`).
 * Deviation: an omitted listen binds 127.0.0.1:0, not all interfaces (this bench keeps everything on loopback).
 */
export async function bindTarget(listen: string): Promise<{ host: string; port: number; display: string }> {
  if (listen === '') return { host: '127.0.0.1', port: 0, display: '127.0.0.1:0' };
  const { host, port } = splitHostPort(listen);
  const resolved = await resolveHost(host);
  if (resolved === '' || resolved === '0.0.0.0' || resolved === '::') return { host: '::', port, display: `${resolved}:${port}` };
  return { host: resolved, port, display: joinHostPort(resolved, port) };
}

/** Go's syscall error text for a failed listen. */
export function listenErrorText(display: string, err: NodeJS.ErrnoException): string {
  const why: Record<string, string> = {
    EADDRINUSE: 'bind: address already in use',
    EACCES: 'bind: permission denied',
    EADDRNOTAVAIL: 'bind: cannot assign requested address',
    EAFNOSUPPORT: 'socket: address family not supported by protocol',
  };
  return `listen tcp ${display}: ${why[err.code ?? ''] ?? err.message}`;
}
