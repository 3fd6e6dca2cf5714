"""Shared fixtures: one local Spark session with Delta for the whole run, and the project's paths."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class KinesisLocal:
    """kinesis-local (npm, the Kinesis API on loopback) with the given streams; stopped even when a test fails."""

    def __init__(self, log_dir: Path, streams: dict[str, int]):
        import os
        import subprocess
        import time

        import boto3

        package = ROOT / "node_modules" / "kinesis-local"
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.region = "eu-west-1"
        env = {
            **os.environ,
            "KINESIS_MOCK_PLAIN_PORT": str(self.port),
            "KINESIS_MOCK_TLS_PORT": str(free_port()),
            "AWS_REGION": self.region,
            "INITIALIZE_STREAMS": ",".join(f"{name}:{shards}" for name, shards in streams.items()),
            "LOG_LEVEL": "WARN",
            "CREATE_STREAM_DURATION": "0ms",
            "SHOULD_PERSIST_DATA": "false",
        }
        self.log = open(log_dir / "kinesis-local.log", "w")
        self.process = subprocess.Popen(["node", str(package / "main.js")], cwd=package, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.client = boto3.client("kinesis", region_name=self.region, endpoint_url=self.endpoint)
        deadline = time.time() + 60
        while True:
            try:
                if all(self.client.describe_stream_summary(StreamName=n)["StreamDescriptionSummary"]["StreamStatus"]
                       == "ACTIVE" for n in streams):
                    break
            except Exception:
                if self.process.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"kinesis-local did not start: see {log_dir / 'kinesis-local.log'}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except Exception:
                self.process.kill()
        self.log.close()


@pytest.fixture
def local_aws_env(monkeypatch):
    """kinesis-local ignores signatures but boto3 wants some credentials: placeholders, never real ones."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
