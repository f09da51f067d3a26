import { EVENT_TYPES, findEventType } from '../records/event-types.js';
import type { IdDescription } from '../records/types.js';
import {
  StreamStatus,
  StreamType,
  type DataStream,
  type Destination,
  type NewDataStream,
  type StreamError,
  type StreamFilter,
  type StreamStatusId,
  type StreamTypeId,
} from '../storage/index.js';
import { AWS_FORMATS, type AwsFormat } from './aws-formats.js';
import { basicAuthHeader, basicAuthUser } from './basic-auth-header.js';
import { toNewDataStream, type DataStreamInput } from './data-stream-input.js';
import { REST_DEFAULTS } from './data-stream-schemas.js';
import { apiError, type FieldError } from './errors.js';
import { describeValue } from './schema-errors.js';

/**
 * Translation between the v1 data stream resource and the stored streams
 * that v2 shows. v1 names the destination by `api_type` and packs its
 * settings into `api_username` and `api_parameter`: the role ARN and
 * "<region>/<bucket or stream name>" for AWS destinations, the Basic
 * authentication user and the endpoint URL for REST API streams. It edits
 * the event type filter one type at a time.
 */

/** Destination kinds as v1 numbers them. */
export const ApiType = { RestApi: 1, AwsKinesis: 4, RestApiBulk: 6, AwsS3: 8 } as const;
export type ApiTypeId = (typeof ApiType)[keyof typeof ApiType];

const API_TYPE_DESCRIPTIONS: Record<ApiTypeId, string> = {
  1: 'REST API',
  4: 'AWS Kinesis',
  6: 'REST API Bulk',
  8: 'AWS S3',
};

const STREAM_TYPE_DESCRIPTIONS: Record<StreamTypeId, string> = {
  1: 'Usage',
  2: 'Events',
  3: 'Usage & Events',
};

const STATUS_DESCRIPTIONS: Record<StreamStatusId, string> = {
  1: 'Running',
  2: 'Paused',
  3: 'Error',
  4: 'Pending',
};

/** Body of `POST /api/v1/data_stream` after it passed v1DataStreamInputSchema. */
export interface V1DataStreamInput {
  name?: string;
  stream_historic_data?: 0 | 1;
  data_stream_type: { id: StreamTypeId; description?: string };
  api_type: { id: ApiTypeId; description?: string };
  api_username: string;
  api_parameter: string;
  api_password?: string;
}

/** A stream as the v1 list returns it. */
export interface V1DataStreamItem {
  id: number;
  name: string;
  stream_historic_data: 0 | 1;
  data_stream_type: IdDescription;
  api_type: IdDescription;
  api_username: string | null;
  api_parameter: string;
  status: IdDescription;
  active: boolean;
  running: boolean;
  last_result_code: number;
  last_error: StreamError | null;
  last_dispatched_timestamp: string | null;
  created: string;
}

/**
 * Checks the fields whose format depends on api_type and builds the stream
 * to store, with the same defaults as a v2 stream. Throws a 422
 * `validation_failed` error that lists every problem found.
 */
export function toNewDataStreamFromV1(organisationId: number, input: V1DataStreamInput): NewDataStream {
  const errors: FieldError[] = [];

  const destination = toDestinationInput(input, errors);

  if (destination === undefined || errors.length > 0) throw apiError('validation_failed', { part: 'body', count: errors.length }, errors);

  return toNewDataStream(organisationId, {
    name: input.name,
    data_stream_type: { id: input.data_stream_type.id },
    destination,
    stream_historic_data: input.stream_historic_data === 1,
  });
}

/** Builds the v1 view of a stream, whether it was created through v1 or v2. */
export function toV1DataStreamItem(stream: DataStream): V1DataStreamItem {
  const api = toApiFields(stream.destination);

  return {
    id: stream.id,
    name: stream.name,
    stream_historic_data: stream.stream_historic_data ? 1 : 0,
    data_stream_type: { id: stream.data_stream_type, description: STREAM_TYPE_DESCRIPTIONS[stream.data_stream_type] },
    api_type: { id: api.api_type, description: API_TYPE_DESCRIPTIONS[api.api_type] },
    api_username: api.api_username,
    api_parameter: api.api_parameter,
    status: { id: stream.status, description: STATUS_DESCRIPTIONS[stream.status] },
    active: stream.status === StreamStatus.Running || stream.status === StreamStatus.Error,
    running: stream.status === StreamStatus.Running,
    last_result_code: lastResultCode(stream.last_error),
    last_error: stream.last_error,
    last_dispatched_timestamp: stream.last_delivery,
    created: stream.created,
  };
}

// ---- Destination: api_type, api_username and api_parameter ----

/** Form of api_parameter for one api_type: what follows the region, and an example of the whole value. */
interface ApiParameterForm {
  nameLabel: string;
  nameFormat: AwsFormat;
  example: string;
}

const S3_PARAMETER: ApiParameterForm = {
  nameLabel: 'bucket name',
  nameFormat: AWS_FORMATS['s3-bucket-name'],
  example: 'eu-west-1/my-bucket',
};

const KINESIS_PARAMETER: ApiParameterForm = {
  nameLabel: 'stream name',
  nameFormat: AWS_FORMATS['kinesis-stream-name'],
  example: 'eu-west-1/my-stream',
};

function toDestinationInput(input: V1DataStreamInput, errors: FieldError[]): DataStreamInput['destination'] | undefined {
  const apiType = input.api_type.id;

  switch (apiType) {
    case ApiType.AwsS3: {
      checkRoleArn(input.api_username, errors);
      checkApiPasswordUnused(input.api_password, errors);
      const target = parseApiParameter(input.api_parameter, S3_PARAMETER, errors);
      if (target === undefined) return undefined;

      return { connection_type: 'S3', credentials: { region: target.region, bucket_name: target.name, role_arn: input.api_username } };
    }

    case ApiType.AwsKinesis: {
      checkRoleArn(input.api_username, errors);
      checkApiPasswordUnused(input.api_password, errors);
      const target = parseApiParameter(input.api_parameter, KINESIS_PARAMETER, errors);
      if (target === undefined) return undefined;

      return { connection_type: 'AwsKinesis', credentials: { region: target.region, stream_name: target.name, role_arn: input.api_username } };
    }

    // api_type 1 sends one object per request, and 6 sends arrays of up to the v2 default size.
    case ApiType.RestApi:
    case ApiType.RestApiBulk: {
      const headers = basicAuthHeaders(input.api_username, input.api_password, errors);
      const size = apiType === ApiType.RestApi ? 1 : REST_DEFAULTS.size;
      return { connection_type: 'RestAPI', credentials: { url: input.api_parameter, size, headers } };
    }
  }
}

/**
 * Returns the Authorization header for HTTP Basic authentication with
 * api_username and api_password, or no header when both are empty. A user
 * name without a password is sent with an empty password, as some endpoints
 * take an API key as the user name.
 */
function basicAuthHeaders(user: string, password: string | undefined, errors: FieldError[]): string[] {
  if (user === '') {
    if (password !== undefined && password !== '') {
      errors.push({ field: 'api_password', message: 'requires api_username, because both are sent as HTTP Basic authentication; add the user name' });
    }
    return [];
  }

  if (user.includes(':')) {
    errors.push({
      field: 'api_username',
      message: `${describeValue(user)} contains ":", which HTTP Basic authentication does not allow in a user name; remove it`,
    });
    return [];
  }
  return [basicAuthHeader(user, password ?? '')];
}

function checkApiPasswordUnused(password: string | undefined, errors: FieldError[]): void {
  if (password === undefined) return;
  errors.push({
    field: 'api_password',
    message: `applies only to REST API streams (api_type ${ApiType.RestApi} and ${ApiType.RestApiBulk}); remove it`,
  });
}

function checkRoleArn(value: string, errors: FieldError[]): void {
  const format = AWS_FORMATS['iam-role-arn'];
  if (format.validate(value)) return;

  errors.push({
    field: 'api_username',
    message: `${describeValue(value)} is not ${format.expected}. For AWS destinations api_username is the role that datastreamer assumes.`,
  });
}

/** Splits "<region>/<name>" and checks both parts with the formats that v2 uses for region and name. */
function parseApiParameter(value: string, form: ApiParameterForm, errors: FieldError[]): { region: string; name: string } | undefined {
  const expected = `Write api_parameter as "<region>/<${form.nameLabel}>", such as "${form.example}".`;
  const quotedValue = describeValue(value);
  const problems: string[] = [];

  const parts = value.split('/');
  if (parts.length !== 2) {
    problems.push(`${quotedValue} must contain exactly one "/" between the region and the ${form.nameLabel}, not ${parts.length - 1}.`);
  } else {
    const [region, name] = parts;
    const regionFormat = AWS_FORMATS['aws-region'];

    if (region === '') problems.push(`${quotedValue} has no region before the "/".`);
    else if (!regionFormat.validate(region)) problems.push(`${quotedValue} has the region ${describeValue(region)}, which is not ${regionFormat.expected}.`);

    if (name === '') problems.push(`${quotedValue} has no ${form.nameLabel} after the "/".`);
    else if (!form.nameFormat.validate(name)) problems.push(`${quotedValue} has the ${form.nameLabel} ${describeValue(name)}, which is not ${form.nameFormat.expected}.`);
  }

  for (const problem of problems) errors.push({ field: 'api_parameter', message: `${problem} ${expected}` });
  return problems.length === 0 ? { region: parts[0], name: parts[1] } : undefined;
}

function toApiFields(destination: Destination): { api_type: ApiTypeId; api_username: string | null; api_parameter: string } {
  switch (destination.connection_type) {
    case 'S3':
      return { api_type: ApiType.AwsS3, api_username: destination.role_arn, api_parameter: `${destination.region}/${destination.bucket_name}` };

    case 'AwsKinesis':
      return { api_type: ApiType.AwsKinesis, api_username: destination.role_arn, api_parameter: `${destination.region}/${destination.stream_name}` };

    // api_type 1 sends one object per request (size 1), and api_type 6 sends batches.
    case 'RestAPI':
      return {
        api_type: destination.size === 1 ? ApiType.RestApi : ApiType.RestApiBulk,
        api_username: basicAuthUser(destination.headers),
        api_parameter: destination.url,
      };
  }
}

// ---- Delivery state: last_result_code ----

/**
 * HTTP-like result codes for the delivery error codes (DeliveryError.code),
 * so v1 clients that test for a non-200 code see failures. The error code
 * string itself stays in last_error.
 */
const RESULT_CODES: Record<string, number> = {
  role_invalid: 400,
  bucket_wrong_region: 400,
  bucket_acl_not_supported: 400,
  credentials_expired: 401,
  role_not_assumable: 403,
  sts_region_disabled: 403,
  s3_put_object_denied: 403,
  kinesis_put_records_denied: 403,
  kms_access_denied: 403,
  endpoint_address_blocked: 400,
  bucket_not_found: 404,
  kinesis_stream_not_found: 404,
  throttled: 429,
  unexpected_error: 500,
  connection_type_not_supported: 501,
  server_error: 502,
  kinesis_records_rejected: 503,
  network_error: 504,
  endpoint_unreachable: 502,
  endpoint_timeout: 504,
};

/** Error code of a REST API endpoint that responded with a status other than 2xx, such as endpoint_http_503. */
const ENDPOINT_HTTP_ERROR = /^endpoint_http_(\d{3})$/;

const SUCCESS_RESULT_CODE = 200;
const UNKNOWN_FAILURE_RESULT_CODE = 500;

/**
 * Returns 200 while the stream has no last error (before its first failure
 * or after a successful delivery), the endpoint's own status when a REST API
 * endpoint responded with an error, else the code of the cause.
 */
export function lastResultCode(lastError: StreamError | null): number {
  if (lastError === null) return SUCCESS_RESULT_CODE;

  const endpointStatus = ENDPOINT_HTTP_ERROR.exec(lastError.code);
  if (endpointStatus !== null) return Number(endpointStatus[1]);
  return RESULT_CODES[lastError.code] ?? UNKNOWN_FAILURE_RESULT_CODE;
}

// ---- Event type filter, one type at a time ----

/** Lists the event types the stream is filtered to, in the filter's order. An empty list means every type. */
export function filteredEventTypes(stream: DataStream): IdDescription[] {
  return eventTypeIdsOf(stream.filters).map((id) => findEventType(id) ?? { id, description: 'Unknown event type' });
}

/**
 * Returns the stream's filters with `eventTypeId` added, or `stream.filters`
 * itself when the type is listed already. Throws a 422 when the stream
 * carries no events or the event type is unknown.
 */
export function addEventTypeToFilters(stream: DataStream, eventTypeId: number): StreamFilter[] {
  checkStreamHasEvents(stream);
  if (findEventType(eventTypeId) === undefined) {
    throw filterError(`${eventTypeId} is not a known event type id. Known ids are ${EVENT_TYPES.map((type) => type.id).join(', ')}.`);
  }

  const ids = eventTypeIdsOf(stream.filters);
  if (ids.includes(eventTypeId)) return stream.filters;
  return withEventTypeIds(stream.filters, [...ids, eventTypeId]);
}

/**
 * Returns the stream's filters without `eventTypeId`. Removing the last type
 * removes the filter, so the stream then delivers every event type. For a
 * type that is not listed it returns `stream.filters` itself. Throws a 422
 * when the stream carries no events or has no filter, because "every type
 * but this one" cannot be stored.
 */
export function removeEventTypeFromFilters(stream: DataStream, eventTypeId: number): StreamFilter[] {
  checkStreamHasEvents(stream);

  const ids = eventTypeIdsOf(stream.filters);
  if (ids.length === 0) {
    throw filterError(
      `${eventTypeId} cannot be removed, because data stream ${stream.id} has no event type filter and delivers every event type. ` +
        'Add the event types to deliver with PUT instead.',
    );
  }
  if (!ids.includes(eventTypeId)) return stream.filters;
  return withEventTypeIds(
    stream.filters,
    ids.filter((id) => id !== eventTypeId),
  );
}

function checkStreamHasEvents(stream: DataStream): void {
  if (stream.data_stream_type !== StreamType.Usage) return;

  throw apiError('validation_failed', { part: 'path', count: 1 }, [
    {
      field: 'id',
      message:
        `Data stream ${stream.id} carries usage records only (data_stream_type ${StreamType.Usage}), so it has no event type filter. ` +
        `Event type filters apply to data_stream_type ${StreamType.Event} (Events) and ${StreamType.UsageAndEvent} (Usage & Events).`,
    },
  ]);
}

function filterError(message: string) {
  return apiError('validation_failed', { part: 'path', count: 1 }, [{ field: 'event_type_id', message }]);
}

function eventTypeIdsOf(filters: StreamFilter[]): number[] {
  return filters.find((filter) => filter.field === 'event_type_id')?.value ?? [];
}

/** Replaces the event_type_id filter by `ids`, or drops it when `ids` is empty. Other filters stay. */
function withEventTypeIds(filters: StreamFilter[], ids: number[]): StreamFilter[] {
  const others = filters.filter((filter) => filter.field !== 'event_type_id');
  return ids.length === 0 ? others : [...others, { field: 'event_type_id', value: ids }];
}
