"""The real-time metrics (realtime.py) as streaming queries over stream-shaped Delta tables: each table equals
the same function over the whole clean tables computed statically; a restart from the checkpoints adds
nothing twice; a record later than the watermark is left out, counted as dropped, and stays in the clean
tables; windows of the joined metric land once, when final."""
from __future__ import annotations

import datetime as dt
import json

from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from pinterest_jobs import realtime as R
from pinterest_jobs import stream as S
from pinterest_jobs.cleaning import CLEANERS

T0 = dt.datetime(2026, 12, 3, 12, 0, 0)
# 30 s every 10 s sliding, 10 s tumbling, 5 s late, pin and geo paired within 30 s.
W = R.Windows(popularity="30 seconds", popularity_slide="10 seconds", trending="30 seconds",
              trending_slide="10 seconds", by_country="10 seconds", health="10 seconds", lateness="5 seconds",
              pair_within="30 seconds")


def post(i, poster, category, country, age=30):
    return {
        "pin": {"index": i, "unique_id": f"u{i}", "title": "t", "description": "d", "poster_name": poster,
                "follower_count": f"{i}k", "tag_list": "a", "is_image_or_video": "image", "image_src": "s",
                "downloaded": 1, "save_location": "Local save in /x", "category": category},
        "geo": {"ind": i, "timestamp": "2020-01-01 00:00:00", "latitude": 1.0, "longitude": 2.0, "country": country},
        "user": {"ind": i, "first_name": "A", "last_name": "B", "age": age, "date_joined": "2016-01-01 00:00:00"},
    }


def land(spark, root, arrivals: list[tuple[int, dict]], extra_user_lines=()):
    """Appends posts to stream-shaped tables as the stream job would: cleaned by CLEANERS, with arrival."""
    S.create_tables(spark, str(root))
    for kind in ("pin", "geo", "user"):
        rows = [(json.dumps(p[kind]), T0 + dt.timedelta(seconds=s)) for s, p in arrivals]
        if kind == "user":
            rows += [(line, T0 + dt.timedelta(seconds=s)) for s, line in extra_user_lines]
        raw = spark.createDataFrame(rows, f"raw string, {S.ARRIVAL_IN} timestamp")
        clean, quarantine = CLEANERS[kind](raw)
        clean.write.format("delta").mode("append").save(f"{root}/{kind}")
        quarantine.write.format("delta").mode("append").save(f"{root}/quarantine")


def run(spark, root, out, checkpoint):
    queries = R.start_realtime(spark, str(root), str(out), str(checkpoint), {"processingTime": "0 seconds"}, W)
    R.drain(queries)
    return {q.name.removeprefix("realtime_"): q for q in queries}


def tables(spark, root):
    return {n: spark.read.format("delta").load(f"{root}/{n}") for n in ("pin", "geo", "user", "quarantine")}


def metric(name):
    return next(m for m in R.METRICS if m.name == name)


def static(spark, root, name):
    return metric(name).build(tables(spark, root), W)


def table(spark, out, name):
    return spark.read.format("delta").load(f"{out}/{name}")


def test_metrics_equal_the_same_functions_on_the_whole_tables_and_a_restart_adds_nothing_twice(spark, tmp_path):
    root, out, checkpoint = tmp_path / "stream", tmp_path / "realtime", tmp_path / "ckpt"
    posts = [(0, post(1, "ann", "art", "Peru")), (1, post(2, "ann", "art", "Peru")),
             (2, post(3, "bob", "travel", "Chile")), (3, post(4, "cy", "art", "Chile", age=151))]
    land(spark, root, posts, extra_user_lines=[(3, "{not json")])
    run(spark, root, out, checkpoint)
    # The metrics' jobs ran in a fair-scheduler pool of their own, as on Databricks (docs/cloud-contracts.md):
    # the local session schedules FAIR, and a FIFO scheduler would have no pools.
    all_pools = spark.sparkContext._jsc.sc().getAllPools()
    assert "metrics" in {all_pools.apply(i).name() for i in range(all_pools.size())}
    for name in ("profile_popularity", "trending_categories", "ingest_health"):
        assertDataFrameEqual(table(spark, out, name), static(spark, root, name), checkRowOrder=False)
    ann = table(spark, out, "profile_popularity").where("poster_name = 'ann' AND window_start = '2026-12-03 12:00:00'")
    assert [(r.posts, r.follower_count) for r in ann.collect()] == [(2, 2000)]
    health = {r.source: (r.records, r.quarantined, r.nulled) for r in
              table(spark, out, "ingest_health").where("window_start = '2026-12-03 12:00:00'").collect()}
    # Four users accepted, one not JSON (quarantined whole), one age nulled: the rate is 1 in 5.
    assert health == {"pin": (4, 0, 0), "geo": (4, 0, 0), "user": (5, 1, 1)}
    # The joined metric waits for its windows to be final: nothing has passed the watermark yet.
    assert table(spark, out, "trending_categories_by_country").count() == 0

    # Posts 40 s later: the watermark (41 - 5 = 36 s) is past the first window's end (10 s), but after the
    # join Spark delays it by the pairing interval: 36 - 30 = 6 s, so the window is not final yet.
    land(spark, root, [(40, post(7, "eve", "food", "Peru"))])
    run(spark, root, out, checkpoint)
    assert table(spark, out, "trending_categories_by_country").count() == 0

    # Restart: posts a minute later move it past: 61 - 5 - 30 = 26 s.
    land(spark, root, [(60, post(5, "ann", "food", "Peru")), (61, post(6, "dee", "art", "Peru"))])
    run(spark, root, out, checkpoint)
    for name in ("profile_popularity", "trending_categories", "ingest_health"):
        assertDataFrameEqual(table(spark, out, name), static(spark, root, name), checkRowOrder=False)
    by_country = table(spark, out, "trending_categories_by_country")
    final = static(spark, root, "trending_categories_by_country").where(F.col("window_end") <= T0 + dt.timedelta(seconds=26))
    assertDataFrameEqual(by_country, final, checkRowOrder=False)
    assert sorted((r.country, r.category, r.posts) for r in by_country.collect()) == [
        ("Chile", "art", 1), ("Chile", "travel", 1), ("Peru", "art", 2)
    ]

    # Nothing new: a restart changes nothing.
    before = {n: sorted(map(str, table(spark, out, n).collect())) for n in ("profile_popularity", "trending_categories_by_country")}
    run(spark, root, out, checkpoint)
    assert {n: sorted(map(str, table(spark, out, n).collect())) for n in before} == before


def test_a_record_later_than_the_watermark_is_left_out_counted_and_kept_in_the_clean_tables(spark, tmp_path):
    root, out, checkpoint = tmp_path / "stream", tmp_path / "realtime", tmp_path / "ckpt"
    land(spark, root, [(0, post(1, "ann", "art", "Peru")), (60, post(2, "bob", "art", "Peru"))])
    run(spark, root, out, checkpoint)
    first = sorted(map(str, table(spark, out, "trending_categories").collect()))
    # 59 s behind the newest arrival: past the 5 s lateness, and its windows are gone.
    land(spark, root, [(1, post(3, "late", "art", "Peru"))])
    queries = run(spark, root, out, checkpoint)
    assert sorted(map(str, table(spark, out, "trending_categories").collect())) == first
    assert table(spark, out, "profile_popularity").where("poster_name = 'late'").count() == 0
    # Spark counts input rows of the stateful operator, which an aggregation has pre-aggregated (per window
    # and key) before the lateness check: one record in three sliding windows (30 s long, every 10 s) is 3;
    # the health metric's pin, geo and user rows are three groups of its one tumbling window.
    assert R.dropped_late(queries["profile_popularity"]) == 3
    assert R.dropped_late(queries["ingest_health"]) == 3, "the late post's pin, geo and user"
    assert tables(spark, root)["pin"].where("ind = 3").count() == 1, "still in the clean table"
