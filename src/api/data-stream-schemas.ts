import { MASK } from './data-stream-view.js';

/**
 * JSON schemas of the v2 data stream resource: the input of
 * `POST /api/v2/data_stream` and the view that every call returns. Input
 * schemas reject unknown properties, so a misspelt field is reported
 * instead of ignored. Defaults are documented here and applied by
 * data-stream-input.ts, because the body validator does not write them.
 */

export const S3_DEFAULTS = {
  prefix: '',
  flush_size: 10_000,
  rotate_interval: 10_000,
  format: 'csv',
  compression: 'none',
} as const;

export const REST_DEFAULTS = {
  method: 'POST',
  size: 3000,
} as const;

export const MAX_NAME_LENGTH = 255;

/** Maximum number of request headers a RestAPI stream may add. */
export const MAX_REST_HEADERS = 50;

/** Length limits of a RestAPI signing secret. */
export const SIGNING_SECRET_LENGTH = { min: 16, max: 256 } as const;

const roleArn = {
  type: 'string',
  format: 'iam-role-arn',
  maxLength: 2048,
  description: 'Role in your account that datastreamer assumes, with the external id org-<organisation id>.',
};

const region = { type: 'string', format: 'aws-region', maxLength: 32, description: 'AWS region code, such as eu-west-1.' };

const s3Format = { type: 'string', enum: ['csv', 'jsonl'], description: `File format, "${S3_DEFAULTS.format}" by default.` };

/** S3 settings that do not name the destination, so a PATCH may change them. */
const s3Settings = {
  flush_size: {
    type: 'integer',
    minimum: 10,
    maximum: 100_000,
    default: S3_DEFAULTS.flush_size,
    description: 'Maximum records per file.',
  },
  rotate_interval: {
    type: 'integer',
    minimum: 10_000,
    maximum: 900_000,
    default: S3_DEFAULTS.rotate_interval,
    description: 'Maximum time between the first record of a file and its upload, in milliseconds.',
  },
  format: s3Format,
  compression: { type: 'string', enum: ['none', 'gzip'], default: S3_DEFAULTS.compression },
  server_side_encryption: {
    type: ['string', 'null'],
    enum: ['AES256', 'aws:kms', null],
    default: null,
    description: 'Server-side encryption of the files. With null, the bucket default applies.',
  },
  kms_key_id: {
    type: ['string', 'null'],
    minLength: 1,
    maxLength: 2048,
    default: null,
    description: 'KMS key id, alias or ARN. Required with server_side_encryption "aws:kms".',
  },
};

const s3Credentials = {
  type: 'object',
  additionalProperties: false,
  required: ['region', 'bucket_name', 'role_arn'],
  properties: {
    region,
    bucket_name: { type: 'string', format: 's3-bucket-name', description: 'Bucket that receives the files.' },
    role_arn: roleArn,
    prefix: {
      type: 'string',
      format: 's3-key-prefix',
      maxLength: 512,
      default: S3_DEFAULTS.prefix,
      description: 'Start of every object key, such as "datastreamer/". It must not start with "/".',
    },
    ...s3Settings,
  },
};

const kinesisCredentials = {
  type: 'object',
  additionalProperties: false,
  required: ['region', 'stream_name', 'role_arn'],
  properties: {
    region,
    stream_name: { type: 'string', format: 'kinesis-stream-name', description: 'Kinesis data stream that receives the records.' },
    role_arn: roleArn,
  },
};

const restUrl = {
  type: 'string',
  minLength: 1,
  maxLength: 2048,
  description:
    'Endpoint that receives the records, such as https://example.com/hook. It must be https, and its host must resolve to ' +
    'public addresses only. The operator setting DATASTREAMER_REST_ALLOW_LOCAL also allows http and local addresses.',
};

const restSigningSecret = {
  type: ['string', 'null'],
  minLength: SIGNING_SECRET_LENGTH.min,
  maxLength: SIGNING_SECRET_LENGTH.max,
  default: null,
  description:
    'Key of the HMAC-SHA256 signature in the X-Datastreamer-Signature header of every request. With null, requests are not signed.',
};

/** RestAPI settings other than the URL, with the limits that both create and PATCH apply. */
const restSettings = {
  method: { type: 'string', enum: ['POST', 'PUT', 'PATCH'], default: REST_DEFAULTS.method, description: 'HTTP method of every request.' },
  headers: {
    type: 'array',
    maxItems: MAX_REST_HEADERS,
    default: [],
    description:
      'Extra request headers as "Name: value" lines, such as "Authorization: Bearer abc". Values are masked when read back. ' +
      'Host, Content-Length, Content-Type, User-Agent, Transfer-Encoding, Connection and the other hop-by-hop headers, and ' +
      'names starting with X-Datastreamer-, are set by the service and rejected here.',
    items: { type: 'string', maxLength: 8192 },
  },
  size: {
    type: 'integer',
    minimum: 1,
    maximum: 10_000,
    default: REST_DEFAULTS.size,
    description: 'Records per request. 1 sends each record as one JSON object; more sends a JSON array of up to this many records.',
  },
  signing_secret: restSigningSecret,
};

const restCredentials = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: { url: restUrl, ...restSettings },
};

const destinationInput = {
  type: 'object',
  required: ['connection_type', 'credentials'],
  discriminator: { propertyName: 'connection_type' },
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['connection_type', 'credentials'],
      properties: {
        connection_type: { const: 'S3' },
        format: s3Format,
        credentials: s3Credentials,
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['connection_type', 'credentials'],
      properties: {
        connection_type: { const: 'AwsKinesis' },
        format: { type: 'string', enum: ['json'], description: 'Kinesis records are always JSON.' },
        credentials: kinesisCredentials,
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['connection_type', 'credentials'],
      properties: {
        connection_type: { const: 'RestAPI' },
        format: { type: 'string', enum: ['json'], description: 'Request bodies are always JSON.' },
        credentials: restCredentials,
      },
    },
  ],
};

const filtersInput = {
  type: 'array',
  maxItems: 1,
  description: 'Event streams only: deliver just the listed event types.',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['field', 'value'],
    properties: {
      field: { type: 'string', enum: ['event_type_id'] },
      value: { type: 'array', minItems: 1, maxItems: 1000, uniqueItems: true, items: { type: 'integer' } },
    },
  },
};

const nameInput = { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH };

export const dataStreamInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['data_stream_type', 'destination'],
  properties: {
    name: { ...nameInput, description: 'Default: "<connection_type> stream".' },
    data_stream_type: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: { type: 'integer', enum: [1, 2, 3], description: '1 Usage, 2 Event, 3 Usage & Events.' } },
    },
    destination: destinationInput,
    filters: filtersInput,
    stream_historic_data: {
      type: 'boolean',
      default: false,
      description: 'Start at the oldest retained record of the organisation instead of the newest.',
    },
  },
};

/** Fields of the create body that a PATCH may repeat with their current value but not change. */
const unchangeable = { description: 'Fixed when the stream is created. A PATCH may repeat the current value but not change it.' };

/** The S3 settings without their defaults, because a PATCH keeps the current value of a setting it omits. */
const s3SettingsPatch = Object.fromEntries(Object.entries(s3Settings).map(([name, schema]) => [name, withoutDefault(schema)]));

/**
 * The RestAPI settings without their defaults. The signing secret has no
 * minimum length here, because a PATCH may send back the mask it read to
 * keep the stored secret. rest-credentials.ts checks the length of a new one.
 */
const restSettingsPatch = {
  ...Object.fromEntries(Object.entries(restSettings).map(([name, schema]) => [name, withoutDefault(schema)])),
  headers: {
    ...withoutDefault(restSettings.headers),
    description: `${restSettings.headers.description} Replaces every header. A line with the masked value, such as "X-Api-Key: ${MASK}", keeps the stored value of that header.`,
  },
  signing_secret: {
    type: ['string', 'null'],
    maxLength: SIGNING_SECRET_LENGTH.max,
    description: `A new secret of ${SIGNING_SECRET_LENGTH.min} to ${SIGNING_SECRET_LENGTH.max} characters, null to stop signing, or "${MASK}" to keep the stored secret.`,
  },
};

function withoutDefault(schema: Record<string, unknown>): Record<string, unknown> {
  const { default: _default, ...rest } = schema;
  return rest;
}

/**
 * Body of `PATCH /api/v2/data_stream/{id}`: the create body's fields in the
 * same places, plus `status`. Every field is optional and an omitted field
 * keeps its value. data-stream-patch.ts rejects changes to unchangeable
 * fields, and settings of one connection type on streams of another.
 */
export const dataStreamPatchSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: nameInput,
    status: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: { type: 'integer', description: '1 resumes a Paused or Error stream, 2 pauses it.' } },
    },
    filters: { ...filtersInput, description: 'Event streams only: replaces the filters. An empty list removes them.' },
    destination: {
      type: 'object',
      additionalProperties: false,
      properties: {
        connection_type: unchangeable,
        format: { type: 'string', enum: ['csv', 'jsonl', 'json'], description: 'S3 streams: "csv" or "jsonl". Other streams: "json".' },
        credentials: {
          type: 'object',
          additionalProperties: false,
          description:
            'S3 and RestAPI streams may change their own settings listed here, except the unchangeable ones, which name the destination. ' +
            'A new RestAPI url is checked as on create.',
          properties: {
            region: unchangeable,
            bucket_name: unchangeable,
            role_arn: unchangeable,
            prefix: unchangeable,
            stream_name: unchangeable,
            ...s3SettingsPatch,
            url: restUrl,
            ...restSettingsPatch,
          },
        },
      },
    },
    data_stream_type: unchangeable,
    stream_historic_data: unchangeable,
  },
};

const idDescription = {
  type: 'object',
  required: ['id', 'description'],
  properties: { id: { type: 'integer' }, description: { type: 'string' } },
};

const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' };

function destinationViewBranch(connectionType: string, formats: string[], credentials: Record<string, unknown>) {
  return {
    type: 'object',
    required: ['connection_type', 'format', 'credentials'],
    properties: {
      connection_type: { type: 'string', const: connectionType },
      format: { type: 'string', enum: formats },
      credentials: { type: 'object', required: Object.keys(credentials), properties: credentials },
    },
  };
}

const maskedDescription = `Masked as "${MASK}".`;

/** The stored destination by connection_type. Secret values are masked. */
const destinationView = {
  type: 'object',
  description: 'Destination settings by connection_type, as in the create body, with defaults filled in and secret values masked.',
  oneOf: [
    destinationViewBranch('S3', ['csv', 'jsonl'], {
      region: { type: 'string' },
      bucket_name: { type: 'string' },
      role_arn: { type: 'string' },
      prefix: { type: 'string' },
      flush_size: { type: 'integer' },
      rotate_interval: { type: 'integer' },
      compression: { type: 'string', enum: ['none', 'gzip'] },
      server_side_encryption: { type: ['string', 'null'] },
      kms_key_id: { type: ['string', 'null'] },
    }),
    destinationViewBranch('AwsKinesis', ['json'], {
      region: { type: 'string' },
      stream_name: { type: 'string' },
      role_arn: { type: 'string' },
    }),
    destinationViewBranch('RestAPI', ['json'], {
      url: { type: 'string' },
      method: { type: 'string', enum: ['POST', 'PUT', 'PATCH'] },
      headers: { type: 'array', items: { type: 'string' }, description: `"Name: value" lines whose values are masked, such as "X-Api-Key: ${MASK}".` },
      size: { type: 'integer' },
      signing_secret: { type: ['string', 'null'], description: `${maskedDescription} null when requests are not signed.` },
    }),
  ],
};

export const dataStreamViewSchema = {
  type: 'object',
  required: ['id', 'name', 'data_stream_type', 'status', 'destination', 'filters', 'stream_historic_data', 'created', 'delivery'],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    data_stream_type: idDescription,
    status: { ...idDescription, description: '1 Running, 2 Paused, 3 Error, 4 Pending.' },
    destination: destinationView,
    filters: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'value'],
        properties: { field: { type: 'string' }, value: { type: 'array', items: { type: 'integer' } } },
      },
    },
    stream_historic_data: { type: 'boolean' },
    created: { type: 'string', format: 'date-time' },
    delivery: {
      type: 'object',
      required: ['records_delivered', 'records_waiting', 'last_delivery', 'last_error'],
      properties: {
        records_delivered: { type: 'integer' },
        records_waiting: { type: 'integer' },
        last_delivery: nullableTimestamp,
        last_error: {
          type: ['object', 'null'],
          required: ['code', 'message', 'at'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
        },
      },
    },
  },
};

export const dataStreamIdParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, description: 'Data stream id.' } },
};
