import { MAX_NAME_LENGTH } from './data-stream-schemas.js';

/**
 * JSON schemas of the v1 data stream resource, the older view of the same
 * streams as /api/v2/data_stream. The body schema checks types and ids only.
 * v1-mapping.ts checks api_username and api_parameter, because their formats
 * depend on api_type.
 */

// A client may send back the {id, description} pairs it read, so description is allowed and ignored.
function idReference(ids: number[], description: string) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: {
      id: { type: 'integer', enum: ids, description },
      description: { type: 'string', description: 'Ignored, because the id decides.' },
    },
  };
}

export const v1DataStreamInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['data_stream_type', 'api_type', 'api_username', 'api_parameter'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH, description: 'Default: "<connection_type> stream", as in v2.' },
    stream_historic_data: {
      type: 'integer',
      enum: [0, 1],
      default: 0,
      description: '1 starts at the oldest retained record of the organisation, 0 at the newest.',
    },
    data_stream_type: idReference([1, 2, 3], '1 Usage, 2 Events, 3 Usage & Events.'),
    api_type: idReference(
      [1, 4, 6, 8],
      '1 REST API (one record per request), 4 AWS Kinesis, 6 REST API Bulk (arrays of up to 3000 records), 8 AWS S3.',
    ),
    api_username: {
      type: 'string',
      maxLength: 2048,
      description:
        'For AWS destinations: the ARN of the role that datastreamer assumes, with the external id org-<organisation id>. ' +
        'For REST API streams: empty, or the user name of HTTP Basic authentication, sent with api_password (empty when omitted).',
    },
    api_parameter: {
      type: 'string',
      maxLength: 2048,
      description:
        'For AWS destinations: "<region>/<bucket name>" for S3, such as "eu-west-1/my-bucket", or "<region>/<stream name>" for Kinesis. ' +
        'For REST API streams: the https URL of the endpoint.',
    },
    api_password: {
      type: 'string',
      maxLength: 1024,
      description: 'REST API streams only: the password of HTTP Basic authentication. It is never returned.',
    },
  },
};

const idDescription = {
  type: 'object',
  required: ['id', 'description'],
  properties: { id: { type: 'integer' }, description: { type: 'string' } },
};

export const v1DataStreamItemSchema = {
  type: 'object',
  required: [
    'id',
    'name',
    'stream_historic_data',
    'data_stream_type',
    'api_type',
    'api_username',
    'api_parameter',
    'status',
    'active',
    'running',
    'last_result_code',
    'last_error',
    'last_dispatched_timestamp',
    'created',
  ],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    stream_historic_data: { type: 'integer', enum: [0, 1] },
    data_stream_type: idDescription,
    api_type: idDescription,
    api_username: {
      type: ['string', 'null'],
      description: 'Role ARN of AWS destinations. For REST API streams the user name of HTTP Basic authentication, or null without it.',
    },
    api_parameter: { type: 'string', description: '"<region>/<bucket or stream name>" for AWS destinations, the URL for REST API streams.' },
    status: { ...idDescription, description: '1 Running, 2 Paused, 3 Error, 4 Pending.' },
    active: { type: 'boolean', description: 'True while the stream is Running or in Error, so its worker keeps trying.' },
    running: { type: 'boolean', description: 'True while the stream is Running.' },
    last_result_code: {
      type: 'integer',
      description:
        '200 while the stream has no last error, before its first failure and again after a successful delivery. The status a ' +
        'REST API endpoint answered with, when it answered with an error. Else an HTTP-like code by cause: 400 invalid setting ' +
        '(including an endpoint address that is not allowed), 401 expired credentials, 403 permission or trust, 404 bucket or ' +
        'stream missing, 429 throttled, 500 unexpected, 501 destination not supported, 502 server error or endpoint unreachable, ' +
        '503 records rejected, 504 network error or endpoint timeout.',
    },
    last_error: {
      type: ['object', 'null'],
      required: ['code', 'message', 'at'],
      description: 'The failure behind last_result_code, as in v2. It is null again after a successful delivery.',
      properties: { code: { type: 'string' }, message: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
    },
    last_dispatched_timestamp: { type: ['string', 'null'], format: 'date-time', description: 'Time of the last successful delivery.' },
    created: { type: 'string', format: 'date-time' },
  },
};

export const v1EventTypeListSchema = {
  type: 'array',
  description: 'Event types the stream delivers. An empty list means no filter: every event type is delivered.',
  items: idDescription,
};

export const v1EventTypeParamsSchema = {
  type: 'object',
  required: ['id', 'event_type_id'],
  properties: {
    id: { type: 'integer', minimum: 1, description: 'Data stream id.' },
    event_type_id: { type: 'integer', minimum: 0, description: 'Event type id, as in the records.' },
  },
};
