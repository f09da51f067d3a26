// The formats moved to src/aws/formats.ts, beside the AWS setup check that uses them too.
export { AWS_FORMATS, type AwsFormat } from '../aws/formats.js';
