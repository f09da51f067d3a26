import type { IncomingHttpHeaders } from 'node:http';

import { headerValue } from './aws-wire.js';
import type { AuthorizedOperation } from './gate-actions.js';
import type { GateRejection } from './gate-errors.js';
import { accountOfArn, type Iam, type Principal } from './iam.js';

/**
 * Bucket settings that s3rver does not model: the bucket's region and
 * whether its Object Ownership is "Bucket owner enforced", which disables
 * ACLs. Tests change them at any time, and the next request uses the change.
 */
export class S3BucketSettings {
  private readonly regions = new Map<string, string>();
  private readonly aclsDisabled = new Set<string>();

  constructor(
    /** Region of every bucket without a region of its own. */
    readonly defaultRegion: string,
  ) {}

  regionOf(bucket: string): string {
    return this.regions.get(bucket) ?? this.defaultRegion;
  }

  setRegion(bucket: string, region: string): void {
    this.regions.set(bucket, region);
  }

  hasAclsDisabled(bucket: string): boolean {
    return this.aclsDisabled.has(bucket);
  }

  setAclsDisabled(bucket: string, disabled: boolean): void {
    if (disabled) this.aclsDisabled.add(bucket);
    else this.aclsDisabled.delete(bucket);
  }
}

// The one canned ACL that a bucket with ACLs disabled still accepts, because it changes nothing.
const OWNER_FULL_CONTROL = 'bucket-owner-full-control';
const KMS_ENCRYPTION = new Set(['aws:kms', 'aws:kms:dsse']);

/** Returns the bucket named by an S3 resource ARN (`arn:aws:s3:::<bucket>[/<key>]`), or undefined for `*`. */
export function bucketOfResource(resource: string): string | undefined {
  if (!resource.startsWith('arn:aws:s3:::')) return undefined;
  return resource.slice('arn:aws:s3:::'.length).split('/')[0];
}

/**
 * Applies the rules that S3 checks after IAM allowed the request: a bucket
 * with ACLs disabled rejects requests that set an ACL, and an SSE-KMS upload
 * needs kms:GenerateDataKey on the key, which S3 requests from KMS with the
 * caller's identity.
 */
export function checkS3BucketRules(
  iam: Iam,
  buckets: S3BucketSettings,
  principal: Principal,
  operation: AuthorizedOperation,
  headers: IncomingHttpHeaders,
): GateRejection | undefined {
  const bucket = bucketOfResource(operation.resource);
  if (bucket === undefined) return undefined;

  if (buckets.hasAclsDisabled(bucket) && setsAcl(operation, headers)) {
    return { kind: 'acl-not-supported' };
  }

  const encryption = headerValue(headers, 'x-amz-server-side-encryption');
  const keyId = headerValue(headers, 'x-amz-server-side-encryption-aws-kms-key-id');
  // NOTE: without a key id S3 uses the AWS managed key aws/s3, which every principal of the account may use through S3.
  if (operation.action === 's3:PutObject' && encryption !== undefined && KMS_ENCRYPTION.has(encryption) && keyId !== undefined) {
    const keyArn = kmsKeyArn(keyId, buckets.regionOf(bucket), accountOfArn(principal.arn));
    if (!iam.isAllowed(principal, 'kms:GenerateDataKey', keyArn)) {
      return { kind: 'kms-access-denied', principalArn: principal.arn, keyArn };
    }
  }
  return undefined;
}

function setsAcl(operation: AuthorizedOperation, headers: IncomingHttpHeaders): boolean {
  // NOTE: S3 accepts an ACL body that only grants the bucket owner full control; the gate rejects every PUT ?acl.
  if (operation.action === 's3:PutObjectAcl' || operation.action === 's3:PutBucketAcl') return true;

  const cannedAcl = headerValue(headers, 'x-amz-acl');
  if (cannedAcl !== undefined && cannedAcl !== OWNER_FULL_CONTROL) return true;
  return Object.keys(headers).some((name) => name.startsWith('x-amz-grant-'));
}

/**
 * Resolves the key id header as S3 does: a key id or alias name is looked up
 * in the caller's account and the bucket's region.
 * NOTE: KMS authorizes a request by alias on the key the alias points to. The
 * emulator has no aliases, so it authorizes on the alias ARN itself.
 */
function kmsKeyArn(keyId: string, region: string, accountId: string): string {
  if (keyId.startsWith('arn:')) return keyId;
  if (keyId.startsWith('alias/')) return `arn:aws:kms:${region}:${accountId}:${keyId}`;
  return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
}
