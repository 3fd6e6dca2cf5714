# Databricks notebook source
# MAGIC %md
# MAGIC # pinterest-pipeline: daily batch
# MAGIC Thin wrapper: reads the job's parameters and calls `pinterest_jobs.batch.main`, which holds all logic
# MAGIC (and is tested on local Spark). The lake is reached through the cluster's instance profile or a Unity
# MAGIC Catalog external location: no keys here.

# COMMAND ----------

dbutils.widgets.text("lake", "", "Lake root (s3://bucket)")
dbutils.widgets.text("out", "", "Delta root (s3://bucket/delta)")
dbutils.widgets.text("topics", "", 'Raw topic of each kind (JSON: {"pin": ..., "geo": ..., "user": ...})')

dbutils.widgets.text("quality_policy", "{}", "Per field rule: null the field or drop the row (JSON)")

# COMMAND ----------

from pinterest_jobs.batch import main

result = main(
    [
        "--lake", dbutils.widgets.get("lake"),
        "--out", dbutils.widgets.get("out"),
        "--topics", dbutils.widgets.get("topics"),
        "--quality-policy", dbutils.widgets.get("quality_policy"),
    ]
)
print(result)
