import { isDeepStrictEqual } from 'node:util';

import {
  StreamStatus,
  type ConnectionType,
  type DataStream,
  type Destination,
  type S3Destination,
  type StreamFilter,
  type StreamStatusId,
} from '../storage/index.js';
import { checkS3Encryption, checkS3FormatPlacement, toStreamFilters } from './data-stream-input.js';
import { STATUS_DESCRIPTIONS } from './data-stream-view.js';
import { apiError, type FieldError } from './errors.js';
import { patchedRestDestination, REST_SETTINGS, type RestSettingsPatch } from './rest-credentials.js';

/** Body of `PATCH /api/v2/data_stream/{id}` after it passed dataStreamPatchSchema. */
export interface DataStreamPatch {
  name?: string;
  status?: { id: number };
  filters?: StreamFilter[];
  destination?: {
    connection_type?: unknown;
    format?: 'csv' | 'jsonl' | 'json';
    credentials?: S3SettingsPatch & RestSettingsPatch & Record<string, unknown>;
  };
  data_stream_type?: unknown;
  stream_historic_data?: unknown;
}

interface S3SettingsPatch {
  flush_size?: number;
  rotate_interval?: number;
  format?: 'csv' | 'jsonl';
  compression?: 'none' | 'gzip';
  server_side_encryption?: 'AES256' | 'aws:kms' | null;
  kms_key_id?: string | null;
}

/** Settings that only S3 streams have. */
const S3_SETTINGS: ReadonlySet<string> = new Set(['flush_size', 'rotate_interval', 'format', 'compression', 'server_side_encryption', 'kms_key_id']);

/**
 * Credentials that a PATCH may change, by connection type. Every other
 * credential names the destination and cannot change.
 */
const CHANGEABLE_SETTINGS: Readonly<Record<ConnectionType, ReadonlySet<string>>> = {
  S3: S3_SETTINGS,
  AwsKinesis: new Set(),
  RestAPI: REST_SETTINGS,
};

const NEW_DESTINATION_HINT = 'create a new stream to change the destination, then delete this one';

/** Advice for a request that a Pending stream rejects with 409. */
export const PENDING_STREAM_FIX =
  'An AWS setup check of its destination is in progress. Retry when the check has finished and the stream is no longer Pending.';

/**
 * Applies a schema-valid patch to a stream and returns the changed stream,
 * which the caller stores. Fields that are fixed at creation may be repeated
 * with their current value. Throws 422 `validation_failed` listing every
 * invalid change, and 409 `stream_state_conflict` for a status change of a
 * Pending stream.
 */
export function applyDataStreamPatch(stream: DataStream, patch: DataStreamPatch): DataStream {
  const errors: FieldError[] = [];

  if (Object.keys(patch).length === 0) {
    errors.push({ field: '', message: 'contains no change; send at least one of name, status, filters or destination' });
  }
  checkUnchanged(
    'data_stream_type',
    patch.data_stream_type,
    { id: stream.data_stream_type },
    errors,
    'create a new stream of the other type, then delete this one',
  );
  checkUnchanged(
    'stream_historic_data',
    patch.stream_historic_data,
    stream.stream_historic_data,
    errors,
    'it only sets where a new stream starts in the record log, so create a new stream with the value you need',
  );

  const status = patch.status === undefined ? stream.status : patchedStatus(patch.status.id, errors);
  const filters = patch.filters === undefined ? stream.filters : toStreamFilters(patch.filters, stream.data_stream_type, errors);
  const destination = patch.destination === undefined ? stream.destination : patchedDestination(stream.destination, patch.destination, errors);

  if (errors.length > 0) throw apiError('validation_failed', { part: 'body', count: errors.length }, errors);

  if (status !== stream.status && stream.status === StreamStatus.Pending) {
    throw apiError('stream_state_conflict', {
      id: stream.id,
      status: STATUS_DESCRIPTIONS[stream.status],
      action: status === StreamStatus.Paused ? 'paused' : 'resumed',
      fix: PENDING_STREAM_FIX,
    });
  }

  return { ...stream, name: patch.name ?? stream.name, status, filters, destination };
}

/**
 * Reports a fixed field whose value in the patch differs from the current
 * one. The message shows neither value, because a credential may be secret.
 */
function checkUnchanged(field: string, requested: unknown, current: unknown, errors: FieldError[], hint: string): void {
  if (requested === undefined || isDeepStrictEqual(requested, current)) return;
  errors.push({ field, message: `cannot be changed after the stream is created (send its current value or leave it out); ${hint}` });
}

/** Returns the requested status when a request may set it: 1 Running or 2 Paused. */
function patchedStatus(requested: number, errors: FieldError[]): StreamStatusId {
  switch (requested) {
    case StreamStatus.Running:
    case StreamStatus.Paused:
      return requested;

    case StreamStatus.Error:
      errors.push({
        field: 'status.id',
        message: 'cannot be set to 3 (Error), because only delivery sets it; send 1 to resume or 2 to pause, or POST /api/v2/data_stream/{id}/restart to retry an Error stream',
      });
      return StreamStatus.Error;

    case StreamStatus.Pending:
      errors.push({
        field: 'status.id',
        message: 'cannot be set to 4 (Pending), because a stream is Pending only while an AWS setup check runs; send 1 to resume or 2 to pause',
      });
      return StreamStatus.Pending;

    default:
      errors.push({ field: 'status.id', message: `must be 1 (resume) or 2 (pause), not ${requested}` });
      return StreamStatus.Running;
  }
}

function patchedDestination(current: Destination, patch: NonNullable<DataStreamPatch['destination']>, errors: FieldError[]): Destination {
  checkUnchanged('destination.connection_type', patch.connection_type, current.connection_type, errors, NEW_DESTINATION_HINT);

  const credentials = patch.credentials ?? {};
  for (const [name, value] of Object.entries(credentials)) {
    if (CHANGEABLE_SETTINGS[current.connection_type].has(name)) continue;

    const owner = connectionTypeWithSetting(name);
    if (owner !== undefined) {
      errors.push({ field: `destination.credentials.${name}`, message: `applies only to ${owner} streams, and this stream delivers to ${current.connection_type}; remove it` });
      continue;
    }
    checkUnchanged(`destination.credentials.${name}`, value, (current as unknown as Record<string, unknown>)[name], errors, NEW_DESTINATION_HINT);
  }

  if (current.connection_type === 'S3') return patchedS3Destination(current, patch.format, credentials, errors);

  if (patch.format !== undefined && patch.format !== 'json') {
    errors.push({ field: 'destination.format', message: `must be "json" for ${current.connection_type} streams, not "${patch.format}"; their records are always JSON` });
  }
  if (current.connection_type === 'RestAPI') return patchedRestDestination(current, credentials, errors);
  return current;
}

/** Returns the connection type whose streams may change the setting `name`, if any. */
function connectionTypeWithSetting(name: string): ConnectionType | undefined {
  const types = Object.keys(CHANGEABLE_SETTINGS) as ConnectionType[];
  return types.find((type) => CHANGEABLE_SETTINGS[type].has(name));
}

function patchedS3Destination(
  current: S3Destination,
  destinationFormat: 'csv' | 'jsonl' | 'json' | undefined,
  credentials: S3SettingsPatch,
  errors: FieldError[],
): S3Destination {
  let s3Format: 'csv' | 'jsonl' | undefined;
  if (destinationFormat === 'json') {
    errors.push({ field: 'destination.format', message: 'must be "csv" or "jsonl" for S3 streams, not "json"' });
  } else {
    s3Format = destinationFormat;
    checkS3FormatPlacement(s3Format, credentials.format, errors);
  }

  // Setting another encryption without naming a key drops the KMS key, which applies only with "aws:kms".
  const encryption = credentials.server_side_encryption !== undefined ? credentials.server_side_encryption : current.server_side_encryption;
  let kmsKeyId = encryption === 'aws:kms' ? current.kms_key_id : null;
  if (credentials.kms_key_id !== undefined) kmsKeyId = credentials.kms_key_id;
  checkS3Encryption(encryption, kmsKeyId, errors);

  return {
    ...current,
    flush_size: credentials.flush_size ?? current.flush_size,
    rotate_interval: credentials.rotate_interval ?? current.rotate_interval,
    format: credentials.format ?? s3Format ?? current.format,
    compression: credentials.compression ?? current.compression,
    server_side_encryption: encryption,
    kms_key_id: kmsKeyId,
  };
}
