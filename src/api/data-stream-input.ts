import { EVENT_TYPES, isKnownEventType } from '../records/event-types.js';
import {
  StreamStatus,
  StreamType,
  type Destination,
  type KinesisDestination,
  type NewDataStream,
  type S3Destination,
  type StreamFilter,
  type StreamTypeId,
} from '../storage/index.js';
import { apiError, type FieldError } from './errors.js';
import { S3_DEFAULTS } from './data-stream-schemas.js';
import { toRestDestination, type RestDestinationInput } from './rest-credentials.js';

/** Body of `POST /api/v2/data_stream` after it passed dataStreamInputSchema. */
export interface DataStreamInput {
  name?: string;
  data_stream_type: { id: StreamTypeId };
  destination: S3DestinationInput | KinesisDestinationInput | RestDestinationInput;
  filters?: StreamFilter[];
  stream_historic_data?: boolean;
}

interface S3DestinationInput {
  connection_type: 'S3';
  format?: 'csv' | 'jsonl';
  credentials: {
    region: string;
    bucket_name: string;
    role_arn: string;
    prefix?: string;
    flush_size?: number;
    rotate_interval?: number;
    format?: 'csv' | 'jsonl';
    compression?: 'none' | 'gzip';
    server_side_encryption?: 'AES256' | 'aws:kms' | null;
    kms_key_id?: string | null;
  };
}

interface KinesisDestinationInput {
  connection_type: 'AwsKinesis';
  format?: 'json';
  credentials: { region: string; stream_name: string; role_arn: string };
}

/**
 * Checks the rules that span several fields of a schema-valid input and
 * builds the stream to store. New streams start Running. Throws a 422
 * `validation_failed` error that lists every problem found. The caller
 * checks a RestAPI URL with requireAllowedWebhookUrl, because that check
 * resolves the host name.
 */
export function toNewDataStream(organisationId: number, input: DataStreamInput): NewDataStream {
  const errors: FieldError[] = [];

  const destination = toDestination(input.destination, errors);
  const filters = toStreamFilters(input.filters ?? [], input.data_stream_type.id, errors);

  if (errors.length > 0) throw apiError('validation_failed', { part: 'body', count: errors.length }, errors);

  return {
    organisation_id: organisationId,
    name: input.name ?? `${input.destination.connection_type} stream`,
    data_stream_type: input.data_stream_type.id,
    status: StreamStatus.Running,
    destination,
    filters,
    stream_historic_data: input.stream_historic_data ?? false,
  };
}

function toDestination(input: DataStreamInput['destination'], errors: FieldError[]): Destination {
  switch (input.connection_type) {
    case 'S3':
      return toS3Destination(input, errors);
    case 'AwsKinesis':
      return toKinesisDestination(input);
    case 'RestAPI':
      return toRestDestination(input, errors);
  }
}

function toS3Destination(input: S3DestinationInput, errors: FieldError[]): S3Destination {
  const credentials = input.credentials;
  checkS3FormatPlacement(input.format, credentials.format, errors);

  const encryption = credentials.server_side_encryption ?? null;
  const kmsKeyId = credentials.kms_key_id ?? null;
  checkS3Encryption(encryption, kmsKeyId, errors);

  return {
    connection_type: 'S3',
    region: credentials.region,
    bucket_name: credentials.bucket_name,
    role_arn: credentials.role_arn,
    prefix: credentials.prefix ?? S3_DEFAULTS.prefix,
    flush_size: credentials.flush_size ?? S3_DEFAULTS.flush_size,
    rotate_interval: credentials.rotate_interval ?? S3_DEFAULTS.rotate_interval,
    format: credentials.format ?? input.format ?? S3_DEFAULTS.format,
    compression: credentials.compression ?? S3_DEFAULTS.compression,
    server_side_encryption: encryption,
    kms_key_id: kmsKeyId,
  };
}

function toKinesisDestination(input: KinesisDestinationInput): KinesisDestination {
  const { region, stream_name, role_arn } = input.credentials;
  return { connection_type: 'AwsKinesis', region, stream_name, role_arn };
}

/** Reports an S3 format given both at destination level and in the credentials with different values. */
export function checkS3FormatPlacement(destinationFormat: string | undefined, credentialsFormat: string | undefined, errors: FieldError[]): void {
  if (destinationFormat === undefined || credentialsFormat === undefined || destinationFormat === credentialsFormat) return;

  errors.push({
    field: 'destination.credentials.format',
    message: `"${credentialsFormat}" contradicts destination.format "${destinationFormat}"; give the format in one place only`,
  });
}

/** Reports a kms_key_id missing with "aws:kms" encryption, or given with another encryption. */
export function checkS3Encryption(encryption: S3Destination['server_side_encryption'], kmsKeyId: string | null, errors: FieldError[]): void {
  if (encryption === 'aws:kms' && kmsKeyId === null) {
    errors.push({ field: 'destination.credentials.kms_key_id', message: 'is required when server_side_encryption is "aws:kms"' });
  }
  if (encryption !== 'aws:kms' && kmsKeyId !== null) {
    errors.push({
      field: 'destination.credentials.kms_key_id',
      message: 'applies only with server_side_encryption "aws:kms"; set server_side_encryption to "aws:kms" or remove kms_key_id',
    });
  }
}

/**
 * Checks schema-valid filters against the stream type and the event type
 * catalogue, and returns a copy to store. An empty list means no filter.
 */
export function toStreamFilters(filters: StreamFilter[], dataStreamType: StreamTypeId, errors: FieldError[]): StreamFilter[] {
  if (filters.length === 0) return [];

  // Filters select event types; a Usage & Events stream (type 3) applies them to its events only.
  if (dataStreamType === StreamType.Usage) {
    errors.push({
      field: 'filters',
      message: 'apply only to streams with events (data_stream_type 2 or 3), not to usage streams; remove the filters or change the type',
    });
    return [];
  }

  filters.forEach((filter, index) => {
    const unknown = filter.value.filter((id) => !isKnownEventType(id));
    if (unknown.length === 0) return;

    errors.push({
      field: `filters.${index}.value`,
      message: `contains unknown event type id(s) ${unknown.join(', ')}; known ids are ${EVENT_TYPES.map((type) => type.id).join(', ')}`,
    });
  });
  return filters.map((filter) => ({ field: filter.field, value: [...filter.value] }));
}
