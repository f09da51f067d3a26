import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

import type { RecordKind } from '../../records/types.js';
import type {
  ApplicationToken,
  Backlog,
  DataStream,
  IngestRecord,
  IngestResult,
  LoggedRecord,
  NewDataStream,
  Organisation,
  PlannedS3File,
  Storage,
  StoredRefreshToken,
  StreamError,
  StreamStatusId,
} from '../types.js';
import { MIGRATIONS } from './migrations.js';
import { kindsOfStream } from '../stream-kinds.js';

const KIND_CODE: Record<RecordKind, number> = { usage: 1, event: 2 };

/**
 * Records inserted by one multi-row INSERT. One statement per 100 rows
 * instead of one per row cut appendRecords from about 6.8 to 5.0 µs per
 * record. Measured in transactions of 1000 simulated records with
 * synchronous=FULL (Node 20, AMD EPYC, 2 vCPUs).
 */
const INSERT_ROWS_PER_STATEMENT = 100;

interface DataStreamRow {
  id: number;
  organisation_id: number;
  name: string;
  data_stream_type: number;
  status: number;
  destination: string;
  filters: string;
  stream_historic_data: number;
  created: string;
  records_delivered: number;
  last_delivery: string | null;
  last_error: string | null;
  failing_since: string | null;
}

/** Storage in one SQLite file, for a single instance. */
export class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(databasePath: string) {
    if (databasePath !== ':memory:') {
      fs.mkdirSync(path.dirname(path.resolve(databasePath)), { recursive: true });
    }

    this.db = new Database(databasePath);
    // WAL lets readers run during a write; synchronous=FULL makes a commit
    // durable before the ingest API responds, even on power loss.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);

    this.statements = prepareStatements(this.db);
  }

  close(): void {
    this.db.close();
  }

  createOrganisation(name: string): Organisation {
    const created = new Date().toISOString();
    const info = this.statements.insertOrganisation.run(name, created);
    return { id: Number(info.lastInsertRowid), name, created };
  }

  getOrganisation(id: number): Organisation | undefined {
    return this.statements.selectOrganisation.get(id) as Organisation | undefined;
  }

  findMissingOrganisations(ids: number[]): number[] {
    const missing: number[] = [];
    for (const id of new Set(ids)) {
      if (!this.statements.selectOrganisation.get(id)) missing.push(id);
    }
    return missing;
  }

  createApplicationToken(organisationId: number, tokenHash: string, description: string): ApplicationToken {
    const created = new Date().toISOString();
    const info = this.statements.insertApplicationToken.run(organisationId, tokenHash, description, created);
    return { id: Number(info.lastInsertRowid), organisation_id: organisationId, description, created, last_used: null, revoked: null };
  }

  findApplicationToken(tokenHash: string): ApplicationToken | undefined {
    const token = this.statements.selectApplicationToken.get(tokenHash) as ApplicationToken | undefined;
    if (token) this.statements.touchApplicationToken.run(new Date().toISOString(), token.id);
    return token;
  }

  isApplicationTokenActive(id: number): boolean {
    return this.statements.selectActiveApplicationToken.get(id) !== undefined;
  }

  listApplicationTokens(organisationId: number): ApplicationToken[] {
    return this.statements.listApplicationTokens.all(organisationId) as ApplicationToken[];
  }

  revokeApplicationToken(organisationId: number, tokenId: number): boolean {
    const revoke = this.db.transaction(() => {
      const info = this.statements.revokeApplicationToken.run(new Date().toISOString(), tokenId, organisationId);
      if (info.changes === 0) return false;

      this.statements.deleteRefreshTokensOf.run(tokenId);
      return true;
    });
    return revoke();
  }

  createRefreshToken(organisationId: number, tokenHash: string, expiresAt: number, applicationTokenId: number): void {
    this.statements.insertRefreshToken.run(tokenHash, organisationId, expiresAt, applicationTokenId);
  }

  findRefreshToken(tokenHash: string): StoredRefreshToken | undefined {
    return this.statements.selectRefreshToken.get(tokenHash) as StoredRefreshToken | undefined;
  }

  deleteRefreshToken(tokenHash: string): boolean {
    return this.statements.deleteRefreshToken.run(tokenHash).changes > 0;
  }

  getSetting(name: string): string | undefined {
    const row = this.statements.selectSetting.get(name) as { value: string } | undefined;
    return row?.value;
  }

  setSetting(name: string, value: string): void {
    this.statements.upsertSetting.run(name, value);
  }

  appendRecords(kind: RecordKind, records: IngestRecord[]): IngestResult {
    const kindCode = KIND_CODE[kind];
    const ingestedAt = Date.now();
    const { insertRecord, insertRecordRows } = this.statements;

    const append = this.db.transaction(() => {
      let accepted = 0;
      let index = 0;

      const parameters: unknown[] = [];
      for (; index + INSERT_ROWS_PER_STATEMENT <= records.length; index += INSERT_ROWS_PER_STATEMENT) {
        parameters.length = 0;
        for (let row = index; row < index + INSERT_ROWS_PER_STATEMENT; row++) {
          const record = records[row];
          parameters.push(record.organisation_id, kindCode, record.record_id, ingestedAt, record.body);
        }
        accepted += insertRecordRows.run(parameters).changes;
      }

      for (; index < records.length; index++) {
        const record = records[index];
        accepted += insertRecord.run(record.organisation_id, kindCode, record.record_id, ingestedAt, record.body).changes;
      }
      return accepted;
    });

    const accepted = append();
    return { accepted, duplicates: records.length - accepted };
  }

  readRecords(organisationId: number, kind: RecordKind, afterSeq: number, limit: number, maxSeq = Number.MAX_SAFE_INTEGER): LoggedRecord[] {
    return this.statements.readRecords.all(organisationId, KIND_CODE[kind], afterSeq, maxSeq, limit) as LoggedRecord[];
  }

  backlog(organisationId: number, kind: RecordKind, afterSeq: number, limit: number): Backlog {
    const kindCode = KIND_CODE[kind];
    const oldest = this.statements.oldestPending.get(organisationId, kindCode, afterSeq) as { ingested_at: number } | undefined;
    if (!oldest) return { count: 0, oldest_ingested_at: null };

    const { count } = this.statements.countPending.get(organisationId, kindCode, afterSeq, limit) as { count: number };
    return { count, oldest_ingested_at: oldest.ingested_at };
  }

  newestSeq(organisationId: number, kind: RecordKind): number {
    const row = this.statements.newestSeq.get(organisationId, KIND_CODE[kind]) as { seq: number | null };
    return row.seq ?? 0;
  }

  oldestSeq(organisationId: number, kind: RecordKind): number {
    const row = this.statements.oldestSeq.get(organisationId, KIND_CODE[kind]) as { seq: number | null };
    return row.seq ?? 0;
  }

  createDataStream(stream: NewDataStream): DataStream {
    const created = new Date().toISOString();

    const create = this.db.transaction(() => {
      const info = this.statements.insertDataStream.run(
        stream.organisation_id,
        stream.name,
        stream.data_stream_type,
        stream.status,
        JSON.stringify(stream.destination),
        JSON.stringify(stream.filters),
        stream.stream_historic_data ? 1 : 0,
        created,
      );
      const id = Number(info.lastInsertRowid);

      // A new stream starts after the newest record, or, with
      // stream_historic_data, before the oldest one still retained.
      for (const kind of kindsOfStream(stream.data_stream_type)) {
        const position = stream.stream_historic_data
          ? Math.max(0, this.oldestSeq(stream.organisation_id, kind) - 1)
          : this.newestSeq(stream.organisation_id, kind);
        this.statements.upsertCursor.run(id, KIND_CODE[kind], position);
      }
      return id;
    });

    return this.getDataStreamById(create())!;
  }

  getDataStream(organisationId: number, id: number): DataStream | undefined {
    const stream = this.getDataStreamById(id);
    return stream?.organisation_id === organisationId ? stream : undefined;
  }

  getDataStreamById(id: number): DataStream | undefined {
    const row = this.statements.selectDataStream.get(id) as DataStreamRow | undefined;
    return row ? toDataStream(row) : undefined;
  }

  listDataStreams(organisationId: number): DataStream[] {
    return (this.statements.listDataStreams.all(organisationId) as DataStreamRow[]).map(toDataStream);
  }

  listActiveDataStreams(): DataStream[] {
    return (this.statements.listActiveDataStreams.all() as DataStreamRow[]).map(toDataStream);
  }

  updateDataStream(stream: DataStream): void {
    this.statements.updateDataStream.run(
      stream.name,
      stream.data_stream_type,
      stream.status,
      JSON.stringify(stream.destination),
      JSON.stringify(stream.filters),
      stream.last_error ? JSON.stringify(stream.last_error) : null,
      stream.failing_since,
      stream.id,
    );
  }

  deleteDataStream(organisationId: number, id: number): boolean {
    return this.statements.deleteDataStream.run(id, organisationId).changes > 0;
  }

  setDeliveryState(streamId: number, state: { status: StreamStatusId; last_error: StreamError | null; failing_since: string | null }): void {
    this.statements.setDeliveryState.run(state.status, state.last_error ? JSON.stringify(state.last_error) : null, state.failing_since, streamId);
  }

  getCursor(streamId: number, kind: RecordKind): number {
    const row = this.statements.selectCursor.get(streamId, KIND_CODE[kind]) as { position: number } | undefined;
    return row?.position ?? 0;
  }

  countWaiting(stream: DataStream): number {
    let waiting = 0;
    for (const kind of kindsOfStream(stream.data_stream_type)) {
      const position = this.getCursor(stream.id, kind);
      const row = this.statements.countAllPending.get(stream.organisation_id, KIND_CODE[kind], position) as { count: number };
      waiting += row.count;
    }
    return waiting;
  }

  advanceCursor(streamId: number, kind: RecordKind, toSeq: number, delivered: number, at: string): void {
    this.db.transaction(() => {
      this.statements.upsertCursor.run(streamId, KIND_CODE[kind], toSeq);
      if (delivered > 0) this.statements.countDelivered.run(delivered, at, streamId);
    })();
  }

  planS3File(file: PlannedS3File): void {
    this.statements.insertS3File.run(file.stream_id, KIND_CODE[file.kind], file.first_seq, file.last_seq, file.key, new Date().toISOString());
  }

  getPlannedS3File(streamId: number, kind: RecordKind): PlannedS3File | undefined {
    const row = this.statements.selectS3File.get(streamId, KIND_CODE[kind]) as
      | { first_seq: number; last_seq: number; object_key: string }
      | undefined;
    if (!row) return undefined;
    return { stream_id: streamId, kind, first_seq: row.first_seq, last_seq: row.last_seq, key: row.object_key };
  }

  completeS3File(file: PlannedS3File, delivered: number, at: string): void {
    this.db.transaction(() => {
      this.statements.deleteS3File.run(file.stream_id, KIND_CODE[file.kind]);
      this.statements.upsertCursor.run(file.stream_id, KIND_CODE[file.kind], file.last_seq);
      if (delivered > 0) this.statements.countDelivered.run(delivered, at, file.stream_id);
    })();
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((row) => row.version));

  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;

    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.description,
        new Date().toISOString(),
      );
    })();
  }
}

function prepareStatements(db: Database.Database) {
  return {
    insertOrganisation: db.prepare('INSERT INTO organisations (name, created) VALUES (?, ?)'),
    selectOrganisation: db.prepare('SELECT id, name, created FROM organisations WHERE id = ?'),

    insertApplicationToken: db.prepare('INSERT INTO application_tokens (organisation_id, token_hash, description, created) VALUES (?, ?, ?, ?)'),
    selectApplicationToken: db.prepare(
      'SELECT id, organisation_id, description, created, last_used, revoked FROM application_tokens WHERE token_hash = ? AND revoked IS NULL',
    ),
    selectActiveApplicationToken: db.prepare('SELECT 1 FROM application_tokens WHERE id = ? AND revoked IS NULL'),
    touchApplicationToken: db.prepare('UPDATE application_tokens SET last_used = ? WHERE id = ?'),
    listApplicationTokens: db.prepare(
      'SELECT id, organisation_id, description, created, last_used, revoked FROM application_tokens WHERE organisation_id = ? ORDER BY id',
    ),
    revokeApplicationToken: db.prepare('UPDATE application_tokens SET revoked = ? WHERE id = ? AND organisation_id = ? AND revoked IS NULL'),

    insertRefreshToken: db.prepare('INSERT INTO refresh_tokens (token_hash, organisation_id, expires_at, application_token_id) VALUES (?, ?, ?, ?)'),
    selectRefreshToken: db.prepare('SELECT organisation_id, application_token_id, expires_at FROM refresh_tokens WHERE token_hash = ?'),
    deleteRefreshToken: db.prepare('DELETE FROM refresh_tokens WHERE token_hash = ?'),
    deleteRefreshTokensOf: db.prepare('DELETE FROM refresh_tokens WHERE application_token_id = ?'),

    selectSetting: db.prepare('SELECT value FROM settings WHERE name = ?'),
    upsertSetting: db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),

    insertRecord: db.prepare(
      'INSERT INTO records (organisation_id, kind, record_id, ingested_at, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (organisation_id, kind, record_id) DO NOTHING',
    ),
    insertRecordRows: db.prepare(
      `INSERT INTO records (organisation_id, kind, record_id, ingested_at, body) VALUES ${Array(INSERT_ROWS_PER_STATEMENT).fill('(?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (organisation_id, kind, record_id) DO NOTHING`,
    ),
    readRecords: db.prepare(
      'SELECT seq, record_id, ingested_at, body FROM records WHERE organisation_id = ? AND kind = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
    ),
    oldestPending: db.prepare('SELECT ingested_at FROM records WHERE organisation_id = ? AND kind = ? AND seq > ? ORDER BY seq LIMIT 1'),
    countPending: db.prepare(
      'SELECT COUNT(*) AS count FROM (SELECT 1 FROM records WHERE organisation_id = ? AND kind = ? AND seq > ? LIMIT ?)',
    ),
    countAllPending: db.prepare('SELECT COUNT(*) AS count FROM records WHERE organisation_id = ? AND kind = ? AND seq > ?'),
    newestSeq: db.prepare('SELECT MAX(seq) AS seq FROM records WHERE organisation_id = ? AND kind = ?'),
    oldestSeq: db.prepare('SELECT MIN(seq) AS seq FROM records WHERE organisation_id = ? AND kind = ?'),

    insertDataStream: db.prepare(
      `INSERT INTO data_streams (organisation_id, name, data_stream_type, status, destination, filters, stream_historic_data, created)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    selectDataStream: db.prepare('SELECT * FROM data_streams WHERE id = ?'),
    listDataStreams: db.prepare('SELECT * FROM data_streams WHERE organisation_id = ? ORDER BY id'),
    listActiveDataStreams: db.prepare('SELECT * FROM data_streams WHERE status IN (1, 3) ORDER BY id'),
    updateDataStream: db.prepare(
      `UPDATE data_streams SET name = ?, data_stream_type = ?, status = ?, destination = ?, filters = ?, last_error = ?, failing_since = ?
       WHERE id = ?`,
    ),
    setDeliveryState: db.prepare('UPDATE data_streams SET status = ?, last_error = ?, failing_since = ? WHERE id = ? AND status IN (1, 3)'),
    deleteDataStream: db.prepare('DELETE FROM data_streams WHERE id = ? AND organisation_id = ?'),

    selectCursor: db.prepare('SELECT position FROM stream_cursors WHERE stream_id = ? AND kind = ?'),
    upsertCursor: db.prepare(
      'INSERT INTO stream_cursors (stream_id, kind, position) VALUES (?, ?, ?) ON CONFLICT (stream_id, kind) DO UPDATE SET position = excluded.position',
    ),
    countDelivered: db.prepare('UPDATE data_streams SET records_delivered = records_delivered + ?, last_delivery = ? WHERE id = ?'),

    insertS3File: db.prepare('INSERT INTO s3_files (stream_id, kind, first_seq, last_seq, object_key, planned_at) VALUES (?, ?, ?, ?, ?, ?)'),
    selectS3File: db.prepare('SELECT first_seq, last_seq, object_key FROM s3_files WHERE stream_id = ? AND kind = ?'),
    deleteS3File: db.prepare('DELETE FROM s3_files WHERE stream_id = ? AND kind = ?'),
  };
}

function toDataStream(row: DataStreamRow): DataStream {
  return {
    id: row.id,
    organisation_id: row.organisation_id,
    name: row.name,
    data_stream_type: row.data_stream_type as DataStream['data_stream_type'],
    status: row.status as DataStream['status'],
    destination: JSON.parse(row.destination),
    filters: JSON.parse(row.filters),
    stream_historic_data: row.stream_historic_data === 1,
    created: row.created,
    records_delivered: row.records_delivered,
    last_delivery: row.last_delivery,
    last_error: row.last_error ? JSON.parse(row.last_error) : null,
    failing_since: row.failing_since,
  };
}
