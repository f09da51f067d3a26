import dns from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * Keeps webhook deliveries away from the service's own network: only https
 * URLs whose host is, and resolves to, a public unicast address. Everything
 * else (loopback, private, link-local including 169.254.169.254, unique-local,
 * multicast, unspecified, carrier-grade NAT, reserved, and IPv4-mapped or
 * IPv4-translated forms of those) is rejected. The WHATWG URL parser turns
 * decimal, octal, hex and shortened IPv4 spellings into dotted form first, so
 * `http://2130706433/` is checked as 127.0.0.1.
 *
 * With `allowLocal` (development and tests only), plain http and every
 * address are allowed.
 */
export interface AddressPolicy {
  allowLocal: boolean;
}

export class BlockedAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlockedAddressError';
  }
}

/** Checks a URL's scheme and, for an IP literal host, its address; returns the parsed URL. */
export function checkUrl(raw: string, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BlockedAddressError(`"${raw}" is not a valid URL; use an absolute https URL such as https://example.com/hook.`);
  }

  const allowedSchemes = policy.allowLocal ? ['https:', 'http:'] : ['https:'];
  if (!allowedSchemes.includes(url.protocol)) {
    throw new BlockedAddressError(`URL scheme "${url.protocol.replace(':', '')}" is not allowed; use https.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new BlockedAddressError('URLs with user name or password are not allowed; send credentials in headers instead.');
  }

  const literal = ipLiteralOf(url.hostname);
  if (literal !== undefined && !policy.allowLocal) assertPublic(literal, literal);
  return url;
}

/** Resolves the URL's host and rejects it if any address it resolves to is not public. */
export async function checkResolvedUrl(raw: string, policy: AddressPolicy): Promise<URL> {
  const url = checkUrl(raw, policy);
  if (policy.allowLocal || ipLiteralOf(url.hostname) !== undefined) return url;

  let addresses: dns.LookupAddress[];
  try {
    addresses = await dns.promises.lookup(url.hostname, { all: true });
  } catch (error) {
    throw new BlockedAddressError(`Host "${url.hostname}" could not be resolved (${(error as NodeJS.ErrnoException).code}); check the URL.`);
  }
  for (const { address } of addresses) assertPublic(address, url.hostname);
  return url;
}

/**
 * Returns a `lookup` for sockets that rejects non-public addresses at connect time,
 * so a host name that re-resolves to a private address after the URL was
 * accepted (DNS rebinding) is still refused.
 */
export function guardedLookup(policy: AddressPolicy): typeof dns.lookup {
  const lookup = (hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error);

      const list = addresses as dns.LookupAddress[];
      if (!policy.allowLocal) {
        try {
          for (const { address } of list) assertPublic(address, hostname);
        } catch (blocked) {
          return callback(blocked);
        }
      }
      if (options.all) return callback(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  };
  return lookup as unknown as typeof dns.lookup;
}

function ipLiteralOf(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) ? bare : undefined;
}

function assertPublic(address: string, hostname: string): void {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const ipv6 = parsed as ipaddr.IPv6;
    // ::ffff:a.b.c.d reaches the embedded IPv4 address, so that address decides.
    // Other translated forms (::ffff:0:a.b.c.d, 64:ff9b::/96) are never unicast and stay blocked.
    if (ipv6.isIPv4MappedAddress()) parsed = ipv6.toIPv4Address();
  }

  const range = parsed.range();
  if (range !== 'unicast') {
    const shown = hostname === address ? address : `${hostname} (${address})`;
    throw new BlockedAddressError(`Address ${shown} is in the ${range} range, which webhooks may not reach; use a public https endpoint.`);
  }
}
