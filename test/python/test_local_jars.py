"""The Delta jars a local session loads are found by the pom's hash, never by a glob over .cache/jvm."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pinterest_jobs.local import delta_jars


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    pom = tmp_path / "local" / "jvm" / "delta" / "pom.xml"
    pom.parent.mkdir(parents=True)
    pom.write_text("<project/>")
    cache = tmp_path / ".cache" / "jvm"
    cache.mkdir(parents=True)
    return pom, cache


def test_picks_the_folder_of_the_current_pom_not_the_maven_log_or_an_older_fetch(tmp_path):
    pom, cache = _repo(tmp_path)
    (cache / "delta-mvn.log").write_text("[INFO] BUILD SUCCESS")  # sorts before any delta-<hash>/
    old = cache / "delta-000000000000"
    old.mkdir()
    (old / "delta-old.jar").write_text("")
    (old / ".complete").write_text("")
    current = cache / f"delta-{hashlib.sha256(pom.read_bytes()).hexdigest()[:12]}"
    current.mkdir()
    (current / "delta-spark.jar").write_text("")
    (current / "delta-storage.jar").write_text("")
    (current / ".complete").write_text("")
    assert delta_jars(tmp_path) == [str(current / "delta-spark.jar"), str(current / "delta-storage.jar")]


def test_says_what_to_run_when_the_fetch_is_missing_or_unfinished(tmp_path):
    pom, cache = _repo(tmp_path)
    (cache / f"delta-{hashlib.sha256(pom.read_bytes()).hexdigest()[:12]}").mkdir()  # no .complete
    with pytest.raises(FileNotFoundError, match="run scripts/bootstrap.sh jvm"):
        delta_jars(tmp_path)
