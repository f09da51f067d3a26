import type { ErrorObject } from 'ajv';

import { fieldPathOf, rangeMessage, typeMessage } from '../records/ajv-error-text.js';
import { AWS_FORMATS } from './aws-formats.js';
import type { FieldError } from './errors.js';

/**
 * Converts the errors of an Ajv validator compiled with `verbose: true` into
 * `{field, message}` pairs. The field is a dotted path without a leading
 * slash (`destination.credentials.bucket_name`), and the message names the
 * bad value and what is expected instead.
 */
export function toFieldErrors(errors: readonly ErrorObject[]): FieldError[] {
  const fieldErrors: FieldError[] = [];
  const seen = new Set<string>();

  for (const error of errors) {
    // A missing discriminator property also fails `required`, which reports it more clearly.
    if (error.keyword === 'discriminator' && error.params.tagValue === undefined) continue;

    const fieldError = { field: fieldPathOf(error), message: messageOf(error) };

    const key = `${fieldError.field}\n${fieldError.message}`;
    if (seen.has(key)) continue;
    seen.add(key);

    fieldErrors.push(fieldError);
  }
  return fieldErrors;
}

function messageOf(error: ErrorObject): string {
  const schema = (error.parentSchema ?? {}) as Record<string, unknown>;
  const got = `not ${describeValue(error.data)}`;

  switch (error.keyword) {
    case 'required':
      return 'is required';

    case 'additionalProperties': {
      const known = Object.keys((schema.properties ?? {}) as object).join(', ');
      return `is not a known property; remove it or correct its spelling (known properties: ${known})`;
    }

    case 'type':
      return `${typeMessage(error, schema)}, ${got}`;

    case 'minimum':
    case 'maximum':
      return `${rangeMessage(schema)}, ${got}`;

    case 'enum':
      return `must be one of ${listValues(error.params.allowedValues as unknown[])}, ${got}`;

    case 'const':
      return `must be ${JSON.stringify(error.params.allowedValue)}, ${got}`;

    case 'minLength':
    case 'maxLength':
      return `${lengthMessage(schema)}, not ${String(error.data).length} characters`;

    case 'minItems':
    case 'maxItems':
      return `${itemCountMessage(schema)}, not ${(error.data as unknown[]).length} items`;

    case 'uniqueItems':
      return `must not contain the same value twice (items ${error.params.j} and ${error.params.i} are equal)`;

    case 'format': {
      const format = AWS_FORMATS[String(error.params.format)];
      const expected = format?.expected ?? `in ${error.params.format} format`;
      return `${describeValue(error.data)} is not ${expected}`;
    }

    case 'discriminator':
      return discriminatorMessage(error, schema);

    default:
      return error.message ?? `is invalid (${error.keyword})`;
  }
}

function discriminatorMessage(error: ErrorObject, schema: Record<string, unknown>): string {
  const tag = String(error.params.tag);
  if (error.params.error === 'tag') return `must be a string, not ${describeValue(error.params.tagValue)}`;

  const branches = (schema.oneOf ?? []) as { properties?: Record<string, { const?: unknown }> }[];
  const allowed = branches.map((branch) => branch.properties?.[tag]?.const).filter((value) => value !== undefined);
  return `${describeValue(error.params.tagValue)} is not supported; use one of ${listValues(allowed)}`;
}

function lengthMessage(schema: Record<string, unknown>): string {
  const { minLength, maxLength } = schema;

  if (minLength !== undefined && maxLength !== undefined) return `must be ${minLength} to ${maxLength} characters long`;
  if (minLength !== undefined) return `must be at least ${minLength} character(s) long`;
  return `must be at most ${maxLength} characters long`;
}

function itemCountMessage(schema: Record<string, unknown>): string {
  const { minItems, maxItems } = schema;

  if (minItems !== undefined && maxItems !== undefined) return `must have ${minItems} to ${maxItems} items`;
  if (minItems !== undefined) return `must have at least ${minItems} item(s)`;
  return `must have at most ${maxItems} items`;
}

function listValues(values: readonly unknown[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

const MAX_SHOWN_VALUE_LENGTH = 60;

/** Renders a bad value for a message, shortening long strings and describing objects by their type. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';

  const text = JSON.stringify(value);
  return text.length > MAX_SHOWN_VALUE_LENGTH ? `${text.slice(0, MAX_SHOWN_VALUE_LENGTH)}…` : text;
}
