import type { FastifyPluginAsync } from 'fastify';

import type { DataStream } from '../../storage/index.js';
import { dataStreamIdParamsSchema, dataStreamInputSchema, dataStreamViewSchema } from '../data-stream-schemas.js';
import { toNewDataStream, type DataStreamInput } from '../data-stream-input.js';
import { toDataStreamView } from '../data-stream-view.js';
import type { ApiDeps } from '../deps.js';
import { apiError, errorBodyRef } from '../errors.js';
import { AUTH_TOKEN_SECURITY, requireAuthToken } from '../request-auth.js';

const BASE_PATH = '/api/v2/data_stream';

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
        description: 'The stream starts Running. Its Location header names the new resource.',
        security: AUTH_TOKEN_SECURITY,
        body: dataStreamInputSchema,
        response: { 201: dataStreamViewSchema, 401: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request, reply) => {
      const stream = storage.createDataStream(toNewDataStream(request.organisationId, request.body));
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

  app.delete<{ Params: IdParams }>(
    `${BASE_PATH}/:id`,
    {
      schema: {
        tags,
        summary: 'Delete a data stream',
        description: 'Delivery of the stream stops. Records already delivered stay at the destination.',
        security: AUTH_TOKEN_SECURITY,
        params: dataStreamIdParamsSchema,
        response: { 202: { type: 'null', description: 'The stream is deleted.' }, 401: errorBodyRef, 404: errorBodyRef, 422: errorBodyRef },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!storage.deleteDataStream(request.organisationId, id)) throw apiError('data_stream_not_found', { id });
      delivery.streamChanged(id);

      request.log.info({ organisation_id: request.organisationId, stream_id: id }, 'data stream deleted');
      return reply.code(202).send();
    },
  );
};
