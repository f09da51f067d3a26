/** Formats epoch milliseconds as ISO 8601 UTC to the second, such as `2026-12-04T19:00:00Z`. */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19) + 'Z';
}
