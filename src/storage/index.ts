import type { Storage } from './types.js';
import { SqliteStorage } from './sqlite/sqlite-storage.js';

export type * from './types.js';
export { StreamStatus, StreamType } from './types.js';
export { kindsOfStream } from './stream-kinds.js';

/** Opens the configured storage. Only SQLite exists so far. */
export function openStorage(databasePath: string): Storage {
  // TODO: add a PostgreSQL implementation for several instances sharing the work.
  return new SqliteStorage(databasePath);
}
