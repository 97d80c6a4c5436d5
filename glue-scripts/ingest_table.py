"""Glue 5.0 PySpark job: land one source table in the lake.

This file is only the Glue/Spark/boto3 layer. What the run does, and in which
order, is decided by ingest_helpers.run_ingestion; argument checks, partition
values, S3 keys and the watermark document are built there too and unit tested
locally. Glue puts pylib/ (zipped, with --extra-py-files) on sys.path, so ingest_helpers imports by name.

Job arguments, read modes, output layout, watermark format and retry behaviour
are described in docs/ingestion-job.md.
"""

import os
import sys
import time
from datetime import datetime, timezone

import boto3
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark import StorageLevel
from pyspark.context import SparkContext
from pyspark.sql import functions as F

import ingest_helpers as helpers


class GlueIngestionPorts:
    """helpers.IngestionPorts implemented with Glue, Spark and boto3."""

    def __init__(self, config, glue_context, job, s3_client):
        self._config = config
        self._glue_context = glue_context
        self._job = job
        self._s3 = s3_client
        self._logger = glue_context.get_logger()
        self._frame = None

    def load_batch(self):
        config = self._config
        source = self._glue_context.create_dynamic_frame.from_options(
            connection_type=helpers.glue_connection_type(config.source_engine),
            connection_options=helpers.jdbc_connection_options(config),
            transformation_ctx=helpers.read_transformation_ctx(config),
        )
        # Persisted so that the aggregate and the write see the same rows and
        # the source (a production replica) is read once.
        self._frame = source.toDF().persist(StorageLevel.MEMORY_AND_DISK)
        return list(self._frame.columns)

    def batch_stats(self, bookmark_columns):
        aggregates = [F.count(F.lit(1)).alias("rows")]
        if bookmark_columns:
            # max over a struct compares field by field: the greatest compound key.
            aggregates.append(
                F.max(F.struct(*[F.col(c) for c in bookmark_columns])).alias("high_key")
            )
        result = self._frame.agg(*aggregates).collect()[0]
        rows = int(result["rows"])
        high = result["high_key"] if bookmark_columns else None
        return helpers.BatchStats(
            rows=rows,
            high_key_values=list(high) if (high is not None and rows > 0) else None,
        )

    def write_batch(self, partition, ingested_at):
        config = self._config
        landed = (
            self._frame.withColumn("_ingested_at", F.lit(ingested_at))
            .withColumn("_source", F.lit(config.source_name))
            .withColumn("_job_run_id", F.lit(config.job_run_id))
            .withColumn("ingest_date", F.lit(partition.ingest_date))
            .withColumn("ingest_hour", F.lit(partition.ingest_hour))
        )
        sink = self._glue_context.getSink(
            connection_type="s3",
            path=helpers.table_root_uri(config),
            enableUpdateCatalog=True,
            updateBehavior="UPDATE_IN_DATABASE",
            partitionKeys=list(helpers.PARTITION_KEYS),
            compression="snappy",
        )
        # "glueparquet" is the legacy spelling of the Glue Parquet writer; the
        # catalog update needs that writer for Parquet tables.
        sink.setFormat("parquet", useGlueParquetWriter=True)
        sink.setCatalogInfo(
            catalogDatabase=config.catalog_database,
            catalogTableName=config.catalog_table,
        )
        sink.writeFrame(DynamicFrame.fromDF(landed, self._glue_context, "landed"))

    def read_object(self, key):
        # Look before reading: the role may list only its own prefixes (s3:prefix
        # condition), and without an unconditional s3:ListBucket S3 answers a
        # GetObject of a missing key with 403, not 404. The listing tells
        # "absent" from "denied" without widening the role.
        bucket = self._config.lake_bucket
        listing = self._s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        if not any(item.get("Key") == key for item in listing.get("Contents", [])):
            return None
        return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def put_object(self, key, body):
        # boto3 writes are not covered by the Glue security configuration; see
        # helpers.put_object_encryption_params for why the key is named.
        self._s3.put_object(
            Bucket=self._config.lake_bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            **helpers.put_object_encryption_params(self._config.lake_kms_key_arn),
        )

    def commit(self):
        self._job.commit()

    def now(self):
        return datetime.now(timezone.utc)

    def log(self, message):
        self._logger.info(message)


def main(argv):
    started_at = helpers.run_started_at(datetime.now(timezone.utc))

    # Spark returns timestamps as naive datetimes in the driver's local zone;
    # pin it to UTC so high keys serialise as UTC.
    os.environ["TZ"] = "UTC"
    time.tzset()

    # Fail before touching Spark or the database if the arguments are wrong.
    helpers.reject_credential_arguments(argv)

    args = getResolvedOptions(argv, helpers.resolved_option_names(argv))
    config = helpers.parse_job_arguments(args)

    glue_context = GlueContext(SparkContext.getOrCreate())
    glue_context.spark_session.conf.set("spark.sql.session.timeZone", "UTC")
    job = Job(glue_context)
    job.init(config.job_name, args)

    ports = GlueIngestionPorts(config, glue_context, job, boto3.client("s3"))
    document = helpers.run_ingestion(config, started_at, ports)
    ports.log(
        f"run {config.job_run_id} of {config.qualified_table} done: rows={document['rows']}"
    )


if __name__ == "__main__":
    main(sys.argv)
