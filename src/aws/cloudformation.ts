import { permissionsPolicy, trustPolicy, type AwsDestination, type PolicyDocument } from './policies.js';
import { parseRoleArn } from './role-arn.js';

/** The fields of the stream whose role the template creates; `id` is absent before the stream exists. */
export interface TemplateStream {
  id?: number;
  organisation_id: number;
  destination: AwsDestination;
}

/** The CloudFormation template document, ready to be serialised as JSON. */
export interface CloudFormationTemplate {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Parameters: { RoleName: { Type: 'String'; Default: string; Description: string; AllowedPattern: string; MaxLength: number } };
  Resources: { DeliveryRole: { Type: 'AWS::IAM::Role'; Properties: DeliveryRoleProperties } };
  Outputs: { RoleArn: { Description: string; Value: { 'Fn::GetAtt': ['DeliveryRole', 'Arn'] } } };
}

interface DeliveryRoleProperties {
  RoleName: { Ref: 'RoleName' };
  Path: string;
  Description: string;
  AssumeRolePolicyDocument: PolicyDocument;
  Policies: { PolicyName: string; PolicyDocument: PolicyDocument }[];
}

/**
 * Builds a template that creates the stream's role in one step: the trust
 * policy for the operator principal with the organisation's external id,
 * and the stream's permissions policy inline. The role name defaults to
 * the one in the stream's role_arn, so that the created role is the one the
 * stream assumes. Deploy it in the account of that ARN, because the
 * permissions name resources in that account.
 */
export function deliveryRoleTemplate(stream: TemplateStream, operatorPrincipalArn: string): CloudFormationTemplate {
  const { destination } = stream;
  const label = stream.id === undefined ? 'a new data stream' : `data stream ${stream.id}`;
  const role = parseRoleArn(destination.role_arn);
  if (role === undefined) {
    throw new Error(`Invalid role ARN ${JSON.stringify(destination.role_arn)}: expected arn:aws:iam::<account id>:role/<role name>`);
  }

  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `IAM role that datastreamer assumes to deliver ${label} to ${describeTarget(destination)}. Deploy it in account ${role.accountId}.`,
    Parameters: {
      RoleName: {
        Type: 'String',
        Default: role.roleName,
        Description: `Name of the role. Keep the name in ${destination.role_arn}, because that is the role the stream assumes.`,
        AllowedPattern: '[\\w+=,.@-]+',
        MaxLength: 64,
      },
    },
    Resources: {
      DeliveryRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: { Ref: 'RoleName' },
          Path: role.path,
          Description: `datastreamer delivery role for ${label} of organisation ${stream.organisation_id}`,
          AssumeRolePolicyDocument: trustPolicy(operatorPrincipalArn, stream.organisation_id),
          Policies: [{ PolicyName: stream.id === undefined ? 'datastreamer-delivery' : `datastreamer-data-stream-${stream.id}`, PolicyDocument: permissionsPolicy(destination) }],
        },
      },
    },
    Outputs: {
      RoleArn: {
        Description: "ARN of the created role: the data stream's role_arn.",
        Value: { 'Fn::GetAtt': ['DeliveryRole', 'Arn'] },
      },
    },
  };
}

function describeTarget(destination: AwsDestination): string {
  if (destination.connection_type === 'S3') return `s3://${destination.bucket_name}/${destination.prefix}`;
  return `Kinesis stream ${destination.stream_name} in ${destination.region}`;
}
