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

const STREAM_TYPE_DESCRIPTIONS: Record<StreamTypeId, string> = {
  1: 'Usage',
  2: 'Event',
  3: 'Usage & Events',
};

const STATUS_DESCRIPTIONS: Record<StreamStatusId, string> = {
  1: 'Running',
  2: 'Paused',
  3: 'Error',
  4: 'Pending',
};

/** Placeholder that replaces secret values in views. */
export const MASK = '********';

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

function viewDestination(destination: Destination): DataStreamView['destination'] {
  switch (destination.connection_type) {
    case 'S3': {
      const { connection_type, format, ...credentials } = destination;
      return { connection_type, format, credentials };
    }

    case 'AwsKinesis': {
      const { connection_type, ...credentials } = destination;
      return { connection_type, format: 'json', credentials };
    }

    case 'RestAPI': {
      const { connection_type, headers, signing_secret, ...settings } = destination;
      return {
        connection_type,
        format: 'json',
        credentials: {
          ...settings,
          headers: headers.map(maskHeaderValue),
          signing_secret: signing_secret === null ? null : MASK,
        },
      };
    }
  }
}

/** Keeps the header name of a "Name: value" line and masks its value. */
function maskHeaderValue(header: string): string {
  const colon = header.indexOf(':');
  return colon === -1 ? MASK : `${header.slice(0, colon)}: ${MASK}`;
}
