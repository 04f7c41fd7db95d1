/**
 * Who sent a tracking request: the client's IP address (through trusted proxies only) and, for
 * browser calls, its user agent, which go into `context` as Segment's API adds them; and the
 * address the browser reached Siyu by, for the SDK settings.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';

/** The proxies whose X-Forwarded-* headers are believed. */
export interface TrustedProxies {
  has(address: string): boolean;
}

/** `1.2.3.4`, `::ffff:1.2.3.4` (as 1.2.3.4), `[::1]`, `1.2.3.4:5678`: the address, or undefined. */
function address(raw: string | undefined): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!raw) return undefined;
  let s = raw.trim();
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracket) s = bracket[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  if (!ipaddr.isValid(s)) return undefined;
  return ipaddr.process(s);
}

/**
 * Parses a list of addresses and CIDR ranges (`10.0.0.0/8`, `127.0.0.1`, `::1`); throws an Error
 * naming the bad entry.
 */
export function trustedProxies(list: readonly string[] = []): TrustedProxies {
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const raw of list) {
    const e = raw.trim();
    if (!e) continue;
    try {
      if (e.includes('/')) ranges.push(ipaddr.parseCIDR(e));
      else {
        const a = address(e);
        if (!a) throw new Error();
        ranges.push([a, a.kind() === 'ipv4' ? 32 : 128]);
      }
    } catch {
      throw new Error(`"${raw}" is neither an IP address nor a CIDR range (e.g. 10.0.0.0/8)`);
    }
  }
  return {
    has(raw) {
      const a = address(raw);
      return a !== undefined && ranges.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
    },
  };
}

/**
 * The client's address: the peer's, unless the peer is a trusted proxy; then X-Forwarded-For is
 * read from the right, and the first address that is not a trusted proxy is the client (what
 * Fastify's `trustProxy` does with a list).
 */
export function clientIp(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string | undefined {
  let ip = address(peer)?.toString();
  if (ip === undefined || forwardedFor === undefined || !trusted.has(ip)) return ip;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = address(hops[i])?.toString();
    if (hop === undefined) return ip;
    ip = hop;
    if (!trusted.has(hop)) return hop;
  }
  return ip;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();

/**
 * The context Siyu adds to every event of a request (the message's own context wins): `ip`
 * always, as Segment's API does; `userAgent` only for browser calls (those sending an Origin),
 * since a server library's user agent is not the person's.
 */
export function requestContext(req: FastifyRequest, trusted: TrustedProxies): Record<string, string> | undefined {
  const ctx: Record<string, string> = {};
  const ip = clientIp(req.raw.socket.remoteAddress, req.headers['x-forwarded-for'], trusted);
  if (ip !== undefined) ctx.ip = ip;
  const ua = req.headers['user-agent'];
  if (req.headers.origin !== undefined && typeof ua === 'string' && ua !== '') ctx.userAgent = ua.slice(0, 1024);
  return ctx.ip || ctx.userAgent ? ctx : undefined;
}

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * Where the browser reached Siyu: `publicUrl` when configured (SIYU_PUBLIC_URL), else the Host
 * header and the connection's scheme, or X-Forwarded-Host/-Proto when the peer is a trusted proxy.
 */
export function publicBase(req: FastifyRequest, trusted: TrustedProxies, publicUrl?: string): { protocol: 'http' | 'https'; host: string } {
  if (publicUrl) {
    const u = new URL(publicUrl);
    return { protocol: u.protocol === 'https:' ? 'https' : 'http', host: u.host + u.pathname.replace(/\/+$/, '') };
  }
  const viaProxy = trusted.has(req.raw.socket.remoteAddress ?? '');
  const fwdProto = viaProxy ? first(req.headers['x-forwarded-proto']) : undefined;
  const fwdHost = viaProxy ? first(req.headers['x-forwarded-host']) : undefined;
  const encrypted = (req.raw.socket as TLSSocket).encrypted === true;
  const protocol = fwdProto === 'https' || fwdProto === 'http' ? fwdProto : encrypted ? 'https' : 'http';
  const host = [fwdHost, req.headers.host].find((h): h is string => typeof h === 'string' && HOST.test(h)) ?? 'localhost';
  return { protocol, host };
}
