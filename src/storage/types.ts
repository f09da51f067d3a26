import type { RecordKind } from '../records/types.js';

/**
 * The storage contract shared by the API and the delivery workers. SQLite
 * implements it for one instance; a PostgreSQL implementation can be added
 * behind the same interface.
 */

export interface Organisation {
  id: number;
  name: string;
  created: string;
}

export interface ApplicationToken {
  id: number;
  organisation_id: number;
  description: string;
  created: string;
  last_used: string | null;
  revoked: string | null;
}

export interface StoredRefreshToken {
  organisation_id: number;
  /** The application token this refresh token was issued from; null only for rows older than that link. */
  application_token_id: number | null;
  /** Expiry in ms since the epoch. */
  expires_at: number;
}

/** Stream status ids, as the data streamer API has always numbered them. */
export const StreamStatus = {
  Running: 1,
  Paused: 2,
  Error: 3,
  Pending: 4,
} as const;
export type StreamStatusId = (typeof StreamStatus)[keyof typeof StreamStatus];

/** Record kinds of a stream: 1 Usage, 2 Event, 3 both. */
export const StreamType = { Usage: 1, Event: 2, UsageAndEvent: 3 } as const;
export type StreamTypeId = (typeof StreamType)[keyof typeof StreamType];

export type ConnectionType = 'S3' | 'AwsKinesis' | 'RestAPI';

export interface S3Destination {
  connection_type: 'S3';
  region: string;
  bucket_name: string;
  role_arn: string;
  prefix: string;
  flush_size: number;
  rotate_interval: number;
  format: 'csv' | 'jsonl';
  compression: 'none' | 'gzip';
  server_side_encryption: 'AES256' | 'aws:kms' | null;
  kms_key_id: string | null;
}

export interface KinesisDestination {
  connection_type: 'AwsKinesis';
  region: string;
  stream_name: string;
  role_arn: string;
}

export interface RestApiDestination {
  connection_type: 'RestAPI';
  url: string;
  method: 'POST' | 'PUT' | 'PATCH';
  headers: string[];
  size: number;
  signing_secret: string | null;
}

export type Destination = S3Destination | KinesisDestination | RestApiDestination;

export interface StreamFilter {
  field: 'event_type_id';
  value: number[];
}

export interface StreamError {
  code: string;
  message: string;
  at: string;
}

export interface DataStream {
  id: number;
  organisation_id: number;
  name: string;
  data_stream_type: StreamTypeId;
  status: StreamStatusId;
  destination: Destination;
  filters: StreamFilter[];
  stream_historic_data: boolean;
  created: string;
  records_delivered: number;
  last_delivery: string | null;
  last_error: StreamError | null;
  /** Time the current run of failures began; null while deliveries succeed. */
  failing_since: string | null;
}

export interface NewDataStream {
  organisation_id: number;
  name: string;
  data_stream_type: StreamTypeId;
  status: StreamStatusId;
  destination: Destination;
  filters: StreamFilter[];
  stream_historic_data: boolean;
}

/** One record of the log, as stored at ingest. `body` is the record's JSON text. */
export interface LoggedRecord {
  seq: number;
  record_id: number;
  ingested_at: number;
  body: string;
}

export interface IngestRecord {
  organisation_id: number;
  record_id: number;
  body: string;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

/**
 * A file whose record range is fixed before its upload. `first_seq` and
 * `last_seq` bound the log positions it covers, so a retry rebuilds the
 * same content under the same key.
 */
export interface PlannedS3File {
  stream_id: number;
  kind: RecordKind;
  first_seq: number;
  last_seq: number;
  key: string;
}

/** Pending work of one stream and kind, from its cursor onwards. */
export interface Backlog {
  /** Records after the cursor, counted up to the limit asked for. */
  count: number;
  /** Ingest time (ms since epoch) of the first record after the cursor. */
  oldest_ingested_at: number | null;
}

export interface Storage {
  close(): void;

  createOrganisation(name: string): Organisation;
  getOrganisation(id: number): Organisation | undefined;
  /** Returns those of `ids` that name no organisation. */
  findMissingOrganisations(ids: number[]): number[];

  createApplicationToken(organisationId: number, tokenHash: string, description: string): ApplicationToken;
  /** Returns the token with this hash unless it is revoked, and records the use in `last_used`. */
  findApplicationToken(tokenHash: string): ApplicationToken | undefined;
  /** Returns whether the application token exists and is not revoked. */
  isApplicationTokenActive(id: number): boolean;
  listApplicationTokens(organisationId: number): ApplicationToken[];
  /** Revokes the token and deletes the refresh tokens issued from it. Returns false when it is unknown or already revoked. */
  revokeApplicationToken(organisationId: number, tokenId: number): boolean;

  /** Stores a refresh token; `expiresAt` is in ms since the epoch. */
  createRefreshToken(organisationId: number, tokenHash: string, expiresAt: number, applicationTokenId: number): void;
  findRefreshToken(tokenHash: string): StoredRefreshToken | undefined;
  /** Deletes a refresh token. Returns false when it was already gone. */
  deleteRefreshToken(tokenHash: string): boolean;

  getSetting(name: string): string | undefined;
  setSetting(name: string, value: string): void;

  /** Stores new records in one transaction; a stored id counts as a duplicate. */
  appendRecords(kind: RecordKind, records: IngestRecord[]): IngestResult;
  readRecords(organisationId: number, kind: RecordKind, afterSeq: number, limit: number, maxSeq?: number): LoggedRecord[];
  backlog(organisationId: number, kind: RecordKind, afterSeq: number, limit: number): Backlog;
  newestSeq(organisationId: number, kind: RecordKind): number;
  oldestSeq(organisationId: number, kind: RecordKind): number;

  createDataStream(stream: NewDataStream): DataStream;
  getDataStream(organisationId: number, id: number): DataStream | undefined;
  getDataStreamById(id: number): DataStream | undefined;
  listDataStreams(organisationId: number): DataStream[];
  listActiveDataStreams(): DataStream[];
  updateDataStream(stream: DataStream): void;
  deleteDataStream(organisationId: number, id: number): boolean;
  /**
   * Records the outcome of delivery attempts. Applies only while the stream
   * is Running or in Error, so it never overrides a pause made meanwhile.
   */
  setDeliveryState(streamId: number, state: { status: StreamStatusId; last_error: StreamError | null; failing_since: string | null }): void;

  getCursor(streamId: number, kind: RecordKind): number;
  /** Counts the records after the stream's cursors, over all its kinds. */
  countWaiting(stream: DataStream): number;
  /** Moves the cursor and adds `delivered` to the stream's count in one transaction. */
  advanceCursor(streamId: number, kind: RecordKind, toSeq: number, delivered: number, at: string): void;

  planS3File(file: PlannedS3File): void;
  getPlannedS3File(streamId: number, kind: RecordKind): PlannedS3File | undefined;
  /** Marks the file uploaded and advances the cursor past it, atomically. */
  completeS3File(file: PlannedS3File, delivered: number, at: string): void;
}
