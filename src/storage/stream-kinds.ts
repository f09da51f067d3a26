import type { RecordKind } from '../records/types.js';
import { StreamType, type StreamTypeId } from './types.js';

/** Lists the record kinds a stream of the given type delivers. */
export function kindsOfStream(dataStreamType: StreamTypeId): RecordKind[] {
  switch (dataStreamType) {
    case StreamType.Usage:
      return ['usage'];
    case StreamType.Event:
      return ['event'];
    case StreamType.UsageAndEvent:
      return ['usage', 'event'];
  }
}
