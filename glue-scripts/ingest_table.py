"""Glue 5.0 PySpark job: land one source table in the lake.

This file is only the Glue/Spark/JDBC/boto3 layer. What the run does, and in
which order, is decided by ingest_helpers.run_ingestion; argument checks, the
read horizon, every SQL statement, partition values, S3 keys and the watermark
document are built in pylib/ and tested locally (the SQL against real
PostgreSQL and MariaDB servers). Glue puts pylib/ (zipped, with --extra-py-files) on sys.path, so ingest_helpers imports by name.

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
import source_sql


class JdbcSession:
    """One JDBC connection on the driver, for the probes (not for data)."""

    def __init__(self, jvm, engine, url, user, password):
        self._jvm = jvm
        self._engine = engine
        self._url = url
        self._user = user
        self._password = password
        self._connection = None

    def _open(self):
        if self._connection is None:
            jvm = self._jvm
            jvm.java.lang.Class.forName(
                "org.postgresql.Driver" if self._engine == "postgres" else "com.mysql.cj.jdbc.Driver"
            )
            props = jvm.java.util.Properties()
            props.setProperty("user", self._user)
            props.setProperty("password", self._password)
            connection = jvm.java.sql.DriverManager.getConnection(self._url, props)
            connection.setAutoCommit(True)
            statement = connection.createStatement()
            statement.execute(source_sql.session_init_sql(self._engine))
            statement.close()
            self._connection = connection
        return self._connection

    def query(self, sql):
        """Rows of a statement, every value as text; [] for one without a result
        set (START TRANSACTION, COMMIT: executeQuery would refuse those)."""
        statement = self._open().createStatement()
        try:
            if not statement.execute(sql):
                return []
            result = statement.getResultSet()
            width = result.getMetaData().getColumnCount()
            rows = []
            while result.next():
                rows.append([result.getString(i) for i in range(1, width + 1)])
            return rows
        finally:
            statement.close()

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class GlueIngestionPorts:
    """helpers.IngestionPorts implemented with Glue, Spark, JDBC and boto3."""

    def __init__(self, config, glue_context, job, s3_client, glue_client):
        self._config = config
        self._glue_context = glue_context
        self._job = job
        self._s3 = s3_client
        self._glue = glue_client
        self._logger = glue_context.get_logger()
        self._frame = None
        # Credentials come from the Glue connection (its Secrets Manager secret);
        # they never appear in job arguments or logs.
        jdbc = glue_context.extract_jdbc_conf(config.connection_name)
        self._user = jdbc["user"]
        self._password = jdbc["password"]
        jvm = glue_context.spark_session.sparkContext._jvm
        self._reader = JdbcSession(jvm, config.source_engine, config.jdbc_url, self._user, self._password)
        self._writer = (
            self._reader
            if config.horizon_jdbc_url is None
            else JdbcSession(jvm, config.source_engine, config.horizon_jdbc_url, self._user, self._password)
        )

    def query_writer(self, statement):
        return self._writer.query(statement)

    def query_reader(self, statement):
        return self._reader.query(statement)

    def sleep(self, seconds):
        time.sleep(seconds)

    def monotonic(self):
        return time.monotonic()

    def load_batch(self, options):
        reader = self._glue_context.spark_session.read.format("jdbc")
        for name, value in options.items():
            reader = reader.option(name, value)
        source = reader.option("user", self._user).option("password", self._password).load()
        # Persisted so that the aggregate and the write see the same rows and
        # the source (a production database) is read once.
        self._frame = source.persist(StorageLevel.MEMORY_AND_DISK)
        return [(f.name, f.dataType.simpleString()) for f in self._frame.schema.fields]

    def batch_stats(self, guard_columns):
        aggregates = [F.count(F.lit(1)).alias("rows")] + [
            F.coalesce(F.sum(F.col(c)), F.lit(0)).alias(c) for c in guard_columns
        ]
        result = self._frame.agg(*aggregates).collect()[0]
        return helpers.BatchStats(
            rows=int(result["rows"]),
            guard_totals={c: int(result[c]) for c in guard_columns},
        )

    def catalog_columns(self):
        try:
            table = self._glue.get_table(
                DatabaseName=self._config.catalog_database, Name=self._config.catalog_table
            )["Table"]
        except self._glue.exceptions.EntityNotFoundException:
            return None
        return [
            (column["Name"], column["Type"])
            for column in table.get("StorageDescriptor", {}).get("Columns", [])
        ]

    def close(self):
        self._reader.close()
        self._writer.close()

    def write_batch(self, partition, ingested_at, drop_columns):
        config = self._config
        landed = (
            self._frame.drop(*drop_columns)
            .withColumn("_ingested_at", F.lit(ingested_at))
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

    ports = GlueIngestionPorts(
        config, glue_context, job, boto3.client("s3"), boto3.client("glue")
    )
    try:
        document = helpers.run_ingestion(config, started_at, ports)
    finally:
        ports.close()
    ports.log(
        f"run {config.job_run_id} of {config.qualified_table} done: rows={document['rows']}"
    )


if __name__ == "__main__":
    main(sys.argv)
