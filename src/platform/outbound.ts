/**
 * Outbound HTTP to addresses tenants configure (webhooks, SMS gateways, official-account and WeCom
 * API base URLs) must not reach the inside of the operator's network (SSRF): loopback, private,
 * link-local, cloud metadata (169.254.169.254), carrier-grade NAT, multicast, reserved and the
 * IPv4-mapped forms of these are refused, unless the operator allow-lists them
 * (SIYU_OUTBOUND_ALLOW: host names, IP addresses or CIDR ranges; the local WeCom sandbox and the
 * tests do). The check runs on the address the connection is actually made to, after DNS
 * resolution inside the connect step, so a name that resolves to a public address when checked
 * and to 127.0.0.1 when used (DNS rebinding) does not pass.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { blockedRange, OutboundBlockedError, type OutboundAllowList } from './outbound-rules.js';

export { blockedRange, OutboundBlockedError, parseAllowList, type OutboundAllowList } from './outbound-rules.js';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * A `fetch` that refuses internal destinations (see the module comment). Literal addresses in the
 * URL (also `2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`, which the URL parser normalises) are
 * checked before connecting; names are checked on every address DNS gives, inside the connect step.
 * Redirects are not followed (the 3xx answer is returned).
 */
export function createGuardedFetch(allow: OutboundAllowList, opts: { connectTimeoutMs?: number } = {}): typeof globalThis.fetch {
  const agent = new Agent({
    connect: {
      timeout: opts.connectTimeoutMs ?? 10_000,
      lookup(hostname, options, callback) {
        dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
          if (err) return callback(err, '', 0);
          for (const a of addresses) {
            const range = blockedRange(a.address, allow, hostname);
            if (range) return callback(new OutboundBlockedError(hostname, a.address, range), '', 0);
          }
          const first = addresses[0]!;
          // Node's net asks for one address unless autoSelectFamily wants all of them.
          if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
          else callback(null, first.address, first.family);
        });
      },
    },
  });
  const guarded = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (ipaddr.isValid(host)) {
      const range = blockedRange(host, allow, host);
      if (range) throw new TypeError('fetch failed', { cause: new OutboundBlockedError(host, host, range) });
    }
    // Redirects are not followed: a public address could send us to a literal internal one, which connects without a lookup to check.
    return undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as object),
      redirect: 'manual',
      dispatcher: agent,
    }) as unknown as Promise<Response>;
  };
  return guarded as typeof globalThis.fetch;
}

/** True when `err` (or its cause) is a refused destination. */
export function isOutboundBlocked(err: unknown): err is OutboundBlockedError {
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++) if (e instanceof OutboundBlockedError) return true;
  return false;
}
