import type { FastifyPluginAsync } from 'fastify';

import type { ApiDeps } from '../deps.js';
import { apiError, errorBodyRef } from '../errors.js';
import { AUTH_TOKEN_SECURITY, requireAuthToken } from '../request-auth.js';

const schema = {
  tags: ['Organisation'],
  summary: "Show the caller's organisation and the values its AWS role must trust",
  security: AUTH_TOKEN_SECURITY,
  response: {
    200: {
      type: 'object',
      required: ['id', 'name', 'created', 'aws_external_id', 'aws_principal_arn'],
      properties: {
        id: { type: 'integer' },
        name: { type: 'string' },
        created: { type: 'string', format: 'date-time' },
        aws_external_id: { type: 'string', description: 'The sts:ExternalId that your role trust policy must require: org-<id>.' },
        aws_principal_arn: { type: 'string', description: 'The principal that your role trust policy must allow to call sts:AssumeRole.' },
      },
    },
    401: errorBodyRef,
  },
};

export const organisationRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { config, storage, jwtSecret } = deps;

  app.get('/api/v1/organisation/my', { schema, onRequest: requireAuthToken(jwtSecret) }, async (request) => {
    const organisation = storage.getOrganisation(request.organisationId);
    if (organisation === undefined) throw apiError('invalid_auth_token', {});

    return {
      id: organisation.id,
      name: organisation.name,
      created: organisation.created,
      aws_external_id: `org-${organisation.id}`,
      aws_principal_arn: config.operatorPrincipalArn,
    };
  });
};
