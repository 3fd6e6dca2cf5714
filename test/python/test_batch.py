"""The batch entry point end to end on a generated lake folder in the S3 sink's layout: silver, quarantine
and gold Delta tables, every raw record accounted for, and an idempotent re-run."""
from __future__ import annotations

import json
from pathlib import Path

from pinterest_jobs.batch import SILVER_STATS_COLUMNS, run_batch

TOPICS = {"pin": "t.pin", "geo": "t.geo", "user": "t.user"}


def write_lake(root: Path) -> None:
    """Posts 1-6 in the sink's layout (two partitions per topic), post 3 sent twice (at-least-once), one bad
    record per topic, and two blank lines (empty, whitespace only) per topic, which are not records."""
    def pin(i):
        return {"index": i, "unique_id": f"u{i}", "title": "t", "description": "d", "poster_name": f"p{i}",
                "follower_count": f"{i}k", "tag_list": "a", "is_image_or_video": "image", "image_src": "s",
                "downloaded": 1, "save_location": "Local save in /data/art", "category": "art" if i % 2 else "travel"}

    def geo(i):
        return {"ind": i, "timestamp": f"2019-0{i}-01 10:00:00", "latitude": 10.0 + i, "longitude": 20.0, "country": "France" if i < 4 else "Spain"}

    def user(i):
        return {"ind": i, "first_name": "F", "last_name": f"L{i}", "age": 20 + 5 * i, "date_joined": f"2016-0{i}-02 00:00:00"}

    bad = {"pin": pin(9) | {"follower_count": "lots"}, "geo": geo(9) | {"latitude": 99.0}, "user": "{truncated"}
    for kind, make in (("pin", pin), ("geo", geo), ("user", user)):
        topic = TOPICS[kind]
        for partition, keys in ((0, [1, 2, 3]), (1, [3, 4, 5, 6])):
            folder = root / "topics" / topic / f"partition={partition}"
            folder.mkdir(parents=True)
            lines = [json.dumps(make(k)) for k in keys]
            if partition == 0:
                lines[1:1] = ["", " \t "]
            if partition == 1:
                lines.append(bad[kind] if isinstance(bad[kind], str) else json.dumps(bad[kind]))
            (folder / f"{topic}+{partition}+0000000000.json").write_text("\n".join(lines) + "\n")


def snapshot(spark, out: Path) -> dict[str, list]:
    tables = ["silver/pin", "silver/geo", "silver/user", "quarantine", "gold/popular_category_by_country", "gold/users_joined_by_year"]
    return {t: sorted(map(str, spark.read.format("delta").load(str(out / t)).collect())) for t in tables}


def test_batch_writes_silver_quarantine_and_gold_and_reruns_to_the_same_rows(spark, tmp_path):
    lake, out = tmp_path / "lake", tmp_path / "delta"
    write_lake(lake)
    result = run_batch(spark, str(lake), str(out), TOPICS)
    assert result.raw == {"pin": 8, "geo": 8, "user": 8}
    # Post 9's pin and geo each have one bad field: nulled, the rows stay. Its user record is not JSON.
    assert result.silver == {"pin": 7, "geo": 7, "user": 6}, "one row per post: the duplicate of post 3 is gone"
    assert result.quarantined == {"pin": 0, "geo": 0, "user": 1}
    assert result.nulled == {"pin": 1, "geo": 1, "user": 0}
    for kind in TOPICS:
        # Every raw record is accounted for: silver + the duplicate of post 3 + quarantined whole = raw.
        assert result.silver[kind] + 1 + result.quarantined[kind] == result.raw[kind]
    entries = {(r["source"], r["rule"], r["outcome"], r["reason"])
               for r in spark.read.format("delta").load(str(out / "quarantine")).collect()}
    assert entries == {
        ("pin", "follower_count.not_a_count", "field nulled", "follower_count is not a count: 'lots'"),
        ("geo", "latitude.out_of_range", "field nulled", "latitude 99.0 is out of range"),
        ("user", "unreadable", "row quarantined", "unparseable JSON or a field of the wrong type"),
    }
    pin9 = spark.read.format("delta").load(str(out / "silver/pin")).where("ind = 9").first()
    assert (pin9["follower_count"], pin9["category"]) == (None, "art")
    by_country = {r["country"]: (r["category"], r["category_count"]) for r in spark.read.format("delta").load(str(out / "gold/popular_category_by_country")).collect()}
    # France: posts 1, 2, 3 -> art (1, 3) 2; Spain: 4, 5, 6, 9 -> art (5, 9) 2 = travel (4, 6) 2, art first.
    # Post 9 counts: its bad follower count and latitude cost only those two fields.
    assert by_country == {"France": ("art", 2), "Spain": ("art", 2)}
    assert len(result.gold) == 9

    for kind, columns in SILVER_STATS_COLUMNS.items():
        properties = spark.sql(f"DESCRIBE DETAIL delta.`{out / 'silver' / kind}`").first()["properties"]
        assert properties.get("delta.dataSkippingStatsColumns") == columns, kind
    assert spark.conf.get("spark.sql.inMemoryColumnarStorage.compressed") == "true", "the session is left as found"

    first = snapshot(spark, out)
    again = run_batch(spark, str(lake), str(out), TOPICS)
    assert again == result
    assert snapshot(spark, out) == first


def test_batch_runs_on_an_empty_lake(spark, tmp_path):
    result = run_batch(spark, str(tmp_path / "empty"), str(tmp_path / "delta"), TOPICS)
    assert result.raw == {"pin": 0, "geo": 0, "user": 0}
    assert result.silver == {"pin": 0, "geo": 0, "user": 0}
