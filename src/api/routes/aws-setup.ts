import type { FastifyPluginAsync } from 'fastify';

import { deliveryRoleTemplate } from '../../aws/cloudformation.js';
import { permissionsPolicy, trustPolicy, type AwsDestination } from '../../aws/policies.js';
import type { DataStream } from '../../storage/index.js';
import { requireSetupCheck } from '../aws-setup-check.js';
import { toNewDataStream, type DataStreamInput } from '../data-stream-input.js';
import { requireAllowedWebhookUrl } from '../rest-url-check.js';
import { dataStreamIdParamsSchema, dataStreamInputSchema } from '../data-stream-schemas.js';
import type { ApiDeps } from '../deps.js';
import { apiError, errorBodyRef } from '../errors.js';
import { AUTH_TOKEN_SECURITY, requireAuthToken } from '../request-auth.js';

const BASE_PATH = '/api/v2/data_stream';

const tags = ['AWS setup'];

interface IdParams {
  id: number;
}

const policyDocumentSchema = {
  type: 'object',
  required: ['Version', 'Statement'],
  additionalProperties: true,
  description: 'An IAM policy document.',
  properties: {
    Version: { type: 'string' },
    Statement: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
};

const cloudFormationSchema = {
  type: 'object',
  required: ['AWSTemplateFormatVersion', 'Parameters', 'Resources'],
  additionalProperties: true,
  description: 'A CloudFormation template in JSON.',
};

const checkResultSchema = {
  type: 'object',
  required: ['ok', 'checks'],
  properties: {
    ok: { type: 'boolean', const: true },
    checks: {
      type: 'array',
      description: 'The steps that passed, in order.',
      items: {
        type: 'object',
        required: ['name', 'resource', 'message'],
        properties: {
          name: { type: 'string', enum: ['assume_role', 's3_put_object', 'kinesis_put_records'] },
          resource: { type: 'string', description: 'The role, object or stream the step was checked on.' },
          message: { type: 'string' },
        },
      },
    },
  },
};

/**
 * Help for the customer's AWS side: the trust policy to paste, each
 * stream's minimal permissions policy and a CloudFormation template for
 * its role, and a dry run of the setup check that creating a stream runs.
 * The static paths (aws/..., check) are not numeric, so they never reach
 * the `/{id}` routes.
 */
export const awsSetupRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { config, storage, jwtSecret } = deps;

  app.addHook('onRequest', requireAuthToken(jwtSecret));

  function findAwsStream(organisationId: number, id: number): DataStream & { destination: AwsDestination } {
    const stream = storage.getDataStream(organisationId, id);
    if (stream === undefined) throw apiError('data_stream_not_found', { id });

    const { destination } = stream;
    if (destination.connection_type === 'RestAPI') {
      throw apiError('bad_request', { detail: `data stream ${id} delivers to a RestAPI endpoint, which needs no AWS role or policy` });
    }
    return { ...stream, destination };
  }

  app.get(
    `${BASE_PATH}/aws/trust_policy`,
    {
      schema: {
        tags,
        summary: 'Show the trust policy that your delivery roles need',
        description:
          "The document to paste into a role's trust relationship. It lets datastreamer's principal call sts:AssumeRole, " +
          'but only with the external id org-<organisation id> of your organisation. One role can serve several streams.',
        security: AUTH_TOKEN_SECURITY,
        response: { 200: policyDocumentSchema, 401: errorBodyRef },
      },
    },
    async (request) => trustPolicy(config.operatorPrincipalArn, request.organisationId),
  );

  app.get<{ Params: IdParams }>(
    `${BASE_PATH}/:id/aws/permissions_policy`,
    {
      schema: {
        tags,
        summary: "Show the smallest permissions policy for a stream's role",
        description:
          'S3: s3:PutObject on the bucket under the prefix, plus kms:GenerateDataKey on the key with SSE-KMS. ' +
          'Kinesis: kinesis:PutRecord and kinesis:PutRecords on the stream. Resources take the account of the role ARN.',
        security: AUTH_TOKEN_SECURITY,
        params: dataStreamIdParamsSchema,
        response: { 200: policyDocumentSchema, 400: errorBodyRef, 401: errorBodyRef, 404: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request) => permissionsPolicy(findAwsStream(request.organisationId, request.params.id).destination),
  );

  app.get<{ Params: IdParams }>(
    `${BASE_PATH}/:id/aws/cloudformation`,
    {
      schema: {
        tags,
        summary: "Get a CloudFormation template that creates a stream's role",
        description:
          'Creates an AWS::IAM::Role with the trust policy and the permissions policy inline. The RoleName parameter defaults ' +
          "to the name in the stream's role_arn. Deploy it in the account of that ARN.",
        security: AUTH_TOKEN_SECURITY,
        params: dataStreamIdParamsSchema,
        response: { 200: cloudFormationSchema, 400: errorBodyRef, 401: errorBodyRef, 404: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request, reply) => {
      const stream = findAwsStream(request.organisationId, request.params.id);
      const template = deliveryRoleTemplate(stream, config.operatorPrincipalArn);
      return reply.header('content-disposition', `attachment; filename="datastreamer-data-stream-${stream.id}-role.json"`).send(template);
    },
  );

  /** Validates a create body and returns its AWS destination, for help calls made before the stream exists. */
  function awsDestinationOfBody(organisationId: number, body: DataStreamInput): AwsDestination {
    const { destination } = toNewDataStream(organisationId, body);
    if (destination.connection_type === 'RestAPI') {
      throw apiError('bad_request', { detail: 'a RestAPI destination needs no AWS role or policy' });
    }
    return destination;
  }

  app.post<{ Body: DataStreamInput }>(
    `${BASE_PATH}/aws/permissions_policy`,
    {
      schema: {
        tags,
        summary: 'Show the smallest permissions policy for a stream you are about to create',
        description: 'Takes the body you will send to POST /api/v2/data_stream, so the role can be set up before the stream exists.',
        security: AUTH_TOKEN_SECURITY,
        body: dataStreamInputSchema,
        response: { 200: policyDocumentSchema, 400: errorBodyRef, 401: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request) => permissionsPolicy(awsDestinationOfBody(request.organisationId, request.body)),
  );

  app.post<{ Body: DataStreamInput }>(
    `${BASE_PATH}/aws/cloudformation`,
    {
      schema: {
        tags,
        summary: 'Get a CloudFormation template for the role of a stream you are about to create',
        description: 'Takes the body you will send to POST /api/v2/data_stream; deploy the template, then create the stream.',
        security: AUTH_TOKEN_SECURITY,
        body: dataStreamInputSchema,
        response: { 200: cloudFormationSchema, 400: errorBodyRef, 401: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request, reply) => {
      const destination = awsDestinationOfBody(request.organisationId, request.body);
      const template = deliveryRoleTemplate({ organisation_id: request.organisationId, destination }, config.operatorPrincipalArn);
      return reply.header('content-disposition', 'attachment; filename="datastreamer-delivery-role.json"').send(template);
    },
  );

  // TODO: rate-limit dry runs per organisation, because each one calls STS with the operator's identity.
  app.post<{ Body: DataStreamInput }>(
    `${BASE_PATH}/check`,
    {
      schema: {
        tags,
        summary: 'Check a destination without creating a stream',
        description:
          'Takes the body of POST /api/v2/data_stream and runs the setup check that creating the stream runs: assume the role ' +
          'with the external id org-<organisation id>, then write the check object ' +
          '<prefix>datastreamer-setup-check.txt (S3, with the stream\'s server-side encryption) or one check record ' +
          '{"datastreamer_setup_check": true, ...} with partition key datastreamer-setup-check (Kinesis). ' +
          'A failure answers 422 with a diagnosis naming the cause and the fix. Nothing is created.',
        security: AUTH_TOKEN_SECURITY,
        body: dataStreamInputSchema,
        response: { 200: checkResultSchema, 401: errorBodyRef, 422: errorBodyRef, 503: errorBodyRef },
      },
    },
    async (request) => {
      const { destination } = toNewDataStream(request.organisationId, request.body);
      if (destination.connection_type === 'RestAPI') {
        await requireAllowedWebhookUrl(deps.config, destination.url, 'destination.credentials.url');
      }
      const logFields = { organisation_id: request.organisationId, connection_type: destination.connection_type };

      const checks = await requireSetupCheck(deps, request.organisationId, destination);
      request.log.info(logFields, 'AWS setup check passed');
      return { ok: true, checks };
    },
  );
};
