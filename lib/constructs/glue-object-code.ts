import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';

/**
 * Glue job code (a script or an --extra-py-files zip) in S3 that grants the
 * job role `s3:GetObject` on exactly its own object, nothing else.
 *
 * `glue.Code.fromAsset` and `glue.Code.fromBucket` bind with `bucket.grantRead`,
 * which also grants `s3:GetBucket*` and `s3:List*` on the bucket, and
 * fromAsset grants every object of the CDK asset bucket (`<bucket>/*`): every
 * job role could read every asset of every stack in the account. Glue needs
 * only to fetch the object named in `--scriptLocation` / `--extra-py-files`.
 */
export class GlueObjectCode extends glue.Code {
  /** The object of a file or folder asset, read-only for the job roles it binds to. */
  public static fromS3Asset(asset: s3assets.Asset): GlueObjectCode {
    return new GlueObjectCode(asset.bucket, asset.s3ObjectKey);
  }

  constructor(
    public readonly bucket: s3.IBucket,
    public readonly key: string,
  ) {
    super();
  }

  public bind(_scope: Construct, grantable: iam.IGrantable): glue.CodeConfig {
    iam.Grant.addToPrincipal({
      grantee: grantable,
      actions: ['s3:GetObject'],
      resourceArns: [this.bucket.arnForObjects(this.key)],
    });
    return { s3Location: { bucketName: this.bucket.bucketName, objectKey: this.key } };
  }
}
