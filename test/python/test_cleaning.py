"""Cleaning rules on small inline records: every rule with dirty input and the expected output, the
quarantine with its reasons, and nothing lost (clean + quarantined = input)."""
from __future__ import annotations

import datetime as dt
import json

from pyspark.sql import Row
from pyspark.testing import assertDataFrameEqual

from pinterest_jobs.cleaning import (
    PIN_COLUMNS,
    clean_geo,
    clean_pins,
    clean_users,
    follower_count_to_int,
    one_row_per_key,
)


def raw(spark, *records):
    """A DataFrame of raw JSON lines, as the lake and the streams hold them."""
    return spark.createDataFrame([(r if isinstance(r, str) else json.dumps(r),) for r in records], "raw string")


def pin(index, **overrides):
    base = {
        "index": index,
        "unique_id": f"uid-{index}",
        "title": "A title",
        "description": "A description",
        "poster_name": "poster",
        "follower_count": "987",
        "tag_list": "a,b",
        "is_image_or_video": "image",
        "image_src": "https://i.pinimg.com/x.jpg",
        "downloaded": 1,
        "save_location": "Local save in /data/travel",
        "category": "travel",
    }
    return {**base, **overrides}


def test_follower_counts_become_integers_with_suffixes(spark):
    df = spark.createDataFrame([(v,) for v in ["987", "10k", "1.5k", "2M", "12.3k", "lots", None]], "v string")
    got = [r[0] for r in df.select(follower_count_to_int(df.v)).collect()]
    # The original's text replacement made '1.5k' into '1.5000' and then null.
    assert got == [987, 10000, 1500, 2000000, 12300, None, None]


def test_pins_null_placeholders_strip_save_location_rename_key_and_keep_the_original_order(spark):
    clean, quarantine = clean_pins(
        raw(
            spark,
            pin(
                1,
                title="No Title Data Available",
                description="No description available Story format",
                poster_name="User Info Error",
                follower_count="User Info Error",
                tag_list="N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e",
                image_src="Image src error.",
                downloaded=0,
            ),
            pin(2, follower_count="1.5k", save_location="Local save in /data/mens-fashion", category="mens-fashion"),
        )
    )
    assert clean.columns == PIN_COLUMNS
    assertDataFrameEqual(
        clean,
        [
            Row(ind=1, unique_id="uid-1", title=None, description=None, follower_count=None, poster_name=None,
                tag_list=None, is_image_or_video="image", image_src=None, save_location="/data/travel",
                category="travel", downloaded=0),
            Row(ind=2, unique_id="uid-2", title="A title", description="A description", follower_count=1500,
                poster_name="poster", tag_list="a,b", is_image_or_video="image", image_src="https://i.pinimg.com/x.jpg",
                save_location="/data/mens-fashion", category="mens-fashion", downloaded=1),
        ],
        checkRowOrder=False,
    )
    assert quarantine.count() == 0


def test_geo_gets_coordinates_from_builtins_and_a_typed_timestamp(spark):
    clean, quarantine = clean_geo(
        raw(spark, {"ind": 7528, "timestamp": "2020-08-28 03:52:47", "latitude": -89.9787, "longitude": -173.293, "country": "Albania"})
    )
    assertDataFrameEqual(
        clean,
        [Row(ind=7528, country="Albania", coordinates=[-89.9787, -173.293], timestamp=dt.datetime(2020, 8, 28, 3, 52, 47))],
    )
    assert clean.schema["timestamp"].dataType.typeName() == "timestamp"
    assert quarantine.count() == 0


def test_users_get_a_user_name_an_int_age_and_a_typed_join_date(spark):
    clean, _ = clean_users(raw(spark, {"ind": 7528, "first_name": "Abigail", "last_name": "Ali", "age": 20, "date_joined": "2015-10-24 11:23:51"}))
    assertDataFrameEqual(clean, [Row(ind=7528, user_name="Abigail Ali", age=20, date_joined=dt.datetime(2015, 10, 24, 11, 23, 51))])
    assert clean.schema["age"].dataType.typeName() == "integer"


def test_records_that_break_the_schema_or_a_rule_are_quarantined_with_the_raw_record_and_a_reason(spark):
    records = [
        "not json at all",
        {"ind": 1, "timestamp": "2020-01-01 00:00:00", "latitude": "north", "longitude": 1.0, "country": "X"},
        {"timestamp": "2020-01-01 00:00:00", "latitude": 1.0, "longitude": 1.0, "country": "X"},
        {"ind": 2, "timestamp": "2020-01-01 00:00:00", "latitude": 123.4567, "longitude": 1.0, "country": "X"},
        {"ind": 3, "timestamp": "2020-01-01 00:00:00", "latitude": 1.0, "longitude": -400.0, "country": "X"},
        {"ind": 4, "timestamp": "yesterday", "latitude": 1.0, "longitude": 1.0, "country": "X"},
        {"ind": 5, "timestamp": "2020-01-01 00:00:00", "latitude": 1.0, "longitude": 1.0, "country": "X"},
    ]
    source = raw(spark, *records)
    clean, quarantine = clean_geo(source)
    assert [r.ind for r in clean.collect()] == [5]
    reasons = {r.raw: (r.ind, r.reason) for r in quarantine.collect()}
    as_text = [r if isinstance(r, str) else json.dumps(r) for r in records]
    assert reasons == {
        as_text[0]: (None, "unparseable JSON or a field of the wrong type"),
        as_text[1]: (1, "unparseable JSON or a field of the wrong type"),
        as_text[2]: (None, "missing key 'ind'"),
        as_text[3]: (2, "latitude 123.4567 is out of range"),
        as_text[4]: (3, "longitude -400.0 is out of range"),
        as_text[5]: (4, "timestamp is not 'yyyy-MM-dd HH:mm:ss'"),
    }
    assert clean.count() + quarantine.count() == source.count(), "nothing lost"


def test_pin_and_user_rules(spark):
    _, pins_q = clean_pins(raw(spark, pin(1, follower_count="lots"), pin(2)))
    assert [(r.ind, r.reason) for r in pins_q.collect()] == [(1, "follower_count is not a count: 'lots'")]
    users = [
        {"ind": 1, "first_name": "A", "last_name": "B", "age": -3, "date_joined": "2015-01-01 00:00:00"},
        {"ind": 2, "first_name": "A", "last_name": "B", "age": 151, "date_joined": "2015-01-01 00:00:00"},
        {"ind": 3, "first_name": "A", "last_name": "B", "age": 30, "date_joined": "2015-13-45 99:00:00"},
        {"ind": 4, "first_name": "A", "last_name": "B", "age": "thirty", "date_joined": "2015-01-01 00:00:00"},
    ]
    _, users_q = clean_users(raw(spark, *users))
    assert sorted((r.ind, r.reason) for r in users_q.collect()) == [
        (1, "age -3 is out of range"),
        (2, "age 151 is out of range"),
        (3, "date_joined is not 'yyyy-MM-dd HH:mm:ss'"),
        (4, "unparseable JSON or a field of the wrong type"),
    ]


def test_one_row_per_key_keeps_one_copy_deterministically(spark):
    df = spark.createDataFrame([(1, "b"), (1, "a"), (2, "c"), (1, "a")], "ind long, v string")
    assertDataFrameEqual(one_row_per_key(df), [Row(ind=1, v="a"), Row(ind=2, v="c")], checkRowOrder=False)
