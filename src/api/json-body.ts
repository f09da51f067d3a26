import { apiError } from './errors.js';

/** A JSON text that does not parse. The message names where and why. */
export class InvalidJsonError extends Error {}

/**
 * Parses a JSON text. A syntax error names the position (and line and
 * column) where the parser stopped, when the JSON parser reports one.
 *
 * Keys named `__proto__` are rejected, as Fastify's own JSON parser does,
 * so that no later merge of the parsed object can change a prototype.
 */
export function parseJsonText(text: string): unknown {
  if (text.trim() === '') throw new InvalidJsonError('the text is empty');

  // The reviver slows parsing down, so it only runs when a __proto__ key is possible.
  const mayContainProtoKey = text.includes('__proto__') || text.includes('\\u');
  try {
    return mayContainProtoKey ? JSON.parse(text, rejectProtoKey) : JSON.parse(text);
  } catch (error) {
    if (error instanceof InvalidJsonError) throw error;
    if (error instanceof SyntaxError) throw new InvalidJsonError(describeSyntaxError(error, text));
    throw error;
  }
}

/** Parses a request body, turning a syntax error into the API's `malformed_json` error. */
export function parseJsonBody(text: string): unknown {
  try {
    return parseJsonText(text);
  } catch (error) {
    if (error instanceof InvalidJsonError) throw apiError('malformed_json', { detail: error.message });
    throw error;
  }
}

function rejectProtoKey(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new InvalidJsonError('it contains the key "__proto__", which is not allowed');
  return value;
}

/** Adds the line and column to V8's "... at position N" message, and the position to a text that ends too early. */
function describeSyntaxError(error: SyntaxError, text: string): string {
  if (error.message === 'Unexpected end of JSON input') {
    return `the text ends at position ${text.length} ${lineAndColumn(text, text.length)} before the JSON value is complete`;
  }

  const match = /at position (\d+)/.exec(error.message);
  if (!match) return error.message;
  return `${error.message} ${lineAndColumn(text, Number(match[1]))}`;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `(line ${line}, column ${column})`;
}
