"""Daily batch of the pinterest-pipeline: runs the stack's managed Databricks job (clean the lake's raw
topics, one row per post, quarantine, the eight insights as gold Delta tables).

The job id comes from the Airflow Variable ``pinterest_batch_job_id`` (set by the BatchLakehouse component
through MWAA's Secrets Manager backend, or AIRFLOW_VAR_PINTEREST_BATCH_JOB_ID), read when the task runs,
never at import. The Databricks connection is ``databricks_default``, also from Secrets Manager.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.providers.databricks.operators.databricks import DatabricksRunNowOperator

DAG_ID = "pinterest_batch_daily"

with DAG(
    dag_id=DAG_ID,
    description="Daily Databricks batch: lake -> silver, quarantine and gold Delta tables",
    doc_md=__doc__,
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    # Airflow pauses a newly parsed DAG by default (core.dags_are_paused_at_creation); this one must run
    # from the first deploy on.
    is_paused_upon_creation=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=4),
    default_args={
        "owner": "data-platform",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=60),
    },
    tags=["pinterest-pipeline", "batch", "databricks"],
) as dag:
    DatabricksRunNowOperator(
        task_id="run_batch_job",
        databricks_conn_id="databricks_default",
        job_id="{{ var.value.pinterest_batch_job_id }}",
        # A retry of the Airflow task must not leave an earlier Databricks run going.
        cancel_previous_runs=True,
        wait_for_termination=True,
    )
