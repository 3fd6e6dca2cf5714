"""DAG integrity (Airflow's "Testing a DAG" practice): imports cleanly, and its schedule, retries,
catchup, task graph and operator wiring are what the pipeline needs."""
from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow")
    mp = pytest.MonkeyPatch()
    mp.setenv("AIRFLOW_HOME", str(home))
    mp.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    mp.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home}/airflow.db")
    mp.setenv("AIRFLOW_VAR_PINTEREST_BATCH_JOB_ID", "987654321")
    from airflow.models import DagBag

    yield DagBag(dag_folder=str(ROOT / "dags"), include_examples=False)
    mp.undo()


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {"pinterest_batch_daily"}


def test_daily_schedule_without_catchup_with_retries_and_backoff(dagbag):
    dag = dagbag.dags["pinterest_batch_daily"]
    assert dag.schedule_interval == "0 2 * * *"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert set(dag.tags) == {"pinterest-pipeline", "batch", "databricks"}
    assert dag.doc_md and "pinterest_batch_job_id" in dag.doc_md
    task = dag.get_task("run_batch_job")
    assert task.owner == "data-platform"
    assert task.retries >= 2
    assert task.retry_exponential_backoff is True
    assert task.retry_delay == timedelta(minutes=5)


def test_the_dag_is_scheduled_from_its_first_parse(dagbag):
    """Airflow pauses a new DAG unless told otherwise (core.dags_are_paused_at_creation, default True; MWAA
    keeps the default): after a first `pulumi up` the daily run would never start (docs/cloud-contracts.md)."""
    from airflow.configuration import conf

    assert conf.getboolean("core", "dags_are_paused_at_creation") is True  # the installed Airflow's default
    dag = dagbag.dags["pinterest_batch_daily"]
    assert dag.is_paused_upon_creation is False


def test_the_single_task_runs_the_managed_job_by_the_id_in_the_variable(dagbag):
    dag = dagbag.dags["pinterest_batch_daily"]
    assert [t.task_id for t in dag.tasks] == ["run_batch_job"]
    task = dag.get_task("run_batch_job")
    assert type(task).__name__ == "DatabricksRunNowOperator"
    assert task.databricks_conn_id == "databricks_default"
    # Not hard-coded: a template until the task runs, then the Variable's value.
    assert task.json["job_id"] == "{{ var.value.pinterest_batch_job_id }}"
    from airflow.models import Variable

    context = {"var": {"value": type("V", (), {"__getattr__": lambda self, k: Variable.get(k)})()}}
    task.render_template_fields(context)
    assert task.json["job_id"] == "987654321"


def test_mwaa_installs_the_databricks_provider_version_the_dag_is_tested_with():
    from importlib.metadata import version
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "dags" / "mwaa-requirements.txt").read_text()
    pins = dict(
        line.split("==") for line in text.splitlines() if "==" in line and not line.startswith(("#", "-"))
    )
    assert pins == {"apache-airflow-providers-databricks": version("apache-airflow-providers-databricks")}
    assert f"constraints-{version('apache-airflow')}/constraints-3.11.txt" in text
