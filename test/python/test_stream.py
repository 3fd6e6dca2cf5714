"""The streaming job against a real Kinesis API (kinesis-local): records put to the three streams land
cleaned in Delta, bad ones in quarantine with a reason; stopping, putting more (and a duplicate) and
restarting from the checkpoint loses nothing and stores nothing twice; a batch that fails half-written is
replayed to the same result."""
from __future__ import annotations

import datetime
import json
import re

import pytest

from pinterest_jobs import stream as S
from pinterest_jobs.names import parse_names

from kinesis_local import KinesisLocal

STREAMS = {"pin": "t-pin", "geo": "t-geo", "user": "t-user"}
NAMES = json.dumps(STREAMS)


@pytest.fixture
def kinesis(tmp_path, local_aws_env):
    service = KinesisLocal(tmp_path, {name: 2 for name in STREAMS.values()})
    yield service
    service.stop()


def pin(i, **extra):
    return {"index": i, "unique_id": f"u{i}", "title": "No Title Data Available", "description": "d",
            "poster_name": f"p{i}", "follower_count": "1.5k", "tag_list": "a", "is_image_or_video": "image",
            "image_src": "s", "downloaded": 1, "save_location": "Local save in /data/art", "category": "art"} | extra


def geo(i, **extra):
    return {"ind": i, "timestamp": "2020-01-02 03:04:05", "latitude": 1.5, "longitude": 2.5, "country": "Peru"} | extra


def user(i, **extra):
    return {"ind": i, "first_name": "Ann", "last_name": f"L{i}", "age": 30, "date_joined": "2016-05-06 07:08:09"} | extra


def put(kinesis, kind, records):
    entries = [{"Data": (r if isinstance(r, str) else json.dumps(r)).encode(), "PartitionKey": f"k{n}"}
               for n, r in enumerate(records)]
    answer = kinesis.client.put_records(StreamName=STREAMS[kind], Records=entries)
    assert answer["FailedRecordCount"] == 0


def run_once(spark, kinesis, out, checkpoint, on_committed=None):
    source = S.read_boto3_kinesis(spark, STREAMS, kinesis.region, kinesis.endpoint)
    query = S.start_stream(spark, source, str(out), str(checkpoint), STREAMS, {"processingTime": "0 seconds"},
                           on_committed=on_committed)
    try:
        S.drain(query)
    finally:
        if query.isActive:
            query.stop()
    return query


def table(spark, path):
    return spark.read.format("delta").load(str(path))


def test_stream_cleans_quarantines_and_resumes_exactly_once(spark, kinesis, tmp_path):
    out, checkpoint = tmp_path / "delta" / "stream", tmp_path / "lake" / "checkpoints" / "stream"
    # Post 2 twice in the same batch: the streaming dedupe keeps one.
    put(kinesis, "pin", [pin(i) for i in range(1, 6)] + [pin(2), pin(99, follower_count="lots")])
    put(kinesis, "geo", [geo(i) for i in range(1, 6)] + [geo(98, latitude=95.0)])
    put(kinesis, "user", [user(i) for i in range(1, 6)] + ["{not json"])
    session_partitions = spark.conf.get("spark.sql.shuffle.partitions")
    run_once(spark, kinesis, out, checkpoint)
    # The deduplication's state has one partition per core (local[2]: 2), kept in the checkpoint; the
    # session's own setting is left as it was.
    offsets = (checkpoint / "offsets" / "0").read_text().splitlines()
    assert json.loads(offsets[1])["conf"]["spark.sql.shuffle.partitions"] == "2"
    assert spark.conf.get("spark.sql.shuffle.partitions") == session_partitions

    pins = table(spark, out / "pin")
    # Post 99's bad follower count and post 98's latitude are nulled; their rows stay.
    assert sorted(r["ind"] for r in pins.collect()) == [1, 2, 3, 4, 5, 99]
    assert pins.where("ind = 99").first()["follower_count"] is None
    assert sorted(r["ind"] for r in table(spark, out / "geo").collect()) == [1, 2, 3, 4, 5, 98]
    for name in ("pin", "geo", "user", "quarantine"):
        properties = spark.sql(f"DESCRIBE DETAIL delta.`{out / name}`").first()["properties"]
        assert properties.get("delta.checkpointInterval") == "100", name
    row = pins.where("ind = 1").first()
    # Every row carries when Kinesis received it: the event time of the real-time metrics.
    assert pins.where("arrival IS NULL").count() == 0
    assert table(spark, out / "quarantine").where("arrival IS NULL").count() == 0
    # The batch job's cleaning, applied to the stream: placeholder -> null, '1.5k' -> 1500, prefix gone.
    assert (row["title"], row["follower_count"], row["save_location"]) == (None, 1500, "/data/art")
    g = table(spark, out / "geo").where("ind = 1").first()
    assert list(g["coordinates"]) == [1.5, 2.5]
    assert str(g["timestamp"]) == "2020-01-02 03:04:05"
    u = table(spark, out / "user").where("ind = 1").first()
    assert (u["user_name"], u["age"]) == ("Ann L1", 30)
    reasons = sorted((r["source"], r["ind"], r["outcome"], r["reason"]) for r in table(spark, out / "quarantine").collect())
    assert reasons == [
        ("geo", 98, "field nulled", "latitude 95.0 is out of range"),
        ("pin", 99, "field nulled", "follower_count is not a count: 'lots'"),
        ("user", None, "row quarantined", "unparseable JSON or a field of the wrong type"),
    ]

    # Stopped; more arrives, including a re-delivery of post 3 and a record already quarantined.
    put(kinesis, "pin", [pin(i) for i in range(6, 9)] + [pin(3)])
    put(kinesis, "geo", [geo(i) for i in range(6, 9)])
    put(kinesis, "user", [user(i) for i in range(6, 9)])
    run_once(spark, kinesis, out, checkpoint)
    extra = {"pin": [99], "geo": [98], "user": []}
    for kind in ("pin", "geo", "user"):
        inds = [r["ind"] for r in table(spark, out / kind).collect()]
        assert sorted(inds) == list(range(1, 9)) + extra[kind], f"{kind}: nothing lost, nothing twice"
    assert table(spark, out / "quarantine").count() == 3, "quarantined records are not re-read on restart"

    # Nothing new: a restart reads nothing and changes nothing.
    versions = {k: spark.sql(f"DESCRIBE HISTORY delta.`{out / k}`").count() for k in ("pin", "quarantine")}
    run_once(spark, kinesis, out, checkpoint)
    assert {k: spark.sql(f"DESCRIBE HISTORY delta.`{out / k}`").count() for k in ("pin", "quarantine")} == versions


def test_a_batch_that_fails_after_writing_is_replayed_without_duplicates(spark, kinesis, tmp_path):
    out, checkpoint = tmp_path / "delta" / "stream", tmp_path / "lake" / "checkpoints" / "stream"
    put(kinesis, "pin", [pin(i) for i in range(1, 4)] + [pin(50, follower_count="x")])
    put(kinesis, "user", [user(i) for i in range(1, 4)])

    def crash(batch_id, _batch):
        raise RuntimeError(f"injected failure after batch {batch_id} was written")

    with pytest.raises(Exception, match="injected failure"):
        run_once(spark, kinesis, out, checkpoint, on_committed=crash)
    # Written, but the batch never committed in the checkpoint: the restart replays it.
    run_once(spark, kinesis, out, checkpoint)
    assert sorted(r["ind"] for r in table(spark, out / "pin").collect()) == [1, 2, 3, 50]
    assert sorted(r["ind"] for r in table(spark, out / "user").collect()) == [1, 2, 3]
    assert [(r["ind"], r["rule"]) for r in table(spark, out / "quarantine").collect()] == [(50, "follower_count.not_a_count")]


def test_stream_arguments_are_checked():
    args = S.parse_args(["--streams", NAMES, "--out", "o", "--checkpoint", "s3://l/c", "--region", "r"])
    assert (args.trigger_spec, args.metrics_trigger_spec) == ({"processingTime": "10 seconds"},
                                                              {"processingTime": "1 minutes"})
    assert args.realtime and args.state_partitions is None
    assert S.parse_trigger("10s") == {"processingTime": "10 seconds"}
    assert S.parse_trigger("available-now") == {"availableNow": True}
    with pytest.raises(ValueError, match="--trigger must be"):
        S.parse_trigger("often")
    with pytest.raises(SystemExit):
        S.parse_args(["--streams", NAMES, "--out", "o", "--checkpoint", "c", "--source", "databricks"])


def test_the_jobs_take_the_names_they_are_given_and_refuse_a_map_that_does_not_name_each_kind_once(capsys):
    assert parse_names(NAMES, "--streams") == STREAMS
    for text, says in [
        ("t", "--streams must be JSON mapping pin, geo and user to names"),
        ('{"pin": "a", "geo": "b"}', "--streams must map exactly pin, geo and user to names"),
        ('{"pin": "a", "geo": "b", "user": ""}', "--streams.user must be a name, got ''"),
        ('{"pin": "a", "geo": "a", "user": "c"}', "--streams names one twice"),
    ]:
        with pytest.raises(ValueError, match=re.escape(says)):
            parse_names(text, "--streams")
    with pytest.raises(SystemExit):
        S.parse_args(["--streams", "t", "--out", "o", "--checkpoint", "s3://l/c", "--region", "r"])
    assert "--streams must be JSON" in capsys.readouterr().err


def test_a_checkpoint_outside_the_lake_is_refused_on_a_cluster(capsys):
    with pytest.raises(SystemExit):
        S.parse_args(["--streams", NAMES, "--out", "s3://b/delta/stream", "--checkpoint", "/tmp/cp",
                      "--region", "eu-west-1"])
    assert "--checkpoint must be in the lake" in capsys.readouterr().err
    args = S.parse_args(["--streams", NAMES, "--out", "s3://b/delta/stream", "--checkpoint",
                         "s3://b/checkpoints/stream", "--region", "eu-west-1"])
    assert args.trigger_spec == {"processingTime": "10 seconds"}


def batch_frame(spark, posts):
    """A micro-batch as the source gives it: (stream, data, arrival) rows for each post's three records."""
    now = datetime.datetime(2026, 12, 3, 12, 0, 0)
    rows = [(STREAMS[kind], json.dumps(make(i)), now) for i in posts
            for kind, make in (("pin", pin), ("geo", geo), ("user", user))]
    return spark.createDataFrame(rows, "stream string, data string, arrival timestamp")


class FailingGeo(S.BatchWriter):
    """A run that dies while writing: the geo table's append fails after the others have committed."""

    def append(self, df, path, batch_id):
        if path.endswith("/geo"):
            raise RuntimeError("injected failure writing geo")
        return super().append(df, path, batch_id)


def test_a_restart_writes_a_replayed_batch_only_to_the_tables_that_lack_it(spark, tmp_path):
    out = str(tmp_path / "delta")
    S.create_tables(spark, out)
    S.BatchWriter(out=out, streams=STREAMS, app_id="cp-1")(batch_frame(spark, [1, 2]), 0)
    with pytest.raises(RuntimeError, match="injected failure writing geo"):
        FailingGeo(out=out, streams=STREAMS, app_id="cp-1")(batch_frame(spark, [3, 4]), 1)
    assert table(spark, f"{out}/pin").count() == 4 and table(spark, f"{out}/geo").count() == 2
    # Maintenance between the runs commits without a marker; the markers are still found behind it.
    spark.sql(f"OPTIMIZE delta.`{out}/pin`")

    restarted = S.BatchWriter(out=out, streams=STREAMS, app_id="cp-1")
    restarted(batch_frame(spark, [3, 4]), 1)  # the replay
    restarted(batch_frame(spark, [5]), 2)
    for kind in ("pin", "geo", "user"):
        assert sorted(r["ind"] for r in table(spark, f"{out}/{kind}").collect()) == [1, 2, 3, 4, 5], kind
    history = spark.sql(f"DESCRIBE HISTORY delta.`{out}/geo`").orderBy("version").collect()
    assert [S.read_marker(h["userMetadata"], "cp-1") for h in history] == [None, 0, 1, 2]


def test_the_last_committed_batch_is_found_behind_many_foreign_commits(spark, tmp_path):
    path = str(tmp_path / "t")
    spark.range(1).write.format("delta").save(path)
    assert S.last_committed_batch(spark, path, "cp") == -1
    spark.range(1).write.format("delta").mode("append").option("userMetadata", S.batch_marker("cp", 7)).save(path)
    for _ in range(17):  # more than the first window of 16 commits
        spark.range(1).write.format("delta").mode("append").save(path)
    assert S.last_committed_batch(spark, path, "cp") == 7
    assert S.last_committed_batch(spark, path, "another-checkpoint") == -1


def test_only_this_streams_markers_count():
    assert S.read_marker(S.batch_marker("cp", 3), "cp") == 3
    for foreign in (None, "", "nightly backfill", '{"stream": "other", "batch": 3}', '{"stream": "cp"}',
                    '{"stream": "cp", "batch": "3"}', "[1]"):
        assert S.read_marker(foreign, "cp") is None, foreign


def test_tables_an_earlier_version_created_gain_the_new_columns_before_anything_reads_them(spark, tmp_path):
    out = str(tmp_path / "delta")
    # The shapes before field-level quality and arrival: no arrival anywhere, the old quarantine columns.
    spark.createDataFrame([("pin", 1, "bad", "a reason")], "source string, ind long, raw string, reason string") \
        .write.format("delta").save(f"{out}/quarantine")
    spark.createDataFrame([(1, "Peru")], "ind long, country string").write.format("delta").save(f"{out}/geo")
    S.create_tables(spark, out)
    quarantine = table(spark, f"{out}/quarantine")
    assert {"rule", "field", "value", "outcome", "arrival"} <= set(quarantine.columns)
    assert [r["reason"] for r in quarantine.collect()] == ["a reason"], "old rows kept"
    assert "arrival" in table(spark, f"{out}/geo").columns


def test_the_entry_point_with_available_now_drains_the_streams_then_the_metrics_and_ends(
    spark, kinesis, tmp_path, monkeypatch
):
    from conftest import delta_jars

    monkeypatch.setenv("PINPIPE_DELTA_JARS", ",".join(delta_jars()))  # --local's session: this one
    out, checkpoint = tmp_path / "delta" / "stream", tmp_path / "lake" / "checkpoints" / "stream"
    put(kinesis, "pin", [pin(i) for i in range(1, 4)])
    put(kinesis, "geo", [geo(i) for i in range(1, 4)])
    put(kinesis, "user", [user(i) for i in range(1, 4)])
    S.main(["--streams", NAMES, "--out", str(out), "--checkpoint", str(checkpoint), "--source", "boto3",
            "--endpoint-url", kinesis.endpoint, "--region", kinesis.region, "--trigger", "available-now",
            "--local"])
    assert spark.streams.active == [], "a run that ends leaves no query running (a job run lasts while one does)"
    assert table(spark, out / "pin").count() == 3
    realtime, _ = S.realtime_paths(str(out), str(checkpoint))
    health = {r["source"]: r["records"] for r in table(spark, f"{realtime}/ingest_health").collect()}
    assert health == {"pin": 3, "geo": 3, "user": 3}
