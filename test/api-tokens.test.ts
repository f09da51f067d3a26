import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SignJWT } from 'jose';
import pino from 'pino';

import { buildApi } from '../src/api/server.js';
import { hashToken, issueApplicationToken, resolveJwtSecret } from '../src/auth/index.js';
import { loadConfig } from '../src/config.js';
import { NO_DELIVERY } from '../src/delivery/events.js';
import { MIGRATIONS } from '../src/storage/sqlite/migrations.js';
import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';

type Api = Awaited<ReturnType<typeof buildApi>>;

interface Session {
  auth_token: string;
  refresh_token: string;
}

describe('/api/v1/application_token', () => {
  let storage: SqliteStorage;
  let jwtSecret: Uint8Array;
  let app: Api;
  let organisationId: number;
  let otherOrganisationId: number;
  let admin: Session;

  before(async () => {
    const config = loadConfig({ DATASTREAMER_ADMIN_TOKEN: 'test-admin-token', DATASTREAMER_SETUP_CHECK_ON_CREATE: 'false' });
    storage = new SqliteStorage(':memory:');
    jwtSecret = resolveJwtSecret(config, storage);
    app = await buildApi({ config, storage, logger: pino({ level: 'silent' }), delivery: NO_DELIVERY, jwtSecret });

    organisationId = storage.createOrganisation('Acme IoT').id;
    otherOrganisationId = storage.createOrganisation('Globex').id;
    admin = await authenticate({ application_token: issueApplicationToken(storage, organisationId, 'first token').token });
  });

  after(async () => {
    await app.close();
    storage.close();
  });

  async function authenticate(body: { application_token: string } | { refresh_token: string }): Promise<Session> {
    const response = await app.inject({ method: 'POST', url: '/api/v1/authenticate', payload: body });
    assert.equal(response.statusCode, 200, response.body);
    return response.json();
  }

  function call(method: 'GET' | 'POST' | 'DELETE', url: string, authToken: string, body?: object) {
    return app.inject({ method, url, headers: { authorization: `Bearer ${authToken}` }, payload: body });
  }

  async function createToken(description: string, authToken = admin.auth_token) {
    const response = await call('POST', '/api/v1/application_token', authToken, { description });
    assert.equal(response.statusCode, 201, response.body);
    return response.json() as { id: number; description: string; created: string; application_token: string };
  }

  it('creates a token that authenticates', async () => {
    const response = await call('POST', '/api/v1/application_token', admin.auth_token, { description: 'CI pipeline' });

    assert.equal(response.statusCode, 201);
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['application_token', 'created', 'description', 'id']);
    assert.equal(body.description, 'CI pipeline');
    assert.match(body.application_token, /^dsa_[\w-]{43}$/);
    assert.ok(!Number.isNaN(Date.parse(body.created)));

    const session = await authenticate({ application_token: body.application_token });
    const organisation = await call('GET', '/api/v1/organisation/my', session.auth_token);
    assert.equal(organisation.statusCode, 200);
    assert.equal(organisation.json().id, organisationId);
  });

  it('lists active tokens without the tokens or their hashes', async () => {
    const created = await createToken('listed');

    const response = await call('GET', '/api/v1/application_token', admin.auth_token);

    assert.equal(response.statusCode, 200);
    const listed = response.json() as Record<string, unknown>[];
    const entry = listed.find((token) => token.id === created.id);
    assert.deepEqual(entry, { id: created.id, description: 'listed', created: created.created, last_used: null });
    for (const token of listed) assert.deepEqual(Object.keys(token).sort(), ['created', 'description', 'id', 'last_used']);
    assert.ok(!response.body.includes(created.application_token), 'the token is not shown again');
  });

  it("does not list another organisation's tokens", async () => {
    const other = issueApplicationToken(storage, otherOrganisationId, 'globex only');

    const listed = (await call('GET', '/api/v1/application_token', admin.auth_token)).json() as { id: number }[];

    assert.ok(!listed.some((token) => token.id === other.record.id));
  });

  it('records when a token was last used', async () => {
    const created = await createToken('used once');
    await authenticate({ application_token: created.application_token });

    const listed = (await call('GET', '/api/v1/application_token', admin.auth_token)).json() as { id: number; last_used: string | null }[];

    const entry = listed.find((token) => token.id === created.id);
    assert.ok(entry?.last_used, 'last_used is set');
  });

  describe('revoke', () => {
    it('stops the token, its auth tokens and its refresh tokens at once', async () => {
      const created = await createToken('to revoke');
      const session = await authenticate({ application_token: created.application_token });
      const refreshed = await authenticate({ refresh_token: session.refresh_token });
      assert.equal((await call('GET', '/api/v2/data_stream', session.auth_token)).statusCode, 200, 'works before the revocation');

      const revoked = await call('DELETE', `/api/v1/application_token/${created.id}`, admin.auth_token);
      assert.equal(revoked.statusCode, 204);
      assert.equal(revoked.body, '');

      const login = await app.inject({ method: 'POST', url: '/api/v1/authenticate', payload: { application_token: created.application_token } });
      assert.equal(login.statusCode, 401);
      assert.equal(login.json().error_token, 'invalid_application_token');

      for (const authToken of [session.auth_token, refreshed.auth_token]) {
        const streams = await call('GET', '/api/v2/data_stream', authToken);
        assert.equal(streams.statusCode, 401);
        assert.equal(streams.json().error_token, 'auth_token_revoked');
        assert.equal((await call('GET', '/api/v1/organisation/my', authToken)).statusCode, 401);
      }

      const refresh = await app.inject({ method: 'POST', url: '/api/v1/authenticate', payload: { refresh_token: refreshed.refresh_token } });
      assert.equal(refresh.statusCode, 401);
      assert.equal(refresh.json().error_token, 'invalid_refresh_token');

      const listed = (await call('GET', '/api/v1/application_token', admin.auth_token)).json() as { id: number }[];
      assert.ok(!listed.some((token) => token.id === created.id), 'a revoked token is not listed');
    });

    it('keeps the other tokens of the organisation working', async () => {
      const kept = await createToken('kept');
      const keptSession = await authenticate({ application_token: kept.application_token });
      const revoked = await createToken('revoked');

      assert.equal((await call('DELETE', `/api/v1/application_token/${revoked.id}`, admin.auth_token)).statusCode, 204);

      assert.equal((await call('GET', '/api/v2/data_stream', keptSession.auth_token)).statusCode, 200);
      assert.equal((await call('GET', '/api/v2/data_stream', admin.auth_token)).statusCode, 200);
      await authenticate({ refresh_token: keptSession.refresh_token });
    });

    it('lets a session revoke its own token', async () => {
      const created = await createToken('self');
      const session = await authenticate({ application_token: created.application_token });

      const response = await call('DELETE', `/api/v1/application_token/${created.id}`, session.auth_token);

      assert.equal(response.statusCode, 204);
      assert.equal((await call('GET', '/api/v1/application_token', session.auth_token)).statusCode, 401);
    });

    it('answers 404 for an unknown or already revoked token', async () => {
      const created = await createToken('twice');
      assert.equal((await call('DELETE', `/api/v1/application_token/${created.id}`, admin.auth_token)).statusCode, 204);

      for (const id of [created.id, 999999]) {
        const response = await call('DELETE', `/api/v1/application_token/${id}`, admin.auth_token);

        assert.equal(response.statusCode, 404);
        assert.equal(response.json().error_token, 'application_token_not_found');
        assert.match(response.json().message, new RegExp(`Application token ${id} `));
      }
    });

    it("answers 404 for another organisation's token and leaves it working", async () => {
      const other = issueApplicationToken(storage, otherOrganisationId, 'globex');

      const response = await call('DELETE', `/api/v1/application_token/${other.record.id}`, admin.auth_token);

      assert.equal(response.statusCode, 404);
      const session = await authenticate({ application_token: other.token });
      assert.equal((await call('GET', '/api/v1/organisation/my', session.auth_token)).json().id, otherOrganisationId);
    });

    it('rejects a non-numeric token id with 422', async () => {
      const response = await call('DELETE', '/api/v1/application_token/abc', admin.auth_token);

      assert.equal(response.statusCode, 422);
      assert.equal(response.json().errors[0].field, 'id');
    });
  });

  describe('refresh tokens', () => {
    it('replaces a refresh token on use', async () => {
      const first = await authenticate({ application_token: (await createToken('refreshing')).application_token });

      const second = await authenticate({ refresh_token: first.refresh_token });

      assert.notEqual(second.refresh_token, first.refresh_token);
      assert.equal((await call('GET', '/api/v1/organisation/my', second.auth_token)).statusCode, 200);

      const reused = await app.inject({ method: 'POST', url: '/api/v1/authenticate', payload: { refresh_token: first.refresh_token } });
      assert.equal(reused.statusCode, 401);
      assert.equal(reused.json().error_token, 'invalid_refresh_token');

      const third = await authenticate({ refresh_token: second.refresh_token });
      assert.equal((await call('GET', '/api/v1/organisation/my', third.auth_token)).statusCode, 200);
    });

    it('links a stored refresh token to its application token', async () => {
      const created = await createToken('linked');
      const session = await authenticate({ application_token: created.application_token });

      const stored = storage.findRefreshToken(hashToken(session.refresh_token));

      assert.equal(stored?.application_token_id, created.id);
      assert.equal(stored?.organisation_id, organisationId);
    });
  });

  describe('auth tokens', () => {
    it('rejects a signed auth token that names no application token', async () => {
      const withoutTokenId = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(organisationId))
        .setIssuer('datastreamer')
        .setExpirationTime('1h')
        .sign(jwtSecret);

      const response = await call('GET', '/api/v2/data_stream', withoutTokenId);

      assert.equal(response.statusCode, 401);
      assert.equal(response.json().error_token, 'invalid_auth_token');
    });

    it('reports isApplicationTokenActive from storage', async () => {
      const created = await createToken('storage check');

      assert.equal(storage.isApplicationTokenActive(created.id), true);
      storage.revokeApplicationToken(organisationId, created.id);
      assert.equal(storage.isApplicationTokenActive(created.id), false);
      assert.equal(storage.isApplicationTokenActive(999999), false);
    });
  });

  describe('validation', () => {
    const cases: { name: string; body: unknown; field: string }[] = [
      { name: 'missing description', body: {}, field: 'description' },
      { name: 'empty description', body: { description: '' }, field: 'description' },
      { name: 'description over 255 characters', body: { description: 'd'.repeat(256) }, field: 'description' },
      { name: 'unknown property', body: { description: 'x', expires: 3600 }, field: 'expires' },
    ];

    for (const testCase of cases) {
      it(`rejects ${testCase.name} with 422`, async () => {
        const response = await call('POST', '/api/v1/application_token', admin.auth_token, testCase.body as object);

        assert.equal(response.statusCode, 422);
        assert.deepEqual(
          response.json().errors.map((error: { field: string }) => error.field),
          [testCase.field],
        );
      });
    }

    it('requires an auth token', async () => {
      for (const method of ['GET', 'POST'] as const) {
        const response = await app.inject({ method, url: '/api/v1/application_token', payload: method === 'POST' ? { description: 'x' } : undefined });

        assert.equal(response.statusCode, 401);
        assert.equal(response.json().error_token, 'missing_bearer_token');
      }
    });
  });
});

describe('refresh token migration', () => {
  it('drops refresh tokens that name no application token', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'datastreamer-migration-'));
    const databasePath = path.join(directory, 'upgrade.db');
    try {
      // A database as the first schema version left it, with one refresh token.
      const db = new Database(databasePath);
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)');
      db.exec(MIGRATIONS[0]!.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (1, ?, ?)').run(MIGRATIONS[0]!.description, new Date().toISOString());
      db.prepare("INSERT INTO organisations (name, created) VALUES ('Acme IoT', '2026-01-01T00:00:00Z')").run();
      db.prepare("INSERT INTO refresh_tokens (token_hash, organisation_id, expires_at) VALUES ('old-hash', 1, ?)").run(Date.now() + 3600_000);
      db.close();

      const storage = new SqliteStorage(databasePath);
      try {
        assert.equal(storage.findRefreshToken('old-hash'), undefined, 'the unlinked token is gone');

        const applicationTokenId = storage.createApplicationToken(1, 'app-hash', 'after the upgrade').id;
        storage.createRefreshToken(1, 'new-hash', Date.now() + 3600_000, applicationTokenId);
        assert.equal(storage.findRefreshToken('new-hash')?.application_token_id, applicationTokenId);
      } finally {
        storage.close();
      }
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});
