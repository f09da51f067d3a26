import type { AwsCredentialIdentityProvider } from '@smithy/types';

import type { AssumedRoleCredentials, RoleTarget } from '../aws/assumed-role-credentials.js';
import type { AwsClientFactory } from '../aws/clients.js';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { DataStream, Storage } from '../storage/types.js';
import { diagnoseAssumeRoleError, type DiagnosisContext } from './aws-diagnosis.js';
import { DeliveryError } from './delivery-error.js';
import { KinesisService } from './kinesis/kinesis-service.js';
import { KinesisSink } from './kinesis/kinesis-sink.js';
import { RestService } from './rest/rest-service.js';
import { RestSink } from './rest/rest-sink.js';
import { S3Service } from './s3/s3-service.js';
import { S3Sink } from './s3/s3-sink.js';
import type { Sink } from './sink.js';

export interface SinkDependencies {
  config: Config;
  storage: Storage;
  metrics: Metrics;
  clients: AwsClientFactory;
  credentials: AssumedRoleCredentials;
}

/** Builds the sink for a stream's destination, with its SDK client and assumed-role credentials. */
export class SinkFactory {
  private readonly rest: RestService;

  constructor(private readonly deps: SinkDependencies) {
    this.rest = new RestService({
      policy: { allowLocal: deps.config.delivery.restAllowLocal },
      timeoutMs: deps.config.delivery.restTimeoutMs,
    });
  }

  create(stream: DataStream): Sink {
    const destination = stream.destination;

    switch (destination.connection_type) {
      case 'S3': {
        const { target, diagnosis, credentials } = this.awsAccess(stream, destination.role_arn, destination.region);
        diagnosis.bucketName = destination.bucket_name;
        diagnosis.kmsKeyId = destination.kms_key_id;
        diagnosis.prefix = destination.prefix;
        const service = new S3Service(this.deps.clients.s3(destination.region, credentials), destination);
        return this.refreshingExpiredCredentials(new S3Sink(stream, this.deps.storage, service, diagnosis), target);
      }
      case 'AwsKinesis': {
        const { target, diagnosis, credentials } = this.awsAccess(stream, destination.role_arn, destination.region);
        diagnosis.streamName = destination.stream_name;
        const service = new KinesisService(this.deps.clients.kinesis(destination.region, credentials), destination);
        return this.refreshingExpiredCredentials(new KinesisSink(stream, this.deps.storage, service, diagnosis, this.deps.metrics), target);
      }
      case 'RestAPI':
        return new RestSink(stream, this.deps.storage, this.rest);
    }
  }

  async close(): Promise<void> {
    await this.rest.close();
  }

  /**
   * Describes the customer's role and returns a credential provider that
   * assumes it. AssumeRole failures surface as diagnoses naming the trust
   * relationship, not as errors of the S3 or Kinesis call that needed them.
   */
  private awsAccess(stream: DataStream, roleArn: string, region: string) {
    const target: RoleTarget = { roleArn, organisationId: stream.organisation_id, region };
    const diagnosis: DiagnosisContext = {
      organisationId: stream.organisation_id,
      roleArn,
      region,
      operatorPrincipalArn: this.deps.config.operatorPrincipalArn,
    };

    const credentials: AwsCredentialIdentityProvider = async () => {
      try {
        return await this.deps.credentials.get(target);
      } catch (error) {
        throw diagnoseAssumeRoleError(error, diagnosis);
      }
    };
    return { target, diagnosis, credentials };
  }

  /** Drops cached credentials when a destination rejects them as expired, so the retry assumes the role again. */
  private refreshingExpiredCredentials(sink: Sink, target: RoleTarget): Sink {
    return {
      deliverNext: async (kind, signal) => {
        try {
          return await sink.deliverNext(kind, signal);
        } catch (error) {
          if (error instanceof DeliveryError && error.code === 'credentials_expired') this.deps.credentials.invalidate(target);
          throw error;
        }
      },
    };
  }
}
