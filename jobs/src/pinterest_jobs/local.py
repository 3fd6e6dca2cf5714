"""A local SparkSession with Delta Lake, for tests and the one-machine pipeline.

On Databricks the runtime provides the session; nothing in the jobs calls this there.
"""
from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import SparkSession


def delta_jars(repo_root: Path) -> list[str]:
    """Delta's jars, as scripts/bootstrap.sh fetches them: .cache/jvm/delta-<first 12 of the pom's sha256>.

    Named by the pom's hash (as local/services/paths.ts does), never by a glob, which could pick an older
    fetch or the Maven log beside it.
    """
    pom = repo_root / "local" / "jvm" / "delta" / "pom.xml"
    folder = repo_root / ".cache" / "jvm" / f"delta-{hashlib.sha256(pom.read_bytes()).hexdigest()[:12]}"
    if not (folder / ".complete").exists():
        raise FileNotFoundError(f"Delta jars missing in {folder}: run scripts/bootstrap.sh jvm")
    return sorted(str(p) for p in folder.glob("*.jar"))


def local_session(
    app_name: str,
    *,
    delta_jars: Sequence[str],
    warehouse_dir: str,
    shuffle_partitions: int = 4,
    cores: int = 2,
    quick_start: bool = True,
    driver_memory: str = "1g",
) -> SparkSession:
    """Builds (or returns the running) local session with Delta's SQL extension and catalog.

    ``delta_jars`` are Delta's jars on disk (fetched by scripts/bootstrap.sh), so no package is resolved
    at run time. Spark binds to loopback only, its UI is off, and time is UTC as on Databricks.
    ``quick_start`` trades peak throughput for warm-up (C1 JIT only): right for tests and small runs,
    wrong for benchmarks.
    """
    # Python workers (UDFs, Python data sources) run this interpreter, which has the package installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if not delta_jars:
        raise ValueError("delta_jars is empty: run scripts/bootstrap.sh jvm to fetch Delta's jars")
    # C1 only shrinks the JIT's code cache to 48 MB by default (JDK 17); a long local run (the stream, its
    # metrics and the batch in one JVM) fills it, the JIT stops, and the JVM then fails to link method
    # handles (java.lang.InternalError: no such method linkToSpecial). The tiered default, 240 MB, is kept.
    java_options = "-XX:+UseParallelGC -XX:ReservedCodeCacheSize=240m" + (
        " -XX:TieredStopAtLevel=1" if quick_start else ""
    )
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.jars", ",".join(delta_jars))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.warehouse.dir", warehouse_dir)
        # Delta rebuilds table snapshots with 50 tasks by default: pure overhead on one machine.
        .config("spark.databricks.delta.snapshotPartitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        # As on Databricks, whose clusters schedule jobs FAIR (docs/cloud-contracts.md, "Streaming"): the
        # clean query's and the metrics' scheduler pools share the cores instead of queueing in one FIFO.
        .config("spark.scheduler.mode", "FAIR")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.extraJavaOptions", java_options)
        # Local mode runs everything in the driver; only honoured before the session's JVM starts.
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def entry_session(app_name: str, *, local: bool, out: str) -> SparkSession:
    """The session of an entry point: Databricks' own, or with ``--local`` a local one with Delta from the
    jars listed in $PINPIPE_DELTA_JARS (comma-separated)."""
    if not local:
        return SparkSession.builder.getOrCreate()
    jars = [j for j in os.environ.get("PINPIPE_DELTA_JARS", "").split(",") if j]
    return local_session(app_name, delta_jars=jars, warehouse_dir=os.path.join(out, "_warehouse"))
