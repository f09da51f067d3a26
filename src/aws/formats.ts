import net from 'node:net';

import { parseKmsKeyReference } from './kms-key.js';

/**
 * String formats of AWS names that data stream destinations use, checked
 * before a stream is stored so that a typo fails at once rather than at the
 * first delivery. Each format has the phrase that error messages show after
 * "is not", so the caller sees what a valid value looks like.
 */
export interface AwsFormat {
  validate(value: string): boolean;
  expected: string;
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

// An IAM role may sit under a path (role/service/datastreamer); the role name itself has at most 64 characters.
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

const KINESIS_STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

const BUCKET_CHARACTERS = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

// Prefixes and suffixes that S3 reserves for access points, aliases and other bucket types.
const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

function isBucketName(value: string): boolean {
  if (!BUCKET_CHARACTERS.test(value)) return false;
  if (value.includes('..')) return false;
  if (net.isIPv4(value)) return false;
  if (RESERVED_BUCKET_PREFIXES.some((prefix) => value.startsWith(prefix))) return false;
  return !RESERVED_BUCKET_SUFFIXES.some((suffix) => value.endsWith(suffix));
}

function isKeyPrefix(value: string): boolean {
  return !value.startsWith('/') && !CONTROL_CHARACTER.test(value);
}

export const AWS_FORMATS: Record<string, AwsFormat> = {
  'aws-region': {
    validate: (value) => REGION.test(value),
    expected: 'an AWS region code such as eu-west-1',
  },
  'iam-role-arn': {
    validate: (value) => ROLE_ARN.test(value),
    expected: 'an IAM role ARN such as arn:aws:iam::123456789012:role/datastreamer-delivery',
  },
  's3-bucket-name': {
    validate: isBucketName,
    expected:
      'a valid S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, ' +
      'without "..", not an IP address and without a prefix or suffix that S3 reserves (xn--, sthree-, -s3alias, --ol-s3)',
  },
  's3-key-prefix': {
    validate: isKeyPrefix,
    expected: 'a valid S3 key prefix: it must not start with "/" or contain control characters; write logs/ rather than /logs/',
  },
  'kinesis-stream-name': {
    validate: (value) => KINESIS_STREAM_NAME.test(value),
    expected: 'a valid Kinesis stream name: 1 to 128 letters, digits, underscores, dots and hyphens',
  },
  'kms-key-id': {
    validate: (value) => parseKmsKeyReference(value) !== undefined,
    expected:
      'a KMS key id (1234abcd-12ab-34cd-56ef-1234567890ab), key ARN (arn:aws:kms:<region>:<account id>:key/<key id>), ' +
      'alias name (alias/<name>) or alias ARN (arn:aws:kms:<region>:<account id>:alias/<name>)',
  },
};
