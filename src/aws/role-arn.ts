/** The parts of an IAM role ARN `arn:<partition>:iam::<account id>:role<path><role name>`. */
export interface RoleArnParts {
  partition: string;
  accountId: string;
  /** "/" for a role without a path, otherwise a path such as "/service/", with both slashes. */
  path: string;
  roleName: string;
}

const ROLE_ARN = /^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):role(\/(?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/;

/** Splits a role ARN into its parts, and returns undefined when the value is not a role ARN. */
export function parseRoleArn(roleArn: string): RoleArnParts | undefined {
  const match = ROLE_ARN.exec(roleArn);
  if (match === null) return undefined;
  return { partition: match[1], accountId: match[2], path: match[3], roleName: match[4] };
}
