/**
 * HTTP Basic authentication (RFC 7617) as a stored "Name: value" header
 * line. v1 REST API streams take a user name and password, and v2 stores
 * them as this header, so v1 can show the user name again.
 */

const BASIC_PREFIX = 'Basic ';

/** Builds the line "Authorization: Basic <base64 of user:password>", encoding both as UTF-8. */
export function basicAuthHeader(user: string, password: string): string {
  const encoded = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  return `Authorization: ${BASIC_PREFIX}${encoded}`;
}

/** Returns the user name of a Basic Authorization header among `headers`, or null when there is none. */
export function basicAuthUser(headers: string[]): string | null {
  for (const line of headers) {
    const colon = line.indexOf(':');
    if (colon === -1 || line.slice(0, colon).toLowerCase() !== 'authorization') continue;

    const value = line.slice(colon + 1).trim();
    if (!value.startsWith(BASIC_PREFIX)) return null;

    const decoded = Buffer.from(value.slice(BASIC_PREFIX.length).trim(), 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    return separator === -1 ? null : decoded.slice(0, separator);
  }
  return null;
}
