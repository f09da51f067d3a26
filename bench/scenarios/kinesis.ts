import { customerRoleArn } from '../lib/environment.js';
import { round } from '../lib/stats.js';
import { measureDrain, measureEndToEnd } from '../lib/throughput.js';
import { countBodies, writeRecordFiles, type RecordBodies } from '../lib/traffic.js';
import type { ScenarioContext, ScenarioOutcome } from './context.js';

/** PutRecords accepts at most 500 records per call, and the ceiling loop sends full calls. */
const RECORDS_PER_CALL = 500;

/**
 * End to end to Kinesis: records per second from the first ingest request
 * until every record is accepted by kinesalite, against a minimal loop of
 * PutRecords calls of 500 records with no service. A second stream, paused
 * during ingest, measures delivery of a backlog alone.
 */
export async function runKinesis(context: ScenarioContext): Promise<ScenarioOutcome> {
  const { environment, options, traffic } = context;
  for (const name of ['bench-kinesis-e2e', 'bench-kinesis-backlog', 'bench-kinesis-ceiling']) {
    await environment.createKinesisStream(name, options.shards);
  }

  const { service } = await environment.startService('kinesis');
  let endToEnd, drain, bodies: RecordBodies, organisationId: number;
  try {
    const [e2eOrganisation, drainOrganisation] = await service.createOrganisations(['Bench Kinesis', 'Bench Kinesis backlog']);
    await environment.addCustomerRoles([e2eOrganisation.id, drainOrganisation.id]);
    organisationId = e2eOrganisation.id;

    const [e2eStream] = await service.createStreams([
      { organisation_id: e2eOrganisation.id, data_stream_type: 3, destination: environment.kinesisDestination('bench-kinesis-e2e') },
    ]);
    const [drainStream] = await service.createStreams([
      { organisation_id: drainOrganisation.id, data_stream_type: 3, destination: environment.kinesisDestination('bench-kinesis-backlog'), status: 2 },
    ]);

    bodies = traffic.bodiesFor(e2eOrganisation, options.records);
    context.log(`kinesis: ${countBodies(bodies)} records end to end`);
    const callsBefore = await environment.countRequests('kinesis:PutRecords');
    const measured = await measureEndToEnd(context, service, e2eStream, bodies);
    const putRecordsCalls = (await environment.countRequests('kinesis:PutRecords')) - callsBefore;
    endToEnd = { ...measured, putRecordsCalls, recordsPerCall: round(measured.records / putRecordsCalls, 1) };

    const drainBodies = traffic.bodiesFor(drainOrganisation, options.records);
    context.log(`kinesis: ${countBodies(drainBodies)} records as a backlog`);
    drain = await measureDrain(context, service, drainStream, drainBodies);
  } finally {
    await service.stop();
  }

  context.log('kinesis: ceiling');
  const recordFiles = writeRecordFiles(environment.directory, 'kinesis', bodies);
  const ceiling = await environment.runCeiling('kinesis', {
    roleArn: customerRoleArn(organisationId),
    organisationId,
    recordFiles,
    streamName: 'bench-kinesis-ceiling',
    recordsPerCall: RECORDS_PER_CALL,
  });

  const ratio = endToEnd.recordsPerSecond / ceiling.recordsPerSecond;
  return {
    figures: [
      { scenario: 'Kinesis', measure: 'end to end', value: endToEnd.recordsPerSecond, unit: 'records/s' },
      { scenario: 'Kinesis', measure: 'ceiling (PutRecords of 500, no service)', value: ceiling.recordsPerSecond, unit: 'records/s' },
      { scenario: 'Kinesis', measure: 'service / ceiling', value: round(ratio, 2), unit: 'ratio', target: { bound: 'min', value: 0.9 } },
      { scenario: 'Kinesis', measure: 'backlog drain (delivery alone)', value: drain.recordsPerSecond, unit: 'records/s' },
    ],
    details: { shards: options.shards, endToEnd, drain, ceiling },
  };
}
