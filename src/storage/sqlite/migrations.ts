/**
 * Versioned schema migrations. Each runs once, in order, inside a
 * transaction; `schema_migrations` records which have been applied.
 * Never edit a migration that has shipped: add a new one.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'organisations, tokens, record log, data streams, cursors and planned S3 files',
    sql: `
      CREATE TABLE organisations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        created TEXT NOT NULL
      );

      CREATE TABLE application_tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        token_hash TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        created TEXT NOT NULL,
        last_used TEXT,
        revoked TEXT
      );

      CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        expires_at INTEGER NOT NULL
      );

      CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      -- The record log. seq increases with every insert and is never reused,
      -- so it orders the records of each organisation and kind by ingest.
      -- kind: 1 usage, 2 event. ingested_at: ms since the Unix epoch.
      CREATE TABLE records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        organisation_id INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        record_id INTEGER NOT NULL,
        ingested_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE UNIQUE INDEX records_identity ON records (organisation_id, kind, record_id);
      CREATE INDEX records_log ON records (organisation_id, kind, seq);

      CREATE TABLE data_streams (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        name TEXT NOT NULL,
        data_stream_type INTEGER NOT NULL,
        status INTEGER NOT NULL,
        destination TEXT NOT NULL,
        filters TEXT NOT NULL,
        stream_historic_data INTEGER NOT NULL,
        created TEXT NOT NULL,
        records_delivered INTEGER NOT NULL DEFAULT 0,
        last_delivery TEXT,
        last_error TEXT,
        failing_since TEXT
      );
      CREATE INDEX data_streams_organisation ON data_streams (organisation_id);

      -- position: seq of the last record delivered (or skipped by a filter).
      CREATE TABLE stream_cursors (
        stream_id INTEGER NOT NULL REFERENCES data_streams(id) ON DELETE CASCADE,
        kind INTEGER NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (stream_id, kind)
      );

      -- An S3 file whose record range is fixed before its upload; the row
      -- is deleted in the same transaction that moves the cursor past it.
      CREATE TABLE s3_files (
        stream_id INTEGER NOT NULL REFERENCES data_streams(id) ON DELETE CASCADE,
        kind INTEGER NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        object_key TEXT NOT NULL,
        planned_at TEXT NOT NULL,
        PRIMARY KEY (stream_id, kind)
      );
    `,
  },
  {
    version: 2,
    description: 'link refresh tokens to the application token they were issued from',
    // Refresh tokens from before this migration name no application token, so revoking one could not
    // reach them. They are deleted: their holders authenticate again with their application token.
    sql: `
      DELETE FROM refresh_tokens;
      ALTER TABLE refresh_tokens ADD COLUMN application_token_id INTEGER REFERENCES application_tokens(id);
      CREATE INDEX refresh_tokens_application_token ON refresh_tokens (application_token_id);
    `,
  },
];
