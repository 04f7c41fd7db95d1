/**
 * Which outbound destinations are internal (loopback, private, link-local, metadata, CGNAT,
 * multicast, reserved, IPv4-mapped forms) and the operator's allow list (SIYU_OUTBOUND_ALLOW).
 * No network code here: config validation reads it at start; outbound.ts enforces it.
 */
import ipaddr from 'ipaddr.js';

/** Why a destination was refused (an error whose message names the host, never the response). */
export class OutboundBlockedError extends Error {
  readonly code = 'OUTBOUND_BLOCKED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(`outbound request to ${host} refused: it resolves to ${address} (${range} address); allow it with SIYU_OUTBOUND_ALLOW if this is intended`);
    this.name = 'OutboundBlockedError';
  }
}

/** ipaddr.js ranges that are fine to call: everything else (loopback, private, linkLocal, ...) is refused. */
const PUBLIC_RANGES = new Set(['unicast']);

/** The rule list of SIYU_OUTBOUND_ALLOW: exact host names, addresses and CIDR ranges. */
export interface OutboundAllowList {
  hosts: Set<string>;
  cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

/** Parses "localhost,127.0.0.1,10.0.0.0/8,sandbox.internal"; throws naming a bad entry. */
export function parseAllowList(entries: readonly string[]): OutboundAllowList {
  const list: OutboundAllowList = { hosts: new Set(), cidrs: [] };
  for (const raw of entries) {
    const e = raw.trim().toLowerCase();
    if (!e) continue;
    if (e.includes('://')) throw new Error(`"${raw}" is neither a host name, an IP address nor a CIDR range (give the host of a URL, not the URL)`);
    if (e.includes('/')) {
      try {
        list.cidrs.push(ipaddr.parseCIDR(e));
      } catch {
        throw new Error(`"${raw}" is not a CIDR range (e.g. 10.0.0.0/8)`);
      }
    } else if (ipaddr.isValid(e.replace(/^\[|\]$/g, ''))) {
      const addr = ipaddr.process(e.replace(/^\[|\]$/g, ''));
      list.cidrs.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^[a-z0-9.-]+$/.test(e)) list.hosts.add(e);
    else throw new Error(`"${raw}" is neither a host name, an IP address nor a CIDR range`);
  }
  return list;
}

/** The range name of an address when it must not be called, or undefined when it may be. */
export function blockedRange(address: string, allow: OutboundAllowList, host?: string): string | undefined {
  if (host && allow.hosts.has(host.toLowerCase())) return undefined;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(address.replace(/^\[|\]$/g, '')); // IPv4-mapped IPv6 becomes the IPv4 address
  } catch {
    return 'unparseable';
  }
  for (const [net, bits] of allow.cidrs) if (addr.kind() === net.kind() && addr.match(net, bits)) return undefined;
  const range = addr.range();
  return PUBLIC_RANGES.has(range) ? undefined : range;
}
