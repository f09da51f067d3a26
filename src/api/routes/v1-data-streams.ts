import type { FastifyPluginAsync } from 'fastify';

import type { DataStream, NewDataStream, StreamFilter } from '../../storage/index.js';
import { requireSetupCheck } from '../aws-setup-check.js';
import { dataStreamIdParamsSchema } from '../data-stream-schemas.js';
import type { ApiDeps } from '../deps.js';
import { apiError, errorBodyRef } from '../errors.js';
import { AUTH_TOKEN_SECURITY, requireAuthToken } from '../request-auth.js';
import { requireAllowedWebhookUrl } from '../rest-url-check.js';
import {
  v1DataStreamInputSchema,
  v1DataStreamItemSchema,
  v1EventTypeListSchema,
  v1EventTypeParamsSchema,
} from '../v1-data-stream-schemas.js';
import {
  addEventTypeToFilters,
  filteredEventTypes,
  removeEventTypeFromFilters,
  toNewDataStreamFromV1,
  toV1DataStreamItem,
  type V1DataStreamInput,
} from '../v1-mapping.js';

const BASE_PATH = '/api/v1/data_stream';

const tags = ['Data streams (v1)'];

interface IdParams {
  id: number;
}

interface EventTypeParams {
  id: number;
  event_type_id: number;
}

const noContent = { type: 'null', description: 'Done.' };

/**
 * The v1 data stream resource, kept for existing scripts. It reads and
 * changes the same streams as /api/v2/data_stream, only those of the auth
 * token's organisation, and returns 404 for another organisation's ids.
 */
export const v1DataStreamRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { storage, delivery, jwtSecret } = deps;

  app.addHook('onRequest', requireAuthToken(jwtSecret));

  function findStream(organisationId: number, id: number): DataStream {
    const stream = storage.getDataStream(organisationId, id);
    if (stream === undefined) throw apiError('data_stream_not_found', { id });
    return stream;
  }

  // The one place where v1 stores a new stream.
  async function createStream(newStream: NewDataStream): Promise<DataStream> {
    if (newStream.destination.connection_type === 'RestAPI') await requireAllowedWebhookUrl(deps.config, newStream.destination.url, 'api_parameter');
    if (deps.config.setupCheckOnCreate) {
      await requireSetupCheck(deps, newStream.organisation_id, newStream.destination, (field) => (field === 'role_arn' ? 'api_username' : 'api_parameter'));
    }

    const stream = storage.createDataStream(newStream);
    delivery.streamChanged(stream.id);
    return stream;
  }

  // The filter helpers return stream.filters itself when nothing changes. The workers run in this process,
  // and the stream is read and written without an await in between, so no delivery state a worker stored is lost.
  function updateFilters(stream: DataStream, filters: StreamFilter[]): void {
    if (filters === stream.filters) return;

    storage.updateDataStream({ ...stream, filters });
    delivery.streamChanged(stream.id);
  }

  app.post<{ Body: V1DataStreamInput }>(
    BASE_PATH,
    {
      schema: {
        tags,
        summary: 'Create a data stream (v1)',
        description:
          'The stream starts Running. S3 streams (api_type 8) get the v2 defaults: flush_size 10000, rotate_interval 10000 ms, csv, ' +
          'no compression, no prefix. REST API streams send one JSON object per request (api_type 1) or JSON arrays of up to ' +
          '3000 records (api_type 6) to the URL in api_parameter, which is checked as in v2. A non-empty api_username, with ' +
          'api_password if given, is sent as HTTP Basic authentication. The Location header names the new resource.',
        security: AUTH_TOKEN_SECURITY,
        body: v1DataStreamInputSchema,
        response: { 201: v1DataStreamItemSchema, 401: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request, reply) => {
      const newStream = toNewDataStreamFromV1(request.organisationId, request.body);
      const stream = await createStream(newStream);

      request.log.info({ organisation_id: stream.organisation_id, stream_id: stream.id }, 'data stream created through v1');
      return reply.code(201).header('location', `${BASE_PATH}/${stream.id}`).send(toV1DataStreamItem(stream));
    },
  );

  app.get(
    BASE_PATH,
    {
      schema: {
        tags,
        summary: "List the organisation's data streams (v1)",
        description: 'Lists every stream, including those created through v2.',
        security: AUTH_TOKEN_SECURITY,
        response: { 200: { type: 'array', items: v1DataStreamItemSchema }, 401: errorBodyRef },
      },
    },
    async (request) => storage.listDataStreams(request.organisationId).map(toV1DataStreamItem),
  );

  app.get<{ Params: IdParams }>(
    `${BASE_PATH}/:id`,
    {
      schema: {
        tags,
        summary: 'Show a data stream (v1)',
        security: AUTH_TOKEN_SECURITY,
        params: dataStreamIdParamsSchema,
        response: { 200: v1DataStreamItemSchema, 401: errorBodyRef, 404: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request) => toV1DataStreamItem(findStream(request.organisationId, request.params.id)),
  );

  app.delete<{ Params: IdParams }>(
    `${BASE_PATH}/:id`,
    {
      schema: {
        tags,
        summary: 'Delete a data stream (v1)',
        description:
          'Returns 204 once the stream is deleted. Its worker stops shortly after. Records already delivered stay at the destination.',
        security: AUTH_TOKEN_SECURITY,
        params: dataStreamIdParamsSchema,
        response: { 204: noContent, 401: errorBodyRef, 404: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!storage.deleteDataStream(request.organisationId, id)) throw apiError('data_stream_not_found', { id });
      delivery.streamChanged(id);

      request.log.info({ organisation_id: request.organisationId, stream_id: id }, 'data stream deleted through v1');
      return reply.code(204).send();
    },
  );

  app.get<{ Params: IdParams }>(
    `${BASE_PATH}/:id/filter/event_type`,
    {
      schema: {
        tags,
        summary: 'List the event types a data stream delivers (v1)',
        description: 'An empty list means no filter: the stream delivers every event type. Usage-only streams return an empty list.',
        security: AUTH_TOKEN_SECURITY,
        params: dataStreamIdParamsSchema,
        response: { 200: v1EventTypeListSchema, 401: errorBodyRef, 404: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request) => filteredEventTypes(findStream(request.organisationId, request.params.id)),
  );

  app.put<{ Params: EventTypeParams }>(
    `${BASE_PATH}/:id/filter/event_type/:event_type_id`,
    {
      schema: {
        tags,
        summary: 'Add an event type to the filter of a data stream (v1)',
        description:
          'Once a type is added, the stream delivers only the listed event types. Adding a listed type again changes nothing. ' +
          'Returns 422 for an unknown event type and for a usage-only stream.',
        security: AUTH_TOKEN_SECURITY,
        params: v1EventTypeParamsSchema,
        response: { 204: noContent, 401: errorBodyRef, 404: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request, reply) => {
      const { id, event_type_id } = request.params;
      const stream = findStream(request.organisationId, id);

      updateFilters(stream, addEventTypeToFilters(stream, event_type_id));

      request.log.info({ organisation_id: request.organisationId, stream_id: id, event_type_id }, 'event type added to the stream filter');
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: EventTypeParams }>(
    `${BASE_PATH}/:id/filter/event_type/:event_type_id`,
    {
      schema: {
        tags,
        summary: 'Remove an event type from the filter of a data stream (v1)',
        description:
          'Removing the last listed type removes the filter, so the stream delivers every event type again. Removing a type ' +
          'that is not listed changes nothing. Returns 422 for a stream without a filter, which already delivers every type.',
        security: AUTH_TOKEN_SECURITY,
        params: v1EventTypeParamsSchema,
        response: { 204: noContent, 401: errorBodyRef, 404: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request, reply) => {
      const { id, event_type_id } = request.params;
      const stream = findStream(request.organisationId, id);

      updateFilters(stream, removeEventTypeFromFilters(stream, event_type_id));

      request.log.info({ organisation_id: request.organisationId, stream_id: id, event_type_id }, 'event type removed from the stream filter');
      return reply.code(204).send();
    },
  );
};
