/**
 * The four ways S3 accepts a KMS key in `x-amz-server-side-encryption-aws-kms-key-id`:
 * a key id, a key ARN, an alias name or an alias ARN.
 */
export type KmsKeyReference =
  | { kind: 'key-id'; keyId: string }
  | { kind: 'key-arn'; arn: string; partition: string; region: string; accountId: string; keyId: string }
  | { kind: 'alias-name'; aliasName: string }
  | { kind: 'alias-arn'; arn: string; partition: string; region: string; accountId: string; aliasName: string };

// A single-region key id is a UUID. A multi-region key id is "mrk-" and 32 hex digits.
const KEY_ID = '(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})';
// Alias names are "alias/" followed by letters, digits, "/", "_" and "-", 256 characters at most in all.
const ALIAS_NAME = 'alias/[a-zA-Z0-9/_-]{1,250}';
const ARN_HEAD = '^arn:(aws(?:-[a-z]+)*):kms:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\\d):(\\d{12}):';

const KEY_ID_PATTERN = new RegExp(`^${KEY_ID}$`);
const ALIAS_NAME_PATTERN = new RegExp(`^${ALIAS_NAME}$`);
const KEY_ARN_PATTERN = new RegExp(`${ARN_HEAD}key/(${KEY_ID})$`);
const ALIAS_ARN_PATTERN = new RegExp(`${ARN_HEAD}(${ALIAS_NAME})$`);

/** Parses a KMS key id, key ARN, alias name or alias ARN, and returns undefined for anything else. */
export function parseKmsKeyReference(value: string): KmsKeyReference | undefined {
  if (KEY_ID_PATTERN.test(value)) return { kind: 'key-id', keyId: value };
  if (ALIAS_NAME_PATTERN.test(value)) return { kind: 'alias-name', aliasName: value };

  const keyArn = KEY_ARN_PATTERN.exec(value);
  if (keyArn) return { kind: 'key-arn', arn: value, partition: keyArn[1], region: keyArn[2], accountId: keyArn[3], keyId: keyArn[4] };

  const aliasArn = ALIAS_ARN_PATTERN.exec(value);
  if (aliasArn) {
    return { kind: 'alias-arn', arn: value, partition: aliasArn[1], region: aliasArn[2], accountId: aliasArn[3], aliasName: aliasArn[4] };
  }
  return undefined;
}
