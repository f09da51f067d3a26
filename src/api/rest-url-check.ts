import type { Config } from '../config.js';
import { BlockedAddressError, checkResolvedUrl } from '../delivery/rest/address-guard.js';
import { apiError } from './errors.js';

/**
 * Checks a RestAPI endpoint URL before it is stored: https only, and a host
 * that is, or resolves to, public addresses only, unless the operator set
 * DATASTREAMER_REST_ALLOW_LOCAL. Delivery checks the address again at connect
 * time. Throws a 422 `validation_failed` error naming `field`, with the
 * guard's message, which names the address and its range.
 */
export async function requireAllowedWebhookUrl(config: Config, url: string, field: string): Promise<void> {
  try {
    await checkResolvedUrl(url, { allowLocal: config.delivery.restAllowLocal });
  } catch (error) {
    if (!(error instanceof BlockedAddressError)) throw error;
    throw apiError('validation_failed', { part: 'body', count: 1 }, [{ field, message: error.message }]);
  }
}
