import type { preValidationAsyncHookHandler } from 'fastify';

import { apiError } from './errors.js';
import { describeValue } from './schema-errors.js';

// At most 15 digits, so every accepted id is a safe integer.
const DECIMAL_ID = /^\d{1,15}$/;

/**
 * Rejects a path parameter `id` that is not written in decimal digits. It
 * runs before the params schema, whose type coercion would otherwise read
 * "0x10" as 16 or "1e3" as 1000.
 */
export const requireDecimalId: preValidationAsyncHookHandler = async (request) => {
  const { id } = request.params as { id?: string };
  if (id === undefined || DECIMAL_ID.test(id)) return;

  const errors = [{ field: 'id', message: `must be a positive integer in decimal digits, such as 42, not ${describeValue(id)}` }];
  throw apiError('validation_failed', { part: 'path', count: errors.length }, errors);
};
