import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import pino from 'pino';

import { buildApi } from '../src/api/server.js';
import { issueApplicationToken, issueRefreshToken, resolveJwtSecret } from '../src/auth/index.js';
import { loadConfig, type Config } from '../src/config.js';
import { NO_DELIVERY } from '../src/delivery/events.js';
import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import type { ApiDeps } from '../src/api/server.js';

const ADMIN_TOKEN = 'test-admin-token';

async function startApi(env: Record<string, string> = {}, extra: Partial<ApiDeps> = {}) {
  const config = loadConfig({ DATASTREAMER_ADMIN_TOKEN: ADMIN_TOKEN, ...env });
  const storage = new SqliteStorage(':memory:');
  const jwtSecret = resolveJwtSecret(config, storage);
  const app = await buildApi({ config, storage, logger: pino({ level: 'silent' }), delivery: NO_DELIVERY, jwtSecret, ...extra });
  return { config, storage, app, jwtSecret };
}

type Api = Awaited<ReturnType<typeof startApi>>;

function authenticate(api: Api, body: unknown) {
  return api.app.inject({ method: 'POST', url: '/api/v1/authenticate', payload: body as object });
}

function getOrganisation(api: Api, authToken: string) {
  return api.app.inject({ method: 'GET', url: '/api/v1/organisation/my', headers: { authorization: `Bearer ${authToken}` } });
}

describe('POST /api/v1/authenticate', () => {
  let api: Api;
  let organisationId: number;
  let applicationToken: string;

  before(async () => {
    api = await startApi();
    organisationId = api.storage.createOrganisation('Acme IoT').id;
    applicationToken = issueApplicationToken(api.storage, organisationId, 'integration').token;
  });

  after(async () => {
    await api.app.close();
    api.storage.close();
  });

  it('exchanges an application token', async () => {
    const response = await authenticate(api, { application_token: applicationToken });

    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['auth_token', 'refresh_token']);
    assert.equal(body.auth_token.split('.').length, 3, 'auth token is a JWT');
    assert.match(body.refresh_token, /^dsr_[\w-]{43}$/);
    assert.equal((await getOrganisation(api, body.auth_token)).statusCode, 200);
  });

  it('stores only the application token hash', () => {
    const { token, record } = issueApplicationToken(api.storage, organisationId, 'second');

    assert.match(token, /^dsa_[\w-]{43}$/);
    assert.equal(record.organisation_id, organisationId);
    assert.equal(record.description, 'second');
    assert.equal(api.storage.findApplicationToken(token), undefined, 'the plain token is not a stored key');
  });

  it('rejects a wrong application token with 401', async () => {
    const response = await authenticate(api, { application_token: 'dsa_not-a-real-token' });

    assert.equal(response.statusCode, 401);
    const body = response.json();
    assert.equal(body.error_token, 'invalid_application_token');
    assert.equal(typeof body.error_code, 'number');
    assert.match(body.message, /application token/);
  });

  it('rejects a revoked application token with 401', async () => {
    const { token, record } = issueApplicationToken(api.storage, organisationId, 'to revoke');
    assert.equal((await authenticate(api, { application_token: token })).statusCode, 200);

    api.storage.revokeApplicationToken(organisationId, record.id);
    const response = await authenticate(api, { application_token: token });

    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error_token, 'invalid_application_token');
  });

  it('gives a new auth token for a refresh token', async () => {
    const first = (await authenticate(api, { application_token: applicationToken })).json();

    const response = await authenticate(api, { refresh_token: first.refresh_token });

    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.notEqual(body.refresh_token, first.refresh_token, 'the refresh token is replaced on use');
    const organisation = await getOrganisation(api, body.auth_token);
    assert.equal(organisation.statusCode, 200);
    assert.equal(organisation.json().id, organisationId);
  });

  it('rejects an unknown refresh token with 401', async () => {
    const response = await authenticate(api, { refresh_token: 'dsr_unknown' });

    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error_token, 'invalid_refresh_token');
  });

  it('rejects an expired refresh token with 401', async () => {
    const anHourAgo = Date.now() - 3600_000;
    const applicationTokenId = issueApplicationToken(api.storage, organisationId, 'expired refresh').record.id;
    const expired = issueRefreshToken(api.storage, { organisationId, applicationTokenId }, 600, anHourAgo);

    const response = await authenticate(api, { refresh_token: expired });

    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error_token, 'invalid_refresh_token');
  });

  it('requires exactly one of the two tokens', async () => {
    const neither = await authenticate(api, {});
    assert.equal(neither.statusCode, 422);
    assert.deepEqual(neither.json().errors.map((error: { field: string }) => error.field), ['application_token']);

    const both = await authenticate(api, { application_token: applicationToken, refresh_token: 'dsr_x' });
    assert.equal(both.statusCode, 422);
    assert.deepEqual(both.json().errors.map((error: { field: string }) => error.field), ['refresh_token']);
  });

  it('names an unknown property with 422', async () => {
    const response = await authenticate(api, { application_tokn: applicationToken });

    assert.equal(response.statusCode, 422);
    const body = response.json();
    assert.equal(body.error_token, 'validation_failed');
    assert.equal(body.errors[0].field, 'application_tokn');
    assert.match(body.errors[0].message, /not a known property/);
  });
});

describe('authentication rate limit', () => {
  let api: Api;

  before(async () => {
    api = await startApi({}, { authenticateRateLimit: { max: 2, timeWindowMs: 60_000 } });
  });

  after(async () => {
    await api.app.close();
    api.storage.close();
  });

  it('answers 429 after the allowed attempts per address', async () => {
    assert.equal((await authenticate(api, { application_token: 'dsa_wrong' })).statusCode, 401);
    assert.equal((await authenticate(api, { application_token: 'dsa_wrong' })).statusCode, 401);

    const limited = await authenticate(api, { application_token: 'dsa_wrong' });

    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().error_token, 'rate_limited');
    assert.match(limited.json().message, /Retry in/);
    assert.ok(limited.headers['retry-after'], 'Retry-After header is set');
  });
});

describe('GET /api/v1/organisation/my', () => {
  let api: Api;
  let organisationId: number;
  let authToken: string;

  before(async () => {
    api = await startApi({ DATASTREAMER_OPERATOR_PRINCIPAL_ARN: 'arn:aws:iam::123456789012:role/datastreamer' });
    organisationId = api.storage.createOrganisation('Globex').id;
    const { token } = issueApplicationToken(api.storage, organisationId, 'test');
    authToken = (await authenticate(api, { application_token: token })).json().auth_token;
  });

  after(async () => {
    await api.app.close();
    api.storage.close();
  });

  it('shows the organisation with its AWS external id', async () => {
    const response = await getOrganisation(api, authToken);

    assert.equal(response.statusCode, 200);
    const organisation = api.storage.getOrganisation(organisationId)!;
    assert.deepEqual(response.json(), {
      id: organisationId,
      name: 'Globex',
      created: organisation.created,
      aws_external_id: `org-${organisationId}`,
      aws_principal_arn: 'arn:aws:iam::123456789012:role/datastreamer',
    });
  });

  it('rejects a request without a token with 401', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/api/v1/organisation/my' });

    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error_token, 'missing_bearer_token');
  });

  it('rejects a malformed token with 401', async () => {
    const response = await getOrganisation(api, 'not-a-jwt');

    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error_token, 'invalid_auth_token');
  });

  it('rejects a token signed with another key with 401', async () => {
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(organisationId))
      .setIssuer('datastreamer')
      .setExpirationTime('1h')
      .sign(new Uint8Array(32).fill(7));

    assert.equal((await getOrganisation(api, forged)).statusCode, 401);
  });

  it('rejects an expired token with 401', async () => {
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(organisationId))
      .setIssuer('datastreamer')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(api.jwtSecret);

    const response = await getOrganisation(api, expired);

    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error_token, 'invalid_auth_token');
  });

  it('rejects the admin token, which is not an auth token', async () => {
    assert.equal((await getOrganisation(api, ADMIN_TOKEN)).statusCode, 401);
  });
});

describe('resolveJwtSecret', () => {
  function config(env: Record<string, string> = {}): Config {
    return loadConfig({ DATASTREAMER_ADMIN_TOKEN: ADMIN_TOKEN, ...env });
  }

  it('generates a secret once and keeps it in storage', () => {
    const storage = new SqliteStorage(':memory:');
    try {
      const first = resolveJwtSecret(config(), storage);
      const second = resolveJwtSecret(config(), storage);

      assert.equal(first.length, 32);
      assert.deepEqual(Buffer.from(second), Buffer.from(first));
      assert.ok(storage.getSetting('jwt_secret'), 'secret is stored as a setting');
    } finally {
      storage.close();
    }
  });

  it('keeps auth tokens valid after a restart', async () => {
    const storage = new SqliteStorage(':memory:');
    const organisationId = storage.createOrganisation('Initech').id;
    const { token } = issueApplicationToken(storage, organisationId, 'test');
    const deps = { config: config(), storage, logger: pino({ level: 'silent' }), delivery: NO_DELIVERY };

    const firstRun = await buildApi({ ...deps, jwtSecret: resolveJwtSecret(deps.config, storage) });
    const authToken = (await firstRun.inject({ method: 'POST', url: '/api/v1/authenticate', payload: { application_token: token } })).json().auth_token;
    await firstRun.close();

    const restarted = await buildApi({ ...deps, jwtSecret: resolveJwtSecret(deps.config, storage) });
    try {
      const response = await restarted.inject({ method: 'GET', url: '/api/v1/organisation/my', headers: { authorization: `Bearer ${authToken}` } });
      assert.equal(response.statusCode, 200);
    } finally {
      await restarted.close();
      storage.close();
    }
  });

  it('uses DATASTREAMER_JWT_SECRET when set', () => {
    const storage = new SqliteStorage(':memory:');
    try {
      const secret = resolveJwtSecret(config({ DATASTREAMER_JWT_SECRET: 'x'.repeat(40) }), storage);

      assert.equal(Buffer.from(secret).toString('utf8'), 'x'.repeat(40));
      assert.equal(storage.getSetting('jwt_secret'), undefined);
    } finally {
      storage.close();
    }
  });

  it('rejects a short DATASTREAMER_JWT_SECRET', () => {
    const storage = new SqliteStorage(':memory:');
    try {
      assert.throws(() => resolveJwtSecret(config({ DATASTREAMER_JWT_SECRET: 'short' }), storage), /DATASTREAMER_JWT_SECRET is 5 bytes long/);
    } finally {
      storage.close();
    }
  });
});
