import type { DataStream, Destination, StreamError, StreamStatusId, StreamTypeId } from '../storage/index.js';

/** The v2 data stream resource as the API returns it. */
export interface DataStreamView {
  id: number;
  name: string;
  data_stream_type: { id: StreamTypeId; description: string };
  status: { id: StreamStatusId; description: string };
  destination: {
    connection_type: Destination['connection_type'];
    format: 'csv' | 'jsonl' | 'json';
    credentials: Record<string, unknown>;
  };
  filters: { field: string; value: number[] }[];
  stream_historic_data: boolean;
  created: string;
  delivery: {
    records_delivered: number;
    records_waiting: number;
    last_delivery: string | null;
    last_error: StreamError | null;
  };
}

export const STREAM_TYPE_DESCRIPTIONS: Readonly<Record<StreamTypeId, string>> = {
  1: 'Usage',
  2: 'Event',
  3: 'Usage & Events',
};

export const STATUS_DESCRIPTIONS: Readonly<Record<StreamStatusId, string>> = {
  1: 'Running',
  2: 'Paused',
  3: 'Error',
  4: 'Pending',
};

/** Placeholder that replaces secret values in views. */
export const MASK = '********';

/**
 * Credentials whose values are secret, with the way each is masked. The
 * table applies to every connection type, so a new destination's secrets
 * need only an entry here.
 */
const SECRET_CREDENTIALS: Readonly<Record<string, (value: unknown) => unknown>> = {
  headers: (value) => (Array.isArray(value) ? value.map((header) => maskHeaderValue(String(header))) : MASK),
  signing_secret: maskUnlessNull,
};

/** Builds the view of a stream, with secrets masked. `recordsWaiting` comes from storage.countWaiting. */
export function toDataStreamView(stream: DataStream, recordsWaiting: number): DataStreamView {
  return {
    id: stream.id,
    name: stream.name,
    data_stream_type: { id: stream.data_stream_type, description: STREAM_TYPE_DESCRIPTIONS[stream.data_stream_type] },
    status: { id: stream.status, description: STATUS_DESCRIPTIONS[stream.status] },
    destination: viewDestination(stream.destination),
    filters: stream.filters.map((filter) => ({ field: filter.field, value: [...filter.value] })),
    stream_historic_data: stream.stream_historic_data,
    created: stream.created,
    delivery: {
      records_delivered: stream.records_delivered,
      records_waiting: recordsWaiting,
      last_delivery: stream.last_delivery,
      last_error: stream.last_error,
    },
  };
}

/** Splits a destination into connection_type, format and the rest, its credentials with secrets masked. */
function viewDestination(destination: Destination): DataStreamView['destination'] {
  if (destination.connection_type === 'S3') {
    const { connection_type, format, ...credentials } = destination;
    return { connection_type, format, credentials: maskSecrets(credentials) };
  }

  // Kinesis records and REST API request bodies are always JSON.
  const { connection_type, ...credentials } = destination;
  return { connection_type, format: 'json', credentials: maskSecrets(credentials) };
}

function maskSecrets(credentials: Record<string, unknown>): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(credentials)) {
    const mask = SECRET_CREDENTIALS[name];
    masked[name] = mask === undefined ? value : mask(value);
  }
  return masked;
}

function maskUnlessNull(value: unknown): unknown {
  return value === null ? null : MASK;
}

/** Keeps the header name of a "Name: value" line and masks its value. */
function maskHeaderValue(header: string): string {
  const colon = header.indexOf(':');
  return colon === -1 ? MASK : `${header.slice(0, colon)}: ${MASK}`;
}
