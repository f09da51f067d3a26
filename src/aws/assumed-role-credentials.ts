import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

import type { AwsConfig } from '../config.js';
import type { AwsClientFactory } from './clients.js';
import { externalIdOf, sessionNameOf } from './external-id.js';

export interface RoleTarget {
  roleArn: string;
  organisationId: number;
  /** Region of the destination; AssumeRole goes to that region's STS endpoint. */
  region: string;
}

interface CacheEntry {
  credentials: AwsCredentialIdentity;
  /** Time (ms) from which the credentials are refreshed before use. */
  refreshAt: number;
}

/**
 * Assumes customer roles with the organisation's external id and caches the
 * session credentials per role, external id and region. Credentials are
 * refreshed well before they expire, and concurrent requests for the same
 * role share one AssumeRole call.
 */
export class AssumedRoleCredentials {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<AwsCredentialIdentity>>();
  private readonly stsClients = new Map<string, STSClient>();

  constructor(
    private readonly clients: AwsClientFactory,
    private readonly config: AwsConfig,
    private readonly serviceCredentials?: AwsCredentialIdentityProvider,
  ) {}

  /** Returns a credential provider for SDK clients of the target's destination. */
  providerFor(target: RoleTarget): AwsCredentialIdentityProvider {
    return () => this.get(target);
  }

  async get(target: RoleTarget): Promise<AwsCredentialIdentity> {
    const key = cacheKey(target);
    const cached = this.cache.get(key);
    if (cached && Date.now() < cached.refreshAt) return cached.credentials;

    let request = this.pending.get(key);
    if (!request) {
      request = this.assume(target).finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    return request;
  }

  /** Drops cached credentials, for example after a destination rejected them as expired. */
  invalidate(target: RoleTarget): void {
    this.cache.delete(cacheKey(target));
  }

  private async assume(target: RoleTarget): Promise<AwsCredentialIdentity> {
    const response = await this.stsClient(target.region).send(
      new AssumeRoleCommand({
        RoleArn: target.roleArn,
        ExternalId: externalIdOf(target.organisationId),
        RoleSessionName: sessionNameOf(target.organisationId),
        DurationSeconds: this.config.sessionDurationSeconds,
      }),
    );

    const issued = response.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey || !issued.Expiration) {
      throw new Error(`STS returned no credentials for role ${target.roleArn}`);
    }

    const credentials: AwsCredentialIdentity = {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      sessionToken: issued.SessionToken,
      expiration: issued.Expiration,
    };
    this.cache.set(cacheKey(target), { credentials, refreshAt: this.refreshTime(issued.Expiration.getTime()) });
    return credentials;
  }

  /**
   * Refreshes the configured margin before expiry, but never later than two
   * thirds into a session, so short sessions are refreshed in time too.
   */
  private refreshTime(expiresAt: number): number {
    const lifetime = expiresAt - Date.now();
    const margin = Math.min(this.config.refreshBeforeExpirySeconds * 1000, lifetime / 3);
    return expiresAt - margin;
  }

  private stsClient(region: string): STSClient {
    let client = this.stsClients.get(region);
    if (!client) {
      client = this.clients.sts(region, this.serviceCredentials);
      this.stsClients.set(region, client);
    }
    return client;
  }
}

function cacheKey(target: RoleTarget): string {
  return `${target.region}|${target.roleArn}|${externalIdOf(target.organisationId)}`;
}
