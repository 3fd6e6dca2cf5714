"""kinesis-local (npm: the Kinesis API on loopback) for the Python tests and benchmarks."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
