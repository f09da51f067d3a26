import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import path from 'node:path';

import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService, type Service } from '../../src/service.js';
import { openStorage } from '../../src/storage/index.js';
import { StreamStatus, type Destination, type StreamStatusId, type StreamTypeId } from '../../src/storage/types.js';
import { serveRpc } from '../lib/rpc.js';

/**
 * Bench host that runs the datastreamer service (API and delivery workers)
 * in its own process, as `npm start` would, so that its CPU time and
 * resident memory can be measured alone. Organisations and streams are
 * created directly in storage, which skips the API's setup check.
 */

export interface StreamSpec {
  organisation_id: number;
  data_stream_type: StreamTypeId;
  destination: Destination;
  /** Running by default; a Paused stream collects a backlog until `resumeStream`. */
  status?: StreamStatusId;
}

export interface TenantSeed {
  count: number;
  data_stream_type: StreamTypeId;
  /** Destination of every stream; `{organisation_id}` in `role_arn` is replaced by the stream's organisation. */
  destination: Destination;
}

/** Ids of seeded organisations and their streams, in the same order. */
export interface TenantIds {
  organisationIds: number[];
  streamIds: number[];
}

export interface ServiceMemory {
  rssBytes: number;
  heapUsedBytes: number;
  /** Heap used after a full garbage collection. */
  liveHeapBytes: number;
  /** Memory of Buffers and other objects outside the V8 heap. */
  externalBytes: number;
  workers: number;
}

let service: Service | undefined;
let profiler: inspector.Session | undefined;

function started(): Service {
  if (!service) throw new Error('the service is not started; call start first');
  return service;
}

serveRpc({
  /**
   * Creates organisations with one stream each in the database before the
   * service starts, in one storage session, so that the service starts
   * every worker at once as after a restart.
   */
  seedTenants(params: { databasePath: string; seed: TenantSeed }): TenantIds {
    const storage = openStorage(params.databasePath);
    try {
      const ids: TenantIds = { organisationIds: [], streamIds: [] };
      for (let index = 0; index < params.seed.count; index++) {
        const organisation = storage.createOrganisation(`Tenant ${index + 1}`);
        const stream = storage.createDataStream(newStream({ ...params.seed, organisation_id: organisation.id }));
        ids.organisationIds.push(organisation.id);
        ids.streamIds.push(stream.id);
      }
      return ids;
    } finally {
      storage.close();
    }
  },

  async start(params: { env: Record<string, string>; operator: { accessKeyId: string; secretAccessKey: string } }): Promise<{ url: string }> {
    const config = loadConfig(params.env);
    const { accessKeyId, secretAccessKey } = params.operator;
    service = await startService(config, {
      logger: createLogger(params.env.DATASTREAMER_LOG_LEVEL ?? 'warn'),
      serviceCredentials: async () => ({ accessKeyId, secretAccessKey }),
    });
    return { url: service.url };
  },

  createOrganisations(params: { names: string[] }): { id: number; name: string }[] {
    return params.names.map((name) => {
      const organisation = started().storage.createOrganisation(name);
      return { id: organisation.id, name: organisation.name };
    });
  },

  /** Creates streams, Running unless the spec says otherwise, and starts the workers of Running ones. Returns the stream ids. */
  createStreams(params: { streams: StreamSpec[] }): number[] {
    const { storage, delivery } = started();
    return params.streams.map((spec) => {
      const stream = storage.createDataStream(newStream(spec));
      delivery.streamChanged(stream.id);
      return stream.id;
    });
  },

  /** Sets a Paused stream to Running and starts its worker. */
  resumeStream(params: { streamId: number }): void {
    const { storage, delivery } = started();
    const stream = storage.getDataStreamById(params.streamId);
    if (!stream) throw new Error(`stream ${params.streamId} not found`);

    storage.updateDataStream({ ...stream, status: StreamStatus.Running });
    delivery.streamChanged(stream.id);
  },

  /** Sums records_delivered over the streams and reports those with a last error. */
  progress(params: { streamIds: number[] }): { delivered: number; errors: string[] } {
    let delivered = 0;
    const errors: string[] = [];
    for (const id of params.streamIds) {
      const stream = started().storage.getDataStreamById(id);
      if (!stream) throw new Error(`stream ${id} not found`);

      delivered += stream.records_delivered;
      if (stream.last_error) errors.push(`stream ${id}: ${stream.last_error.code}: ${stream.last_error.message}`);
    }
    return { delivered, errors };
  },

  async startProfile(): Promise<void> {
    profiler = new inspector.Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  },

  async stopProfile(params: { file: string }): Promise<void> {
    if (!profiler) throw new Error('no profile is running; call startProfile first');

    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    fs.mkdirSync(path.dirname(params.file), { recursive: true });
    fs.writeFileSync(params.file, JSON.stringify(profile));
  },

  /** Reads memory use, then collects garbage and reads the heap again, to tell live objects from garbage not yet collected. */
  memory(): ServiceMemory {
    const usage = process.memoryUsage();
    const collect = (globalThis as { gc?: () => void }).gc;
    if (!collect) throw new Error('the service host needs --expose-gc to report its live heap');
    collect();
    const afterCollection = process.memoryUsage();
    return {
      rssBytes: usage.rss,
      heapUsedBytes: usage.heapUsed,
      liveHeapBytes: afterCollection.heapUsed,
      externalBytes: usage.external,
      workers: started().delivery.workerCount,
    };
  },

  async stop(): Promise<void> {
    await service?.stop();
    service = undefined;
  },
});

function newStream(spec: StreamSpec) {
  const destination =
    'role_arn' in spec.destination
      ? { ...spec.destination, role_arn: spec.destination.role_arn.replace('{organisation_id}', String(spec.organisation_id)) }
      : spec.destination;
  return {
    organisation_id: spec.organisation_id,
    name: `bench ${destination.connection_type}`,
    data_stream_type: spec.data_stream_type,
    status: spec.status ?? StreamStatus.Running,
    destination,
    filters: [],
    stream_historic_data: false,
  };
}
