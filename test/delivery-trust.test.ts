import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteBucketCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';

import { CHECK_OBJECT_NAME } from '../src/aws/setup-check-writes.js';
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

  async function deliveredKeys(): Promise<string[]> {
    return (await harness.aws.listAllObjects(BUCKET)).filter((key) => !key.endsWith(CHECK_OBJECT_NAME));
  }

  it('moves to Error with a diagnosis, then delivers everything once trust is fixed', async () => {
    const organisation = await harness.createOrganisation('Initech');
    const externalId = `org-${organisation.id}`;
    const body = {
      data_stream_type: { id: 1 },
      destination: { connection_type: 'S3', credentials: { region: harness.aws.region, bucket_name: BUCKET, role_arn: 'arn:aws:iam::222222222222:role/initech-s3', flush_size: 10 } },
    };

    // The setup check rejects a role that trusts another external id.
    const roleArn = harness.addCustomerRole(organisation.id, 'initech-s3', { bucket: BUCKET }, 'org-999999');
    const rejected = await harness.request('POST', '/api/v2/data_stream', { body, token: organisation.authToken });
    assert.equal(rejected.status, 422);
    const rejectedBody = rejected.body as { error_token: string; diagnosis: { code: string; message: string } };
    assert.equal(rejectedBody.error_token, 'setup_check_failed');
    assert.equal(rejectedBody.diagnosis.code, 'role_not_assumable');
    assert.ok(rejectedBody.diagnosis.message.includes(externalId));

    // A stream created while the trust was right, whose trust is changed afterwards.
    harness.addCustomerRole(organisation.id, 'initech-s3', { bucket: BUCKET });
    const stream = await harness.createStream(organisation.authToken, body);
    harness.addCustomerRole(organisation.id, 'initech-s3', { bucket: BUCKET }, 'org-999999');
    assert.equal(stream.id > 0, true, `stream created for ${roleArn}`);
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
    assert.deepEqual(await deliveredKeys(), []);

    harness.addCustomerRole(organisation.id, 'initech-s3', { bucket: BUCKET });

    const recovered = await waitFor(async () => {
      const view = await harness.getStream(organisation.authToken, stream.id);
      return view.delivery.records_delivered === 20 ? view : undefined;
    });
    assert.ok(recovered, 'the held records were delivered after the fix');
    assert.equal(recovered.status.id, 1);
    assert.equal(recovered.delivery.last_error, null);
    assert.equal(recovered.delivery.records_waiting, 0);
    assert.equal((await deliveredKeys()).length, 2);
  });

  it('diagnoses a permission and a bucket removed after creation', async () => {
    const organisation = await harness.createOrganisation('Hooli');
    const roleArn = harness.addCustomerRole(organisation.id, 'hooli-s3', { bucket: BUCKET });
    const denied = await harness.createStream(organisation.authToken, {
      data_stream_type: { id: 1 },
      destination: { connection_type: 'S3', credentials: { region: harness.aws.region, bucket_name: BUCKET, role_arn: roleArn, flush_size: 10 } },
    });

    // The customer narrows the role's permissions to another bucket.
    harness.addCustomerRole(organisation.id, 'hooli-s3', { bucket: 'some-other-bucket' });
    await harness.ingest('usage', Array.from({ length: 10 }, (_, index) => sampleUsage({ id: 400 + index, organisation_id: organisation.id })));

    const deniedView = await waitFor(async () => {
      const view = await harness.getStream(organisation.authToken, denied.id);
      return view.status.id === 3 ? view : undefined;
    });
    assert.ok(deniedView);
    assert.equal(deniedView.delivery.last_error?.code, 's3_put_object_denied');
    assert.match(deniedView.delivery.last_error!.message, /s3:PutObject/);

    // The customer deletes the bucket after the stream was created.
    await harness.aws.createBucket('short-lived-bucket');
    const bucketRole = harness.addCustomerRole(organisation.id, 'hooli-bucket', { bucket: 'short-lived-bucket' });
    const missing = await harness.createStream(organisation.authToken, {
      data_stream_type: { id: 1 },
      destination: { connection_type: 'S3', credentials: { region: harness.aws.region, bucket_name: 'short-lived-bucket', role_arn: bucketRole, flush_size: 10 } },
    });
    const s3 = harness.aws.adminS3Client();
    await s3.send(new DeleteObjectCommand({ Bucket: 'short-lived-bucket', Key: CHECK_OBJECT_NAME }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'short-lived-bucket' }));
    await harness.ingest('usage', Array.from({ length: 10 }, (_, index) => sampleUsage({ id: 500 + index, organisation_id: organisation.id })));

    const missingView = await waitFor(async () => {
      const view = await harness.getStream(organisation.authToken, missing.id);
      return view.status.id === 3 ? view : undefined;
    });
    assert.ok(missingView);
    assert.equal(missingView.delivery.last_error?.code, 'bucket_not_found');
    assert.match(missingView.delivery.last_error!.message, /short-lived-bucket does not exist/);
  });
});
