import { createDecipheriv } from 'node:crypto';
import { createRequire } from 'node:module';

/** The IAM action and resource that AWS would authorize a request against. */
export interface AuthorizedOperation {
  action: string;
  resource: string;
}

// Query parameters that select a bucket or object subresource operation. The first one present wins.
const S3_SUBRESOURCES = [
  'acl',
  'cors',
  'delete',
  'encryption',
  'lifecycle',
  'location',
  'notification',
  'object-lock',
  'policy',
  'tagging',
  'uploadId',
  'uploads',
  'versioning',
  'versions',
  'website',
] as const;

type S3Subresource = (typeof S3_SUBRESOURCES)[number];

const BUCKET_GET_ACTIONS: Partial<Record<S3Subresource, string>> = {
  acl: 's3:GetBucketAcl',
  cors: 's3:GetBucketCORS',
  encryption: 's3:GetEncryptionConfiguration',
  lifecycle: 's3:GetLifecycleConfiguration',
  location: 's3:GetBucketLocation',
  notification: 's3:GetBucketNotification',
  'object-lock': 's3:GetBucketObjectLockConfiguration',
  policy: 's3:GetBucketPolicy',
  tagging: 's3:GetBucketTagging',
  uploads: 's3:ListBucketMultipartUploads',
  versioning: 's3:GetBucketVersioning',
  versions: 's3:ListBucketVersions',
  website: 's3:GetBucketWebsite',
};

const BUCKET_PUT_ACTIONS: Partial<Record<S3Subresource, string>> = {
  acl: 's3:PutBucketAcl',
  cors: 's3:PutBucketCORS',
  encryption: 's3:PutEncryptionConfiguration',
  lifecycle: 's3:PutLifecycleConfiguration',
  notification: 's3:PutBucketNotification',
  'object-lock': 's3:PutBucketObjectLockConfiguration',
  policy: 's3:PutBucketPolicy',
  tagging: 's3:PutBucketTagging',
  versioning: 's3:PutBucketVersioning',
  website: 's3:PutBucketWebsite',
};

// IAM has no separate delete actions for CORS, encryption, lifecycle and tagging, so deleting them needs the Put action.
const BUCKET_DELETE_ACTIONS: Partial<Record<S3Subresource, string>> = {
  cors: 's3:PutBucketCORS',
  encryption: 's3:PutEncryptionConfiguration',
  lifecycle: 's3:PutLifecycleConfiguration',
  policy: 's3:DeleteBucketPolicy',
  tagging: 's3:PutBucketTagging',
  website: 's3:DeleteBucketWebsite',
};

/** Maps a path-style S3 request to the IAM action and resource that S3 authorizes. */
export function s3Operation(method: string, url: URL): AuthorizedOperation {
  const [rawBucket = '', ...keyParts] = url.pathname.slice(1).split('/');
  const bucket = decodeURIComponent(rawBucket);
  const key = decodeURIComponent(keyParts.join('/'));
  const subresource = S3_SUBRESOURCES.find((name) => url.searchParams.has(name));

  if (bucket === '') {
    return { action: 's3:ListAllMyBuckets', resource: '*' };
  }
  if (keyParts.length === 0 || key === '') {
    return { action: s3BucketAction(method, subresource), resource: `arn:aws:s3:::${bucket}` };
  }
  return { action: s3ObjectAction(method, subresource), resource: `arn:aws:s3:::${bucket}/${key}` };
}

function s3BucketAction(method: string, subresource: S3Subresource | undefined): string {
  switch (method) {
    case 'GET':
      return subresource === undefined ? 's3:ListBucket' : (BUCKET_GET_ACTIONS[subresource] ?? 's3:ListBucket');
    // HeadBucket is authorized as s3:ListBucket.
    case 'HEAD':
      return 's3:ListBucket';
    case 'PUT':
      return subresource === undefined ? 's3:CreateBucket' : (BUCKET_PUT_ACTIONS[subresource] ?? 's3:CreateBucket');
    case 'DELETE':
      return subresource === undefined ? 's3:DeleteBucket' : (BUCKET_DELETE_ACTIONS[subresource] ?? 's3:DeleteBucket');
    // NOTE: DeleteObjects and browser form uploads are authorized per object in AWS. The gate checks
    // the bucket ARN instead, so only a permission on the bucket itself (or `*`) allows them.
    case 'POST':
      return subresource === 'delete' ? 's3:DeleteObject' : 's3:PutObject';
    default:
      return `s3:Unknown${method}`;
  }
}

function s3ObjectAction(method: string, subresource: S3Subresource | undefined): string {
  switch (method) {
    case 'GET':
      if (subresource === 'acl') return 's3:GetObjectAcl';
      if (subresource === 'tagging') return 's3:GetObjectTagging';
      if (subresource === 'uploadId') return 's3:ListMultipartUploadParts';
      return 's3:GetObject';
    case 'HEAD':
      return 's3:GetObject';
    // NOTE: AWS also requires s3:PutObjectAcl when a PutObject request sets `x-amz-acl`, and s3:GetObject
    // on the source of a copy. The gate checks s3:PutObject only.
    case 'PUT':
      if (subresource === 'acl') return 's3:PutObjectAcl';
      if (subresource === 'tagging') return 's3:PutObjectTagging';
      return 's3:PutObject';
    // Initiating and completing a multipart upload are authorized as s3:PutObject.
    case 'POST':
      return 's3:PutObject';
    case 'DELETE':
      if (subresource === 'uploadId') return 's3:AbortMultipartUpload';
      if (subresource === 'tagging') return 's3:DeleteObjectTagging';
      return 's3:DeleteObject';
    default:
      return `s3:Unknown${method}`;
  }
}

/**
 * Maps a Kinesis JSON request (`X-Amz-Target: Kinesis_20131202.<Operation>`) to `kinesis:<Operation>`
 * on the stream ARN. Operations that name no stream, such as ListStreams, are authorized on `*`.
 */
export function kinesisOperation(
  target: string | undefined,
  body: Buffer,
  streamArnPrefix: string,
): AuthorizedOperation {
  const operation = target?.split('.')[1] ?? 'Unknown';
  const action = `kinesis:${operation}`;

  let input: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null) {
      input = parsed as Record<string, unknown>;
    }
  } catch {
    // NOTE: CBOR bodies (application/x-amz-cbor-1.1) are not decoded, so such requests are authorized on `*`.
  }

  if (typeof input.StreamARN === 'string') {
    return { action, resource: input.StreamARN };
  }
  if (typeof input.StreamName === 'string') {
    return { action, resource: streamArnPrefix + input.StreamName };
  }
  if (typeof input.ShardIterator === 'string') {
    const streamName = streamNameFromShardIterator(input.ShardIterator);
    if (streamName !== undefined) {
      return { action, resource: streamArnPrefix + streamName };
    }
  }
  return { action, resource: '*' };
}

interface KinesaliteIteratorKeys {
  ITERATOR_PWD_KEY: Buffer;
  ITERATOR_PWD_IV: Buffer;
}

let iteratorKeys: KinesaliteIteratorKeys | undefined;

/**
 * Reads the stream name from a kinesalite shard iterator, so that GetRecords can be authorized
 * on its stream. Real Kinesis iterators are opaque: this only works because kinesalite 3.x
 * encrypts `<time>/<stream>/<shard>/<sequence>/<padding>` with a key that it exports.
 */
function streamNameFromShardIterator(shardIterator: string): string | undefined {
  iteratorKeys ??= createRequire(import.meta.url)('kinesalite/db/index.js') as KinesaliteIteratorKeys;
  try {
    const encrypted = Buffer.from(shardIterator, 'base64').subarray(8);
    const decipher = createDecipheriv('aes-256-cbc', iteratorKeys.ITERATOR_PWD_KEY, iteratorKeys.ITERATOR_PWD_IV);
    const plain = Buffer.concat([decipher.update(encrypted), decipher.final()]).toString('utf8');
    return plain.split('/')[1];
  } catch {
    return undefined;
  }
}
