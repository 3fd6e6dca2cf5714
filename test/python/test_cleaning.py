"""Cleaning rules on small inline records: every rule with dirty input and the expected output, a bad value
nulled and recorded while its row stays, whole-record quarantine for what cannot be trusted, the per-rule
policy, and nothing lost (clean + quarantined whole = input)."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from pyspark.sql import Row
from pyspark.testing import assertDataFrameEqual

from pinterest_jobs.cleaning import (
    PIN_COLUMNS,
    RULE_IDS,
    parse_policy,
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


GEO_RECORDS = [
    "not json at all",
    {"ind": 1, "timestamp": "2020-01-01 00:00:00", "latitude": "north", "longitude": 1.0, "country": "X"},
    {"timestamp": "2020-01-01 00:00:00", "latitude": 1.0, "longitude": 1.0, "country": "X"},
    {"ind": 2, "timestamp": "2020-01-01 00:00:00", "latitude": 123.4567, "longitude": 1.0, "country": "X"},
    {"ind": 3, "timestamp": "2020-01-01 00:00:00", "latitude": 1.0, "longitude": -400.0, "country": "X"},
    {"ind": 4, "timestamp": "yesterday", "latitude": 95.0, "longitude": 1.0, "country": "X"},
    {"ind": 5, "timestamp": "2020-01-01 00:00:00", "latitude": 1.0, "longitude": 1.0, "country": "X"},
]
JAN_1 = dt.datetime(2020, 1, 1)


def entries(quarantine):
    return sorted(
        ((r.ind if r.ind is not None else -1, r.rule, r.field, r.value, r.outcome, r.reason, r.raw) for r in quarantine.collect()),
        key=str,
    )


def test_a_bad_field_is_nulled_and_recorded_and_only_an_untrustworthy_record_is_quarantined_whole(spark):
    source = raw(spark, *GEO_RECORDS)
    clean, quarantine = clean_geo(source)
    # The rows with a bad value stay, that value nulled; the rest of each row is kept.
    assertDataFrameEqual(
        clean,
        [
            Row(ind=2, country="X", coordinates=[None, 1.0], timestamp=JAN_1),
            Row(ind=3, country="X", coordinates=[1.0, None], timestamp=JAN_1),
            Row(ind=4, country="X", coordinates=[None, 1.0], timestamp=None),
            Row(ind=5, country="X", coordinates=[1.0, 1.0], timestamp=JAN_1),
        ],
        checkRowOrder=False,
    )
    as_text = [r if isinstance(r, str) else json.dumps(r) for r in GEO_RECORDS]
    assert entries(quarantine) == sorted(
        [
            (-1, "unreadable", None, None, "row quarantined", "unparseable JSON or a field of the wrong type", as_text[0]),
            (1, "unreadable", None, None, "row quarantined", "unparseable JSON or a field of the wrong type", as_text[1]),
            (-1, "missing_key", None, None, "row quarantined", "missing key 'ind'", as_text[2]),
            (2, "latitude.out_of_range", "latitude", "123.4567", "field nulled", "latitude 123.4567 is out of range", None),
            (3, "longitude.out_of_range", "longitude", "-400.0", "field nulled", "longitude -400.0 is out of range", None),
            # Two bad fields in one row: two entries, one per rule.
            (4, "latitude.out_of_range", "latitude", "95.0", "field nulled", "latitude 95.0 is out of range", None),
            (4, "timestamp.not_a_datetime", "timestamp", "yesterday", "field nulled",
             "timestamp is not 'yyyy-MM-dd HH:mm:ss'", None),
        ],
        key=str,
    )
    whole = quarantine.where("outcome = 'row quarantined'").count()
    assert clean.count() + whole == source.count(), "every record is clean or quarantined whole, never lost"


def test_the_drop_policy_quarantines_the_row_whole_for_its_rule_and_nulls_for_the_others(spark):
    source = raw(spark, *GEO_RECORDS[3:])
    clean, quarantine = clean_geo(source, parse_policy('{"latitude.out_of_range": "drop"}'))
    assert sorted(r.ind for r in clean.collect()) == [3, 5]
    got = {(r.ind, r.rule, r.outcome) for r in quarantine.collect()}
    assert got == {
        (2, "latitude.out_of_range", "row quarantined"),
        (3, "longitude.out_of_range", "field nulled"),
        # Row 4 breaks a drop rule: quarantined whole under that rule; its other failure is not recorded apart.
        (4, "latitude.out_of_range", "row quarantined"),
    }
    row2 = quarantine.where("ind = 2").first()
    assert (row2.field, row2.value, row2.raw) == ("latitude", "123.4567", as_json(GEO_RECORDS[3]))


def as_json(record):
    return json.dumps(record)


def test_pin_and_user_rules_null_their_field(spark):
    pins, pins_q = clean_pins(raw(spark, pin(1, follower_count="lots"), pin(2)))
    assert sorted((r.ind, r.follower_count, r.category) for r in pins.collect()) == [(1, None, "travel"), (2, 987, "travel")]
    assert [(r.ind, r.rule, r.value, r.reason) for r in pins_q.collect()] == [
        (1, "follower_count.not_a_count", "lots", "follower_count is not a count: 'lots'")
    ]
    users = [
        {"ind": 1, "first_name": "A", "last_name": "B", "age": -3, "date_joined": "2015-01-01 00:00:00"},
        {"ind": 2, "first_name": "A", "last_name": "B", "age": 151, "date_joined": "2015-01-01 00:00:00"},
        {"ind": 3, "first_name": "A", "last_name": "B", "age": 30, "date_joined": "2015-13-45 99:00:00"},
        {"ind": 4, "first_name": "A", "last_name": "B", "age": "thirty", "date_joined": "2015-01-01 00:00:00"},
    ]
    clean, users_q = clean_users(raw(spark, *users))
    joined = dt.datetime(2015, 1, 1)
    assert sorted((r.ind, r.age, r.date_joined) for r in clean.collect()) == [
        (1, None, joined), (2, None, joined), (3, 30, None)
    ]
    assert sorted((r.ind, r.outcome, r.reason) for r in users_q.collect()) == [
        (1, "field nulled", "age -3 is out of range"),
        (2, "field nulled", "age 151 is out of range"),
        (3, "field nulled", "date_joined is not 'yyyy-MM-dd HH:mm:ss'"),
        (4, "row quarantined", "unparseable JSON or a field of the wrong type"),
    ]


def test_the_policy_names_known_rules_and_actions_only():
    assert parse_policy(None) == {rule: "null" for rule in RULE_IDS}
    assert parse_policy('{"age.out_of_range": "drop"}')["age.out_of_range"] == "drop"
    for text, message in [
        ("[1]", "must be a JSON object"),
        ("{", "is not JSON"),
        ('{"age.too_old": "drop"}', "unknown rule 'age.too_old'"),
        ('{"age.out_of_range": "skip"}', "must be 'null' or 'drop'"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            parse_policy(text)


def test_the_stack_config_knows_the_same_rules_as_the_jobs():
    listed = json.loads((Path(__file__).resolve().parents[2] / "components" / "qualityRules.json").read_text())
    assert [r["rule"] for r in listed["rules"]] == list(RULE_IDS)


def test_one_row_per_key_keeps_one_copy_deterministically(spark):
    df = spark.createDataFrame([(1, "b"), (1, "a"), (2, "c"), (1, "a")], "ind long, v string")
    assertDataFrameEqual(one_row_per_key(df), [Row(ind=1, v="a"), Row(ind=2, v="c")], checkRowOrder=False)
