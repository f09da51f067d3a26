import type { FastifyPluginAsync } from 'fastify';

import type { IdDescription } from '../../records/types.js';
import { StreamStatus, StreamType, type ConnectionType } from '../../storage/index.js';
import { STATUS_DESCRIPTIONS, STREAM_TYPE_DESCRIPTIONS } from '../data-stream-view.js';
import type { ApiDeps } from '../deps.js';
import { errorBodyRef } from '../errors.js';
import { AUTH_TOKEN_SECURITY, requireAuthToken } from '../request-auth.js';

const BASE_PATH = '/api/v2/data_stream';

/**
 * Ids of the connection types in this lookup list. Streams name their
 * connection type by the string (the description), so these ids appear
 * nowhere else in the v2 API.
 */
const CONNECTION_TYPE_IDS: Readonly<Record<ConnectionType, number>> = { S3: 1, AwsKinesis: 2, RestAPI: 3 };

const STATUSES: IdDescription[] = Object.values(StreamStatus).map((id) => ({ id, description: STATUS_DESCRIPTIONS[id] }));

const STREAM_TYPES: IdDescription[] = Object.values(StreamType).map((id) => ({ id, description: STREAM_TYPE_DESCRIPTIONS[id] }));

const CONNECTION_TYPES: IdDescription[] = Object.entries(CONNECTION_TYPE_IDS).map(([description, id]) => ({ id, description }));

const FILTER_FIELD_TYPES: IdDescription[] = [{ id: 1, description: 'event_type_id' }];

const lookupListSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'description'],
    properties: { id: { type: 'integer' }, description: { type: 'string' } },
  },
};

const LOOKUPS: { path: string; summary: string; entries: IdDescription[] }[] = [
  { path: 'status', summary: 'List the data stream status ids', entries: STATUSES },
  { path: 'type', summary: 'List the data stream type ids (data_stream_type)', entries: STREAM_TYPES },
  { path: 'connection_type', summary: 'List the destination connection types; the description is the connection_type value', entries: CONNECTION_TYPES },
  { path: 'filter_field_type', summary: 'List the fields that data stream filters can match', entries: FILTER_FIELD_TYPES },
];

/**
 * Lookup lists of the v2 data stream resource, `[{id, description}]`. They
 * are registered before the `{id}` routes, and ids are decimal only, so a
 * lookup path never reads as a stream id.
 */
export const dataStreamLookupRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.addHook('onRequest', requireAuthToken(deps.jwtSecret));

  for (const lookup of LOOKUPS) {
    app.get(
      `${BASE_PATH}/${lookup.path}`,
      {
        schema: {
          tags: ['Data streams'],
          summary: lookup.summary,
          security: AUTH_TOKEN_SECURITY,
          response: { 200: lookupListSchema, 401: errorBodyRef },
        },
      },
      async () => lookup.entries,
    );
  }
};
