import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

import { AWS_FORMATS } from './aws-formats.js';

/**
 * Request validation for all routes. Bodies are checked strictly: no type
 * coercion, no removal of unknown properties and no defaults written into the
 * input, so a wrong type or a misspelt property is reported instead of being
 * silently changed. Path parameters and query strings arrive as text and are
 * coerced to the types their schemas declare.
 */
const commonOptions: Options = { allErrors: true, verbose: true, allowUnionTypes: true };

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...commonOptions, ...options });
  for (const [name, format] of Object.entries(AWS_FORMATS)) {
    ajv.addFormat(name, { type: 'string', validate: format.validate });
  }
  return ajv;
}

const bodyAjv = createAjv({ coerceTypes: false, useDefaults: false, removeAdditional: false, discriminator: true });
const urlAjv = createAjv({ coerceTypes: true, useDefaults: true, removeAdditional: false });

export const compileValidator: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : urlAjv;
  return ajv.compile(schema as object);
};
