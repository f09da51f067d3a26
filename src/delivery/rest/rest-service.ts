import { Agent, request } from 'undici';

import type { RestApiDestination } from '../../storage/types.js';
import { DeliveryError } from '../delivery-error.js';
import { BlockedAddressError, checkUrl, guardedLookup, type AddressPolicy } from './address-guard.js';
import { SIGNATURE_HEADERS, signWebhook } from './signature.js';

/** Characters of a failed answer's body kept in the stream's last error. */
const EXCERPT_LENGTH = 200;

export interface RestServiceOptions {
  policy: AddressPolicy;
  timeoutMs: number;
}

/**
 * Sends JSON bodies to customer endpoints through one shared connection pool
 * whose DNS lookups reject non-public addresses at connect time.
 */
export class RestService {
  private readonly dispatcher: Agent;

  constructor(private readonly options: RestServiceOptions) {
    this.dispatcher = new Agent({
      connect: { lookup: guardedLookup(options.policy) as never },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connections: 16,
    });
  }

  /**
   * Sends one request. `requestId` is the same for every retry of a batch,
   * so receivers can deduplicate; the signature is computed per attempt
   * because it covers the timestamp.
   */
  async send(destination: RestApiDestination, requestId: string, body: string, signal?: AbortSignal): Promise<void> {
    const target = safeTarget(destination.url);
    try {
      checkUrl(destination.url, this.options.policy);
    } catch (error) {
      throw new DeliveryError('configuration', 'endpoint_address_blocked', (error as Error).message, { cause: error });
    }

    const headers: Record<string, string> = { ...parseHeaders(destination.headers), 'content-type': 'application/json', 'user-agent': 'datastreamer' };
    headers[SIGNATURE_HEADERS.id] = requestId;
    if (destination.signing_secret) {
      const timestamp = Math.floor(Date.now() / 1000);
      headers[SIGNATURE_HEADERS.timestamp] = String(timestamp);
      headers[SIGNATURE_HEADERS.signature] = signWebhook(destination.signing_secret, requestId, timestamp, body);
    }

    let response;
    try {
      response = await request(destination.url, {
        method: destination.method,
        headers,
        body,
        dispatcher: this.dispatcher,
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs)]) : AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw classifyNetworkError(error, target);
    }

    if (response.statusCode >= 200 && response.statusCode < 300) {
      await response.body.dump();
      return;
    }

    const excerpt = (await response.body.text().catch(() => '')).slice(0, EXCERPT_LENGTH);
    throw new DeliveryError(
      'configuration',
      `endpoint_http_${response.statusCode}`,
      `Endpoint ${target} answered ${response.statusCode}${excerpt ? `: ${excerpt}` : ''}`,
    );
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Splits `["Name: value", ...]` into a header object; input validation already checked the form. */
export function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Returns the URL without query string or credentials, for messages and logs. */
function safeTarget(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function classifyNetworkError(error: unknown, target: string): DeliveryError {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  if (cause instanceof BlockedAddressError) {
    return new DeliveryError('configuration', 'endpoint_address_blocked', cause.message, { cause: error });
  }

  const name = (error as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError' || name === 'HeadersTimeoutError' || name === 'BodyTimeoutError') {
    return new DeliveryError('configuration', 'endpoint_timeout', `Endpoint ${target} timed out before it responded.`, { cause: error });
  }
  const code = (cause as NodeJS.ErrnoException)?.code ?? (error as NodeJS.ErrnoException)?.code ?? name;
  return new DeliveryError('configuration', 'endpoint_unreachable', `Endpoint ${target} could not be reached: ${code}.`, { cause: error });
}
