import type { RecordKind } from '../records/types.js';
import type { StreamFilter } from '../storage/types.js';

/**
 * Builds a predicate over stored record bodies for the stream's filters.
 * Filters apply to events only; usage records always pass.
 */
export function recordFilter(kind: RecordKind, filters: StreamFilter[]): ((body: string) => boolean) | null {
  if (kind !== 'event') return null;

  const eventTypes = filters.find((filter) => filter.field === 'event_type_id');
  if (!eventTypes) return null;

  const allowed = new Set(eventTypes.value);
  return (body) => allowed.has((JSON.parse(body) as { event_type?: { id?: number } }).event_type?.id ?? -1);
}
