"""Shared fixtures: one local Spark session with Delta for the whole run, and the project's paths."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from kinesis_local import KinesisLocal  # noqa: F401  (fixtures and tests use it)

ROOT = Path(__file__).resolve().parents[2]


def delta_jars() -> list[str]:
    """Delta's jars, fetched by scripts/bootstrap.sh into .cache/jvm/delta-<hash of its pom>."""
    pom = ROOT / "local" / "jvm" / "delta" / "pom.xml"
    folder = ROOT / ".cache" / "jvm" / f"delta-{hashlib.sha256(pom.read_bytes()).hexdigest()[:12]}"
    if not (folder / ".complete").exists():
        pytest.exit(f"Delta jars missing in {folder}: run scripts/bootstrap.sh jvm", returncode=2)
    return sorted(str(p) for p in folder.glob("*.jar"))


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
