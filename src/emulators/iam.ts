import { createHash, randomBytes } from 'node:crypto';

/** Account of the operator that runs datastreamer. */
export const OPERATOR_ACCOUNT_ID = '111111111111';
/** Account of a customer organisation that owns buckets, streams and the role to assume. */
export const CUSTOMER_ACCOUNT_ID = '222222222222';
/** The operator's own role, which customers name as trusted principal. */
export const OPERATOR_ROLE_ARN = `arn:aws:iam::${OPERATOR_ACCOUNT_ID}:role/datastreamer`;
/** Region that the local emulators serve and that their clients sign for. */
export const LOCAL_REGION = 'eu-west-1';

/** One statement of an identity-based policy, always with effect Allow. */
export interface Permission {
  /** `service:Action`, compared case-insensitively. A trailing `*` matches any suffix, so `s3:*` is every S3 action. */
  action: string;
  /** A resource ARN. A trailing `*` matches any suffix, and `*` alone matches every resource. */
  resource: string;
}

/** A long-term identity, such as the operator's role credentials or a test admin. */
export interface Identity {
  accessKeyId: string;
  secretAccessKey: string;
  principalArn: string;
  permissions: Permission[];
}

export interface Role {
  arn: string;
  /**
   * Principals that the trust policy allows to call sts:AssumeRole: principal ARNs,
   * `arn:aws:iam::<account>:root` or a bare account id for every principal of an account.
   */
  trustedPrincipals: string[];
  /** The `ForAnyValue:StringEquals` condition on `sts:ExternalId`; null means the trust policy has no condition. */
  externalIds: string[] | null;
  permissions: Permission[];
}

/** Temporary credentials issued by sts:AssumeRole. */
export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  roleArn: string;
  sessionName: string;
  externalId: string | undefined;
  /** `arn:aws:sts::<account>:assumed-role/<role name>/<session name>` */
  assumedRoleArn: string;
}

export type Principal =
  | { kind: 'identity'; arn: string; accessKeyId: string; identity: Identity }
  | { kind: 'session'; arn: string; accessKeyId: string; session: Session };

/** Reason a request's credentials were rejected. */
export type AuthenticationFailure = 'unknown-access-key' | 'invalid-session-token' | 'expired';

export type AuthenticationResult =
  | { ok: true; principal: Principal }
  | { ok: false; failure: AuthenticationFailure };

const ROLE_ARN_PATTERN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/**
 * In-memory IAM and STS state shared by the STS server and the gates.
 * Tests change roles and disabled regions at any time, and the next request uses the change.
 */
export class Iam {
  /** Regions in which STS is not activated. */
  readonly disabledRegions = new Set<string>();

  private readonly identities = new Map<string, Identity>();
  private readonly roles = new Map<string, Role>();
  private readonly sessions = new Map<string, Session>();

  addIdentity(identity: Identity): void {
    this.identities.set(identity.accessKeyId, identity);
  }

  /** Adds the role, or replaces the role with the same ARN. */
  putRole(role: Role): void {
    parseRoleArn(role.arn);
    this.roles.set(role.arn, structuredClone(role));
  }

  /** Removes the role. Sessions issued for it still authenticate but are denied every action. */
  removeRole(roleArn: string): boolean {
    return this.roles.delete(roleArn);
  }

  getRole(roleArn: string): Role | undefined {
    return this.roles.get(roleArn);
  }

  /**
   * Returns whether the role's trust policy lets the principal assume it with this external id.
   * A session matches a trusted principal through the ARN of the role it came from.
   */
  trustsPrincipal(role: Role, principal: Principal, externalId: string | undefined): boolean {
    const principalArn = principal.kind === 'session' ? principal.session.roleArn : principal.arn;
    const principalAccount = accountOfArn(principalArn);
    const trusted = role.trustedPrincipals.some(
      (entry) =>
        entry === principalArn ||
        entry === principalAccount ||
        entry === `arn:aws:iam::${principalAccount}:root`,
    );
    if (!trusted) {
      return false;
    }

    if (role.externalIds === null) {
      return true;
    }
    return externalId !== undefined && role.externalIds.includes(externalId);
  }

  issueSession(request: {
    roleArn: string;
    sessionName: string;
    externalId: string | undefined;
    lifetimeSeconds: number;
  }): Session {
    const { accountId, roleName } = parseRoleArn(request.roleArn);
    // Whole seconds because the STS response carries whole seconds, rounded up so that a
    // one-second lifetime never becomes shorter.
    const expiresAtMs = Math.ceil((Date.now() + request.lifetimeSeconds * 1000) / 1000) * 1000;

    const session: Session = {
      accessKeyId: newAccessKeyId('ASIA'),
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
      expiration: new Date(expiresAtMs),
      roleArn: request.roleArn,
      sessionName: request.sessionName,
      externalId: request.externalId,
      assumedRoleArn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${request.sessionName}`,
    };
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  /** Resolves the principal behind an access key, checking the session token and expiry of STS sessions. */
  authenticate(accessKeyId: string, sessionToken: string | undefined, now = Date.now()): AuthenticationResult {
    const identity = this.identities.get(accessKeyId);
    if (identity !== undefined) {
      return { ok: true, principal: { kind: 'identity', arn: identity.principalArn, accessKeyId, identity } };
    }

    const session = this.sessions.get(accessKeyId);
    if (session === undefined) {
      return { ok: false, failure: 'unknown-access-key' };
    }
    if (sessionToken !== session.sessionToken) {
      return { ok: false, failure: 'invalid-session-token' };
    }
    if (now >= session.expiration.getTime()) {
      return { ok: false, failure: 'expired' };
    }
    return { ok: true, principal: { kind: 'session', arn: session.assumedRoleArn, accessKeyId, session } };
  }

  /** Returns whether the principal's current permissions allow the action on the resource. */
  isAllowed(principal: Principal, action: string, resource: string): boolean {
    const permissions =
      principal.kind === 'identity' ? principal.identity.permissions : this.roles.get(principal.session.roleArn)?.permissions;
    if (permissions === undefined) {
      return false;
    }
    return permissions.some(
      (permission) => matchesAction(permission.action, action) && matchesResource(permission.resource, resource),
    );
  }
}

/** Splits `arn:aws:iam::<account>:role/<optional path/><name>`, throwing on any other form. */
export function parseRoleArn(roleArn: string): { accountId: string; roleName: string } {
  const match = ROLE_ARN_PATTERN.exec(roleArn);
  if (match === null) {
    throw new Error(
      `Invalid role ARN '${roleArn}': expected arn:aws:iam::<12-digit account id>:role/<role name>`,
    );
  }
  return { accountId: match[1], roleName: match[2] };
}

/** Returns the account id field of an ARN, or '' when the ARN has none. */
export function accountOfArn(arn: string): string {
  return arn.split(':')[4] ?? '';
}

/** Creates an access key id in AWS's shape: a 4-letter prefix (AKIA long-term, ASIA temporary) and 16 characters. */
export function newAccessKeyId(prefix: 'AKIA' | 'ASIA'): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const suffix = Array.from(randomBytes(16), (byte) => alphabet[byte % alphabet.length]).join('');
  return prefix + suffix;
}

/** Derives a stable unique id like AWS's role and user ids (AROA..., AIDA...) from an ARN. */
export function uniqueIdForArn(prefix: 'AROA' | 'AIDA', arn: string): string {
  return prefix + createHash('sha256').update(arn).digest('hex').slice(0, 17).toUpperCase();
}

function matchesAction(pattern: string, action: string): boolean {
  return matchesWithTrailingWildcard(pattern.toLowerCase(), action.toLowerCase());
}

function matchesResource(pattern: string, resource: string): boolean {
  return matchesWithTrailingWildcard(pattern, resource);
}

function matchesWithTrailingWildcard(pattern: string, value: string): boolean {
  if (pattern.endsWith('*')) {
    return value.startsWith(pattern.slice(0, -1));
  }
  return pattern === value;
}
