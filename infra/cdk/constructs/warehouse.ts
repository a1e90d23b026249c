/**
 * Athena over the landing zone, ready the moment the stack is: a Glue database with one
 * table per collection, partitioned by `dt` with partition projection (Athena computes the
 * partitions from the date range and the key template, so no crawler, MSCK REPAIR or
 * ALTER TABLE ADD PARTITION is ever needed), a workgroup that encrypts and expires its
 * results, and saved "latest version" and "current state" queries per collection. A `deletions`
 * table (partitioned by collection and dt, projected too) holds the rescan's tombstones.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { CollectionName } from '../../../functions/conveyour/collections.js';
import { columnsOf, currentStateQuery, DELETION_COLUMNS, DELETIONS_TABLE, latestVersionQuery } from './athenaSchema.js';
import type { LandingZone } from './landingZone.js';

export interface WarehouseProps {
  landing: LandingZone;
  collections: readonly CollectionName[];
  /** Glue database and Athena workgroup name. */
  name: string;
  /** historyStart: first day of the projected `dt` range (yyyy-MM-dd); the range ends at NOW. */
  historyStart: string;
}

/** Query results are re-runnable output, not data: a month covers looking back at them. */
export const RESULT_DAYS = 30;
/** Stops a query that would scan more than this (a missing filter on years of history). */
export const BYTES_SCANNED_CUTOFF = 100 * 1024 ** 3;

export const JSON_SERDE = 'org.openx.data.jsonserde.JsonSerDe';

export class Warehouse extends Construct {
  readonly database: glue.CfnDatabase;
  readonly databaseName: string;
  readonly workGroup: athena.CfnWorkGroup;
  readonly results: s3.Bucket;
  readonly tables = new Map<CollectionName, glue.CfnTable>();
  readonly deletions: glue.CfnTable;

  constructor(scope: Construct, id: string, props: WarehouseProps) {
    super(scope, id);
    const { landing } = props;
    this.databaseName = props.name;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: this.databaseName, description: 'ConveYour collections landed by the pipeline (NDJSON.gz, one table per collection)' },
    });

    for (const collection of props.collections) {
      const table = new glue.CfnTable(this, `Table-${collection}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: this.databaseName,
        tableInput: {
          name: collection,
          description: `ConveYour ${collection}, every landed version (see the named query for the latest)`,
          tableType: 'EXTERNAL_TABLE',
          partitionKeys: [{ name: 'dt', type: 'string', comment: 'UTC date of updated_at (yyyy-MM-dd)' }],
          parameters: {
            EXTERNAL: 'TRUE',
            classification: 'json',
            compressionType: 'gzip',
            'projection.enabled': 'true',
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
            'projection.dt.range': `${props.historyStart},NOW`,
            'projection.dt.interval': '1',
            'projection.dt.interval.unit': 'DAYS',
            'storage.location.template': `${landing.collectionUrl(collection)}dt=\${dt}/`,
          },
          storageDescriptor: {
            location: landing.collectionUrl(collection),
            columns: columnsOf(collection),
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            compressed: true,
            serdeInfo: {
              serializationLibrary: JSON_SERDE,
              // A damaged line reads as nulls instead of failing the whole query.
              parameters: { 'ignore.malformed.json': 'true' },
            },
          },
        },
      });
      table.node.addDependency(this.database);
      this.tables.set(collection, table);
    }

    this.deletions = new glue.CfnTable(this, 'Table-deletions', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: DELETIONS_TABLE,
        description: "Tombstones: ids a complete rescan found deleted (see each collection's current-state query)",
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [
          { name: 'collection', type: 'string', comment: 'the collection of the deleted ids' },
          { name: 'dt', type: 'string', comment: 'UTC date of deleted_at (yyyy-MM-dd)' },
        ],
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.collection.type': 'enum',
          'projection.collection.values': props.collections.join(','),
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': `${props.historyStart},NOW`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `${landing.deletionsUrl}collection=\${collection}/dt=\${dt}/`,
        },
        storageDescriptor: {
          location: landing.deletionsUrl,
          columns: [...DELETION_COLUMNS],
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: { serializationLibrary: JSON_SERDE, parameters: { 'ignore.malformed.json': 'true' } },
        },
      },
    });
    this.deletions.node.addDependency(this.database);

    this.results = new s3.Bucket(this, 'QueryResults', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-query-results', expiration: Duration.days(RESULT_DAYS), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      serverAccessLogsBucket: landing.accessLogs,
      serverAccessLogsPrefix: 'athena-results/',
      // CloudFormation cannot delete a bucket that still holds objects; the lifecycle empties it within a month.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.name,
      description: 'Queries over the ConveYour landing zone',
      // Deleting the stack also deletes the workgroup's saved queries and history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: BYTES_SCANNED_CUTOFF,
        resultConfiguration: {
          outputLocation: `s3://${this.results.bucketName}/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    for (const collection of props.collections) {
      const query = new athena.CfnNamedQuery(this, `Latest-${collection}`, {
        name: `${collection}: latest version per _id`,
        description: `Dedupes ${collection} to the latest version (largest updated_at) of each record`,
        database: this.databaseName,
        workGroup: props.name,
        queryString: latestVersionQuery(this.databaseName, collection),
      });
      query.node.addDependency(this.workGroup, this.database);
      const current = new athena.CfnNamedQuery(this, `Current-${collection}`, {
        name: `${collection}: current state (deleted ids left out)`,
        description: `The latest version of each ${collection} record, without those a rescan found deleted (table ${DELETIONS_TABLE})`,
        database: this.databaseName,
        workGroup: props.name,
        queryString: currentStateQuery(this.databaseName, collection),
      });
      current.node.addDependency(this.workGroup, this.database, this.deletions);
    }
  }
}
