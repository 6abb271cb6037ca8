import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { tableList, type TableName } from '../../shared/tables';

/** The fixed physical names of the deployment's data (infra/data-stack.ts, `dataNames`). */
export interface DataNames {
  tables: Record<TableName, string>;
  bucket: string;
}

export interface DataProps {
  names: DataNames;
  /** Days raw support mail is kept, and quarantined mail (RETENTION_SUPPORT_DAYS / _QUARANTINE_DAYS). */
  mailRetentionDays: number;
  quarantineRetentionDays: number;
  /** Days a privacy export is kept (RETENTION_EXPORT_DAYS). */
  exportRetentionDays: number;
  /** Statements the bucket policy needs for others (SES storing inbound mail), beside TLS-only. */
  bucketStatements?: readonly iam.PolicyStatement[];
}

/** Key prefixes in the data bucket; lifecycle rules expire mail by prefix. */
export const bucketPrefixes = {
  media: 'media/',
  mail: 'mail/inbound/',
  quarantine: 'mail/quarantine/',
  exports: 'exports/',
} as const;

/**
 * The stateful part of the deployment: the three tables from shared/tables.ts (on-demand, TTL, point-in-time
 * recovery, deletion protection, retained on stack deletion) and one private, encrypted bucket for image
 * bytes, raw mail and privacy exports. Their names are fixed (`names`): the product stack refers to them
 * by name, with no cross-stack reference, and retained ones can be imported back into a new data stack. Secrets are not in the stack: their values are set after deploy (`npm run setup`,
 * `npm run set-pinterest-app`), so none is in the template, and a second deploy after a teardown finds
 * them where they were instead of failing on a retained secret of the same name.
 */
export class Data extends Construct {
  readonly tables: Record<TableName, dynamodb.Table>;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const built = {} as Record<TableName, dynamodb.Table>;
    for (const def of tableList) {
      const table = new dynamodb.Table(this, `${def.name[0]?.toUpperCase() ?? ''}${def.name.slice(1)}Table`, {
        tableName: props.names.tables[def.name],
        partitionKey: { name: def.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: def.sortKey, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: def.ttlAttribute,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      for (const index of def.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
      built[def.name] = table;
    }
    this.tables = built;

    this.bucket = new s3.Bucket(this, 'DataBucket', {
      bucketName: props.names.bucket,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { prefix: bucketPrefixes.mail, expiration: Duration.days(props.mailRetentionDays) },
        { prefix: bucketPrefixes.quarantine, expiration: Duration.days(props.quarantineRetentionDays) },
        { prefix: bucketPrefixes.exports, expiration: Duration.days(props.exportRetentionDays) },
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    for (const statement of props.bucketStatements ?? []) this.bucket.addToResourcePolicy(statement);
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only this stack\'s function roles can reach the bucket (public access blocked, TLS-only policy). Object access is audited with CloudTrail data events (docs/deploy.md, "Object access audit") instead of server access logs, which would store requester IP addresses the privacy policy does not list.',
    });
  }
}
