/**
 * How a failed delivery attempt is treated:
 * - `transient`: throttling, 5xx, network errors, expired credentials;
 *   retried with backoff and never moves the stream to Error.
 * - `configuration`: something on the customer's side must change (role,
 *   trust relationship, permission, bucket, stream); retried too, but a
 *   fault that lasts moves the stream to Error with this diagnosis.
 */
export type FailureClass = 'transient' | 'configuration';

export class DeliveryError extends Error {
  constructor(
    readonly failureClass: FailureClass,
    /** Stable snake_case code shown as the stream's last error code. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}
