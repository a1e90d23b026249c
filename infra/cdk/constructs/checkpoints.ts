/**
 * The checkpoint table: one item per (source, collection) holding its watermark, in-flight
 * cursor and lease. It is the pipeline's memory of how far it got, so it outlives the stack
 * (RETAIN) and can be restored to any second of the last 35 days (point-in-time recovery).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { CHECKPOINT_PARTITION_KEY } from '../../../functions/adapters/dynamoCheckpointStore.js';

export class Checkpoints extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      // The same key the adapter's checkpointTableSchema declares (the local runtime creates it from there).
      partitionKey: { name: CHECKPOINT_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      // A few writes per collection per minute: on-demand costs cents and never throttles a backfill.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
