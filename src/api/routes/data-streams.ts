import { isDeepStrictEqual } from 'node:util';
import type { FastifyPluginAsync } from 'fastify';

import { StreamStatus, type DataStream, type Destination } from '../../storage/index.js';
import { applyDataStreamPatch, PENDING_STREAM_FIX, type DataStreamPatch } from '../data-stream-patch.js';
import { dataStreamIdParamsSchema, dataStreamInputSchema, dataStreamPatchSchema, dataStreamViewSchema } from '../data-stream-schemas.js';
import { requireSetupCheck } from '../aws-setup-check.js';
import { toNewDataStream, type DataStreamInput } from '../data-stream-input.js';
import { STATUS_DESCRIPTIONS, toDataStreamView } from '../data-stream-view.js';
import { requireDecimalId } from '../decimal-id.js';
import type { ApiDeps } from '../deps.js';
import { apiError, errorBodyRef } from '../errors.js';
import { AUTH_TOKEN_SECURITY, requireAuthToken } from '../request-auth.js';
import { requireAllowedWebhookUrl } from '../rest-url-check.js';

const BASE_PATH = '/api/v2/data_stream';

const URL_FIELD = 'destination.credentials.url';

const tags = ['Data streams'];

interface IdParams {
  id: number;
}

/**
 * The v2 data stream resource. Every call reads or changes only the streams
 * of the auth token's organisation. Another organisation's stream id gets
 * 404, so ids reveal nothing about other organisations.
 */
export const dataStreamRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { storage, delivery, jwtSecret } = deps;

  app.addHook('onRequest', requireAuthToken(jwtSecret));

  const view = (stream: DataStream) => toDataStreamView(stream, storage.countWaiting(stream));

  function findStream(organisationId: number, id: number): DataStream {
    const stream = storage.getDataStream(organisationId, id);
    if (stream === undefined) throw apiError('data_stream_not_found', { id });
    return stream;
  }

  app.post<{ Body: DataStreamInput }>(
    BASE_PATH,
    {
      schema: {
        tags,
        summary: 'Create a data stream',
        description:
          'Before an S3 or Kinesis stream is stored, datastreamer assumes the role with the external id org-<organisation id> and writes ' +
          'a check object (S3) or check record (Kinesis); a failure answers 422 with a diagnosis. ' +
          'The url of a RestAPI stream must be https and its host must resolve to public addresses only, otherwise the call ' +
          'returns 422 naming destination.credentials.url. No request is sent to the url before records arrive. ' +
          'The stream starts Running. Its Location header names the new resource.',
        security: AUTH_TOKEN_SECURITY,
        body: dataStreamInputSchema,
        response: { 201: dataStreamViewSchema, 401: errorBodyRef, 422: errorBodyRef, 503: errorBodyRef },
      },
    },
    async (request, reply) => {
      const newStream = toNewDataStream(request.organisationId, request.body);
      if (newStream.destination.connection_type === 'RestAPI') await requireAllowedWebhookUrl(deps.config, newStream.destination.url, URL_FIELD);
      if (deps.config.setupCheckOnCreate) await requireSetupCheck(deps, request.organisationId, newStream.destination);

      const stream = storage.createDataStream(newStream);
      delivery.streamChanged(stream.id);

      request.log.info({ organisation_id: stream.organisation_id, stream_id: stream.id }, 'data stream created');
      return reply.code(201).header('location', `${BASE_PATH}/${stream.id}`).send(view(stream));
    },
  );

  app.get(
    BASE_PATH,
    {
      schema: {
        tags,
        summary: "List the organisation's data streams",
        security: AUTH_TOKEN_SECURITY,
        response: { 200: { type: 'array', items: dataStreamViewSchema }, 401: errorBodyRef },
      },
    },
    async (request) => storage.listDataStreams(request.organisationId).map(view),
  );

  app.get<{ Params: IdParams }>(
    `${BASE_PATH}/:id`,
    {
      preValidation: requireDecimalId,
      schema: {
        tags,
        summary: 'Show a data stream, with secrets masked',
        security: AUTH_TOKEN_SECURITY,
        params: dataStreamIdParamsSchema,
        response: { 200: dataStreamViewSchema, 401: errorBodyRef, 404: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request) => view(findStream(request.organisationId, request.params.id)),
  );

  app.patch<{ Params: IdParams; Body: DataStreamPatch }>(
    `${BASE_PATH}/:id`,
    {
      preValidation: requireDecimalId,
      schema: {
        tags,
        summary: 'Change, pause or resume a data stream',
        description:
          'Send only the fields to change, in the same places as in the create body. {"status": {"id": 2}} pauses: ' +
          'the stream keeps its place and delivers the records that arrive meanwhile once resumed with {"status": {"id": 1}}. ' +
          'Resuming an Error stream retries at once. name, filters (event streams), the S3 settings flush_size, ' +
          'rotate_interval, format, compression, server_side_encryption and kms_key_id, and the RestAPI settings url, method, ' +
          'headers, size and signing_secret can change; the rest of the destination, data_stream_type and stream_historic_data cannot. ' +
          'A new RestAPI url, and new S3 encryption settings, are checked as on create. Sending back a masked header value or signing_secret keeps the stored value.',
        security: AUTH_TOKEN_SECURITY,
        params: dataStreamIdParamsSchema,
        body: dataStreamPatchSchema,
        response: { 202: dataStreamViewSchema, 401: errorBodyRef, 404: errorBodyRef, 409: errorBodyRef, 422: errorBodyRef, 503: errorBodyRef },
      },
    },
    async (request, reply) => {
      const { id } = request.params;

      // A new url is checked first, because the check waits for DNS and must not sit between reading and writing the stream.
      const requestedUrl = request.body.destination?.credentials?.url;
      const before = findStream(request.organisationId, id);
      if (before.destination.connection_type === 'RestAPI' && requestedUrl !== undefined && requestedUrl !== before.destination.url) {
        await requireAllowedWebhookUrl(deps.config, requestedUrl, URL_FIELD);
      }

      // New S3 encryption settings need new permissions (kms:GenerateDataKey), so they are checked before they apply.
      const patched = applyDataStreamPatch(before, request.body);
      if (deps.config.setupCheckOnCreate && before.destination.connection_type === 'S3' && encryptionChanged(before.destination, patched.destination)) {
        await requireSetupCheck(deps, request.organisationId, patched.destination);
      }

      // No await between reading and writing, so no delivery update can slip in between.
      const current = findStream(request.organisationId, id);
      const changed = applyDataStreamPatch(current, request.body);
      if (!isDeepStrictEqual(changed, current)) {
        storage.updateDataStream(changed);
        delivery.streamChanged(id);
        if (current.status === StreamStatus.Error && changed.status === StreamStatus.Running) delivery.retryNow(id);

        request.log.info(
          { organisation_id: request.organisationId, stream_id: id, status: changed.status, fields: Object.keys(request.body) },
          'data stream changed',
        );
      }

      return reply.code(202).send(view(findStream(request.organisationId, id)));
    },
  );

  app.post<{ Params: IdParams }>(
    `${BASE_PATH}/:id/restart`,
    {
      preValidation: requireDecimalId,
      schema: {
        tags,
        summary: 'Retry delivery of a data stream now',
        description:
          'An Error stream becomes Running and retries at once, and a Running stream skips its wait before the next retry. ' +
          'last_error stays until a delivery succeeds. A Paused stream answers 409: resume it with PATCH {"status": {"id": 1}}.',
        security: AUTH_TOKEN_SECURITY,
        params: dataStreamIdParamsSchema,
        response: { 202: dataStreamViewSchema, 401: errorBodyRef, 404: errorBodyRef, 409: errorBodyRef, 422: errorBodyRef, 503: errorBodyRef },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const stream = findStream(request.organisationId, id);

      switch (stream.status) {
        case StreamStatus.Paused:
          throw apiError('stream_state_conflict', {
            id,
            status: STATUS_DESCRIPTIONS[stream.status],
            action: 'restarted',
            fix: `Resume it with PATCH ${BASE_PATH}/${id} and the body {"status": {"id": 1}}.`,
          });

        case StreamStatus.Pending:
          throw apiError('stream_state_conflict', { id, status: STATUS_DESCRIPTIONS[stream.status], action: 'restarted', fix: PENDING_STREAM_FIX });

        case StreamStatus.Error:
          // failing_since stays too, so a fault that persists moves the stream back to Error without a new grace period.
          storage.updateDataStream({ ...stream, status: StreamStatus.Running });
          delivery.streamChanged(id);
          delivery.retryNow(id);
          break;

        case StreamStatus.Running:
          delivery.retryNow(id);
          break;
      }

      request.log.info({ organisation_id: request.organisationId, stream_id: id, previous_status: stream.status }, 'data stream restarted');
      return reply.code(202).send(view(findStream(request.organisationId, id)));
    },
  );

  app.delete<{ Params: IdParams }>(
    `${BASE_PATH}/:id`,
    {
      preValidation: requireDecimalId,
      schema: {
        tags,
        summary: 'Delete a data stream',
        description:
          'Delivery of the stream stops. Records already delivered stay at the destination. ' +
          'A Pending stream answers 409 until its AWS setup check has finished.',
        security: AUTH_TOKEN_SECURITY,
        params: dataStreamIdParamsSchema,
        response: {
          202: { type: 'null', description: 'The stream is deleted.' },
          401: errorBodyRef,
          404: errorBodyRef,
          409: errorBodyRef,
          422: errorBodyRef,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;

      const stream = findStream(request.organisationId, id);
      if (stream.status === StreamStatus.Pending) {
        throw apiError('stream_state_conflict', { id, status: STATUS_DESCRIPTIONS[stream.status], action: 'deleted', fix: PENDING_STREAM_FIX });
      }
      if (!storage.deleteDataStream(request.organisationId, id)) throw apiError('data_stream_not_found', { id });
      delivery.streamChanged(id);

      request.log.info({ organisation_id: request.organisationId, stream_id: id }, 'data stream deleted');
      return reply.code(202).send();
    },
  );
};

function encryptionChanged(before: Destination, after: Destination): boolean {
  if (before.connection_type !== 'S3' || after.connection_type !== 'S3') return false;
  return before.server_side_encryption !== after.server_side_encryption || before.kms_key_id !== after.kms_key_id;
}
