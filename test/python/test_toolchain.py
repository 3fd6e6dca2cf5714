"""The local toolchain is the one the stack deploys: same Spark and Delta as the Databricks runtime in
config, same Airflow and Databricks provider as the MWAA environment, and Delta really works locally."""
from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from conftest import ROOT


def stack_config(stack: str) -> dict:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_local_spark_and_delta_match_the_databricks_runtime_in_config(stack, runtimes):
    runtime = stack_config(stack).get("pinterest-pipeline:databricksRuntime", "17.3.x-scala2.13")
    carried = runtimes["databricksRuntimes"][runtime]
    assert version("pyspark") == carried["spark"]
    assert version("delta-spark") == carried["delta"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_local_airflow_matches_the_mwaa_version_in_config(stack, runtimes):
    airflow_version = str(stack_config(stack).get("pinterest-pipeline:airflowVersion", "2.10.3"))
    assert version("apache-airflow") == airflow_version
    assert version("apache-airflow-providers-databricks") == runtimes["mwaaAirflowVersions"][airflow_version][
        "databricksProvider"
    ]


def test_delta_tables_write_read_and_time_travel(spark, tmp_path: Path):
    schema = T.StructType([T.StructField("ind", T.IntegerType()), T.StructField("category", T.StringType())])
    first = spark.createDataFrame([(1, "travel"), (2, "art")], schema)
    table = str(tmp_path / "pins")
    first.write.format("delta").save(table)
    spark.createDataFrame([(3, "quotes")], schema).write.format("delta").mode("overwrite").save(table)

    assertDataFrameEqual(spark.read.format("delta").load(table), [(3, "quotes")], checkRowOrder=False)
    # Version 0 still readable: the table is Delta (a transaction log), not plain Parquet files.
    assertDataFrameEqual(
        spark.read.format("delta").option("versionAsOf", 0).load(table), first, checkRowOrder=False
    )
    assert (tmp_path / "pins" / "_delta_log" / "00000000000000000001.json").exists()
