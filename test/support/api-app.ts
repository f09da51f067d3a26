import type { FastifyInstance } from 'fastify';
import pino from 'pino';

import { buildApi } from '../../src/api/server.js';
import { issueApplicationToken, resolveJwtSecret } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config.js';
import type { DeliveryEvents } from '../../src/delivery/events.js';
import { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';

export interface TestOrganisation {
  id: number;
  headers: Record<string, string>;
}

/**
 * Builds the API over an in-memory database without AWS access, with the
 * setup check off, and logs in organisations "a" (Acme IoT) and "b" (Globex).
 * `changedStreams` records every streamChanged signal.
 */
export async function startStreamsApi(): Promise<{
  app: FastifyInstance;
  storage: SqliteStorage;
  changedStreams: number[];
  organisations: Record<'a' | 'b', TestOrganisation>;
}> {
  const config = loadConfig({ DATASTREAMER_ADMIN_TOKEN: 'test-admin-token', DATASTREAMER_SETUP_CHECK_ON_CREATE: 'false' });
  const storage = new SqliteStorage(':memory:');
  const changedStreams: number[] = [];
  const delivery: DeliveryEvents = {
    recordsAppended() {},
    streamChanged(streamId) {
      changedStreams.push(streamId);
    },
    retryNow() {},
  };
  const app = await buildApi({ config, storage, logger: pino({ level: 'silent' }), delivery, jwtSecret: resolveJwtSecret(config, storage) });

  const organisations = {} as Record<'a' | 'b', TestOrganisation>;
  for (const [key, name] of [['a', 'Acme IoT'], ['b', 'Globex']] as const) {
    const id = storage.createOrganisation(name).id;
    const { token } = issueApplicationToken(storage, id, 'test');
    const auth = await app.inject({ method: 'POST', url: '/api/v1/authenticate', payload: { application_token: token } });
    organisations[key] = { id, headers: { authorization: `Bearer ${auth.json().auth_token}` } };
  }
  return { app, storage, changedStreams, organisations };
}
