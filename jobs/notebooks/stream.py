# Databricks notebook source
# MAGIC %md
# MAGIC # pinterest-pipeline: stream
# MAGIC Thin wrapper: reads the job's parameters and calls `pinterest_jobs.stream.main`, which holds all logic
# MAGIC (tested on local Spark against kinesis-local). Kinesis is read with Databricks' native source through
# MAGIC the cluster's instance profile: no keys here.

# COMMAND ----------

dbutils.widgets.text("streams", "", 'Stream of each kind (JSON: {"pin": ..., "geo": ..., "user": ...})')
dbutils.widgets.text("region", "", "AWS region of the streams")
dbutils.widgets.text("out", "", "Delta root of the stream's tables (s3://bucket/delta/stream)")
dbutils.widgets.text("checkpoint", "", "Checkpoint (s3://bucket/checkpoints/stream)")
dbutils.widgets.text("trigger", "10s", "Trigger interval, or available-now")

dbutils.widgets.text("quality_policy", "{}", "Per field rule: null the field or drop the row (JSON)")
dbutils.widgets.text("metrics_trigger", "1m", "Interval of the real-time metrics")
dbutils.widgets.text("state_partitions", "", "State partitions of a new checkpoint (default: the cluster's cores)")
dbutils.widgets.dropdown("realtime", "true", ["true", "false"], "Run the real-time metrics")

# COMMAND ----------

from pinterest_jobs.stream import main

main(
    [
        "--streams", dbutils.widgets.get("streams"),
        "--region", dbutils.widgets.get("region"),
        "--out", dbutils.widgets.get("out"),
        "--checkpoint", dbutils.widgets.get("checkpoint"),
        "--trigger", dbutils.widgets.get("trigger"),
        "--quality-policy", dbutils.widgets.get("quality_policy"),
        "--source", "databricks",
        "--metrics-trigger", dbutils.widgets.get("metrics_trigger"),
    ]
    + (["--state-partitions", dbutils.widgets.get("state_partitions")] if dbutils.widgets.get("state_partitions") else [])
    + ([] if dbutils.widgets.get("realtime") == "true" else ["--no-realtime"])
)
