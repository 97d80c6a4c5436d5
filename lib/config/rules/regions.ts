/**
 * Names of the public AWS Regions: the aws, aws-cn and aws-us-gov partitions.
 *
 * Source: AWS General Reference, "AWS Regions"
 * (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html),
 * cross-checked against aws-cdk-lib's region-info (`RegionInfo.regions`,
 * aws-cdk-lib 2.276), which a test compares it with. The isolated partitions
 * (us-iso*, eu-isoe) and the European Sovereign Cloud are left out: this app
 * does not deploy there. When AWS opens a region, add it here.
 */
export const AWS_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'cn-north-1',
  'cn-northwest-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'us-west-1',
  'us-west-2',
] as const;

export type AwsRegion = (typeof AWS_REGIONS)[number];

const known = new Set<string>(AWS_REGIONS);

export function isAwsRegion(name: string): name is AwsRegion {
  return known.has(name);
}
