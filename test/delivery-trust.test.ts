import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { sampleUsage } from './fixtures.js';
import { Harness, waitFor } from './support/harness.js';

const BUCKET = 'trust-bucket';

describe('trust relationship faults', () => {
  let harness: Harness;

  before(async () => {
    harness = await Harness.start();
    await harness.aws.createBucket(BUCKET);
  });

  after(async () => {
    await harness.close();
  });

  it('moves to Error with a diagnosis, then delivers everything once trust is fixed', async () => {
    const organisation = await harness.createOrganisation('Initech');
    const externalId = `org-${organisation.id}`;
    const roleArn = harness.addCustomerRole(organisation.id, 'initech-s3', { bucket: BUCKET }, 'org-999999');

    const stream = await harness.createStream(organisation.authToken, {
      data_stream_type: { id: 1 },
      destination: { connection_type: 'S3', credentials: { region: harness.aws.region, bucket_name: BUCKET, role_arn: roleArn, flush_size: 10 } },
    });
    const records = Array.from({ length: 20 }, (_, index) => sampleUsage({ id: 300 + index, organisation_id: organisation.id }));
    await harness.ingest('usage', records);

    const failed = await waitFor(async () => {
      const view = await harness.getStream(organisation.authToken, stream.id);
      return view.status.id === 3 ? view : undefined;
    });
    assert.ok(failed, 'stream reached Error');
    assert.equal(failed.status.description, 'Error');
    assert.equal(failed.delivery.last_error?.code, 'role_not_assumable');
    assert.match(failed.delivery.last_error!.message, /trust relationship/);
    assert.ok(failed.delivery.last_error!.message.includes(externalId), 'diagnosis names the external id');
    assert.equal(failed.delivery.records_delivered, 0);
    assert.equal(failed.delivery.records_waiting, 20);
    assert.deepEqual(await harness.aws.listAllObjects(BUCKET), []);

    harness.addCustomerRole(organisation.id, 'initech-s3', { bucket: BUCKET });

    const recovered = await waitFor(async () => {
      const view = await harness.getStream(organisation.authToken, stream.id);
      return view.delivery.records_delivered === 20 ? view : undefined;
    });
    assert.ok(recovered, 'the held records were delivered after the fix');
    assert.equal(recovered.status.id, 1);
    assert.equal(recovered.delivery.last_error, null);
    assert.equal(recovered.delivery.records_waiting, 0);
    assert.equal((await harness.aws.listAllObjects(BUCKET)).length, 2);
  });

  it('diagnoses a missing bucket and a missing permission', async () => {
    const organisation = await harness.createOrganisation('Hooli');
    const roleArn = harness.addCustomerRole(organisation.id, 'hooli-s3', { bucket: 'some-other-bucket' });

    const denied = await harness.createStream(organisation.authToken, {
      data_stream_type: { id: 1 },
      destination: { connection_type: 'S3', credentials: { region: harness.aws.region, bucket_name: BUCKET, role_arn: roleArn, flush_size: 10 } },
    });
    await harness.ingest('usage', Array.from({ length: 10 }, (_, index) => sampleUsage({ id: 400 + index, organisation_id: organisation.id })));

    const deniedView = await waitFor(async () => {
      const view = await harness.getStream(organisation.authToken, denied.id);
      return view.status.id === 3 ? view : undefined;
    });
    assert.ok(deniedView);
    assert.equal(deniedView.delivery.last_error?.code, 's3_put_object_denied');
    assert.match(deniedView.delivery.last_error!.message, /s3:PutObject/);

    const missingRole = harness.addCustomerRole(organisation.id, 'hooli-missing', { bucket: 'no-such-bucket' });
    const missing = await harness.createStream(organisation.authToken, {
      data_stream_type: { id: 1 },
      destination: { connection_type: 'S3', credentials: { region: harness.aws.region, bucket_name: 'no-such-bucket', role_arn: missingRole, flush_size: 10 } },
    });
    await harness.ingest('usage', Array.from({ length: 10 }, (_, index) => sampleUsage({ id: 500 + index, organisation_id: organisation.id })));

    const missingView = await waitFor(async () => {
      const view = await harness.getStream(organisation.authToken, missing.id);
      return view.status.id === 3 ? view : undefined;
    });
    assert.ok(missingView);
    assert.equal(missingView.delivery.last_error?.code, 'bucket_not_found');
    assert.match(missingView.delivery.last_error!.message, /no-such-bucket does not exist/);
  });
});
