import type { ErrorObject } from 'ajv';

/**
 * Building blocks for turning Ajv errors into plain messages, shared by the
 * record validation of ingest and the request validation of the API.
 */

/**
 * Converts Ajv's JSON Pointer (`/sim/iccid`) into a dotted path, and appends
 * the property that a `required`, `additionalProperties` or `discriminator`
 * error is about.
 */
export function fieldPathOf(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));

  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));
  if (error.keyword === 'discriminator') segments.push(String(error.params.tag));

  return segments.join('.');
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** Returns "must be an integer or null" for the type(s) a failed `type` keyword expected. */
export function typeMessage(error: ErrorObject, schema: Record<string, unknown>): string {
  const types: string[] = Array.isArray(schema.type) ? schema.type : [String(error.params.type)];
  return `must be ${types.map((type) => TYPE_NAMES[type] ?? type).join(' or ')}`;
}

/** Returns "must be an integer from 1 to 10" for the bounds of a failed `minimum` or `maximum`. */
export function rangeMessage(schema: Record<string, unknown>): string {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const kind = types.includes('integer') ? 'an integer' : 'a number';
  const { minimum, maximum } = schema;

  if (minimum !== undefined && maximum !== undefined) return `must be ${kind} from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return `must be ${kind} of at least ${minimum}`;
  return `must be ${kind} of at most ${maximum}`;
}
