"""Shared fixtures: one local Spark session with Delta for the whole run, and the project's paths."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kinesis_local import KinesisLocal  # noqa: F401  (fixtures and tests use it)

ROOT = Path(__file__).resolve().parents[2]


def delta_jars() -> list[str]:
    """Delta's jars, fetched by scripts/bootstrap.sh; the run stops with the command to run when missing."""
    from pinterest_jobs.local import delta_jars as jars_under

    try:
        return jars_under(ROOT)
    except FileNotFoundError as missing:
        pytest.exit(str(missing), returncode=2)


@pytest.fixture(scope="session")
def runtimes() -> dict:
    return json.loads((ROOT / "components" / "runtimes.json").read_text())


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from pinterest_jobs.local import local_session

    warehouse = tmp_path_factory.mktemp("warehouse")
    session = local_session("pytest", delta_jars=delta_jars(), warehouse_dir=str(warehouse), shuffle_partitions=2)
    yield session
    session.stop()
    shutil.rmtree(warehouse, ignore_errors=True)


@pytest.fixture
def local_aws_env(monkeypatch):
    """kinesis-local ignores signatures but boto3 wants some credentials: placeholders, never real ones."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
