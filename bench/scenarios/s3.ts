import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

import { BUCKET, customerRoleArn } from '../lib/environment.js';
import { round } from '../lib/stats.js';
import { measureDrain, measureEndToEnd } from '../lib/throughput.js';
import { countBodies, toWholeFiles, writeRecordFiles, type RecordBodies } from '../lib/traffic.js';
import type { ScenarioContext, ScenarioOutcome } from './context.js';

const COMPRESSIONS = ['none', 'gzip'] as const;
type Compression = (typeof COMPRESSIONS)[number];

/** rotate_interval of the throughput streams. Every file here reaches flush_size long before. */
const ROTATE_INTERVAL_MS = 10_000;

/**
 * End to end to S3, for CSV plain and gzip: records per second from the
 * first ingest request until the last file is committed, against the
 * ceiling of encoding the same records and uploading them with no service.
 * A second stream, paused during ingest, measures delivery of a backlog alone.
 */
export async function runS3(context: ScenarioContext): Promise<ScenarioOutcome> {
  const outcome: ScenarioOutcome = { figures: [], details: {} };

  for (const compression of COMPRESSIONS) {
    const run = await runCompression(context, compression);
    const label = `S3 CSV ${compression === 'gzip' ? 'gzip' : 'plain'}`;
    const ratio = run.endToEnd.recordsPerSecond / run.ceiling.recordsPerSecond;
    outcome.figures.push(
      { scenario: label, measure: 'end to end', value: run.endToEnd.recordsPerSecond, unit: 'records/s', target: { bound: 'min', value: 100_000 } },
      { scenario: label, measure: 'ceiling (encode + upload, no service)', value: run.ceiling.recordsPerSecond, unit: 'records/s' },
      { scenario: label, measure: 'service / ceiling', value: round(ratio, 2), unit: 'ratio', target: { bound: 'min', value: 0.7 } },
      { scenario: label, measure: 'backlog drain (delivery alone)', value: run.drain.recordsPerSecond, unit: 'records/s' },
    );
    outcome.details[compression] = run;
  }
  return outcome;
}

async function runCompression(context: ScenarioContext, compression: Compression) {
  const { environment, options, traffic } = context;
  const { service } = await environment.startService(`s3-${compression}`);
  let endToEnd, drain, bodies: RecordBodies, organisationId: number;
  try {
    const [e2eOrganisation, drainOrganisation] = await service.createOrganisations([`Bench S3 ${compression}`, `Bench S3 ${compression} backlog`]);
    await environment.addCustomerRoles([e2eOrganisation.id, drainOrganisation.id]);
    organisationId = e2eOrganisation.id;

    const destination = (prefix: string) =>
      environment.s3Destination({ prefix, flush_size: options.flushSize, rotate_interval: ROTATE_INTERVAL_MS, compression });
    const [e2eStream] = await service.createStreams([{ organisation_id: e2eOrganisation.id, data_stream_type: 3, destination: destination(`e2e-${compression}/`) }]);
    const [drainStream] = await service.createStreams([
      { organisation_id: drainOrganisation.id, data_stream_type: 3, destination: destination(`drain-${compression}/`), status: 2 },
    ]);

    bodies = toWholeFiles(traffic.bodiesFor(e2eOrganisation, options.records), options.flushSize);
    context.log(`s3 ${compression}: ${countBodies(bodies)} records end to end`);
    endToEnd = await measureEndToEnd(context, service, e2eStream, bodies);

    const drainBodies = toWholeFiles(traffic.bodiesFor(drainOrganisation, options.records), options.flushSize);
    context.log(`s3 ${compression}: ${countBodies(drainBodies)} records as a backlog`);
    drain = await measureDrain(context, service, drainStream, drainBodies);
  } finally {
    await service.stop();
  }

  const files = await countObjects(environment.admin().s3, `e2e-${compression}/`);
  const expectedFiles = countBodies(bodies) / options.flushSize;
  if (files.count !== expectedFiles) {
    throw new Error(`S3 ${compression}: found ${files.count} files under e2e-${compression}/, expected ${expectedFiles}. The service output above may show the failed uploads.`);
  }

  context.log(`s3 ${compression}: ceiling`);
  const recordFiles = writeRecordFiles(environment.directory, `s3-${compression}`, bodies);
  const ceiling = await environment.runCeiling('s3', {
    roleArn: customerRoleArn(organisationId),
    organisationId,
    recordFiles,
    bucket: BUCKET,
    flushSize: options.flushSize,
    compression,
  });

  return {
    endToEnd,
    drain,
    ceiling,
    files: { ...files, flushSize: options.flushSize },
  };
}

async function countObjects(s3: S3Client, prefix: string): Promise<{ count: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      count += 1;
      bytes += object.Size ?? 0;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return { count, bytes };
}
