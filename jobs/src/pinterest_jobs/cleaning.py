"""Cleaning shared by the batch and the streaming job: pure DataFrame -> DataFrame functions.

Each ``clean_*`` takes raw records as JSON text (a ``raw`` string column) and returns ``(clean,
quarantine)``: the cleaned rows in the original's column order, and every record that failed the schema or
a rule with its raw text and a reason. Nothing is dropped silently: every input row is in exactly one of
the two. ``one_row_per_key`` is separate because a stream deduplicates with state and a batch with a window.
"""
from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from .schemas import CORRUPT, KEY_FIELDS, RAW_SCHEMAS, with_corrupt_column

#: Values the source uses for "no data"; the cleaning turns them into nulls.
PLACEHOLDERS = {
    "title": ["No Title Data Available"],
    "description": ["No description available%"],
    "poster_name": ["User Info Error"],
    "follower_count": ["User Info Error"],
    "tag_list": ["N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e"],
    "image_src": ["Image src error."],
}

PIN_COLUMNS = [
    "ind",
    "unique_id",
    "title",
    "description",
    "follower_count",
    "poster_name",
    "tag_list",
    "is_image_or_video",
    "image_src",
    "save_location",
    "category",
    "downloaded",
]
GEO_COLUMNS = ["ind", "country", "coordinates", "timestamp"]
USER_COLUMNS = ["ind", "user_name", "age", "date_joined"]

DATETIME_FORMAT = "yyyy-MM-dd HH:mm:ss"
FOLLOWER_COUNT = r"^(\d+(?:\.\d+)?)([kM]?)$"


def parse_raw(raw: DataFrame, kind: str) -> DataFrame:
    """Parses the ``raw`` JSON column with the kind's explicit schema; keeps ``raw`` and the corrupt flag."""
    parsed = F.from_json(
        "raw", with_corrupt_column(RAW_SCHEMAS[kind]), {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    )
    return raw.select("raw", parsed.alias("r")).select("raw", "r.*")


def null_placeholders(df: DataFrame) -> DataFrame:
    """Placeholder values (SQL LIKE patterns) become nulls."""
    for column, patterns in PLACEHOLDERS.items():
        if column in df.columns:
            matches = None
            for pattern in patterns:
                m = F.col(column).like(pattern)
                matches = m if matches is None else (matches | m)
            df = df.withColumn(column, F.when(matches, F.lit(None)).otherwise(F.col(column)))
    return df


def follower_count_to_int(column: Column) -> Column:
    """'987' -> 987, '10k' -> 10000, '1.5k' -> 1500, '2M' -> 2000000; anything else -> null."""
    number = F.regexp_extract(column, FOLLOWER_COUNT, 1)
    suffix = F.regexp_extract(column, FOLLOWER_COUNT, 2)
    factor = F.when(suffix == "k", F.lit(1000)).when(suffix == "M", F.lit(1_000_000)).otherwise(F.lit(1))
    return F.when(column.rlike(FOLLOWER_COUNT), F.round(number.cast("double") * factor).cast("long"))


def _flag(df: DataFrame, kind: str, rules: list[tuple[Column, Column]]) -> DataFrame:
    """Adds ``_reason``: the first of the (condition, reason) rules that holds, or null for a clean row."""
    key = KEY_FIELDS[kind]
    reason: Column = F.lit(None).cast("string")
    checks = [
        (F.col(CORRUPT).isNotNull(), F.lit("unparseable JSON or a field of the wrong type")),
        (F.col(key).isNull(), F.lit(f"missing key '{key}'")),
        *rules,
    ]
    for condition, why in reversed(checks):
        reason = F.when(condition, why).otherwise(reason)
    return df.withColumn("_reason", reason)


def _prepare_pins(raw: DataFrame) -> DataFrame:
    df = null_placeholders(parse_raw(raw, "pin"))
    df = df.withColumn("follower_count_text", F.col("follower_count")).withColumn(
        "follower_count", follower_count_to_int(F.col("follower_count"))
    )
    return _flag(
        df,
        "pin",
        [
            (
                F.col("follower_count_text").isNotNull() & F.col("follower_count").isNull(),
                F.concat(F.lit("follower_count is not a count: '"), F.col("follower_count_text"), F.lit("'")),
            ),
        ],
    )


def _finish_pins(clean: DataFrame) -> DataFrame:
    return (
        clean.withColumn("save_location", F.regexp_replace("save_location", r"^Local save in ", ""))
        .withColumnRenamed("index", "ind")
        .select(*PIN_COLUMNS)
    )


def _prepare_geo(raw: DataFrame) -> DataFrame:
    df = parse_raw(raw, "geo").withColumn("ts", F.try_to_timestamp(F.col("timestamp"), F.lit(DATETIME_FORMAT)))
    return _flag(
        df,
        "geo",
        [
            (~F.col("latitude").between(-90, 90), F.format_string("latitude %s is out of range", F.col("latitude"))),
            (~F.col("longitude").between(-180, 180), F.format_string("longitude %s is out of range", F.col("longitude"))),
            (F.col("timestamp").isNotNull() & F.col("ts").isNull(), F.lit("timestamp is not 'yyyy-MM-dd HH:mm:ss'")),
        ],
    )


def _finish_geo(clean: DataFrame) -> DataFrame:
    return clean.select(
        "ind", "country", F.array("latitude", "longitude").alias("coordinates"), F.col("ts").alias("timestamp")
    )


def _prepare_users(raw: DataFrame) -> DataFrame:
    df = parse_raw(raw, "user").withColumn("joined", F.try_to_timestamp(F.col("date_joined"), F.lit(DATETIME_FORMAT)))
    return _flag(
        df,
        "user",
        [
            (~F.col("age").between(1, 120), F.format_string("age %s is out of range", F.col("age"))),
            (F.col("date_joined").isNotNull() & F.col("joined").isNull(), F.lit("date_joined is not 'yyyy-MM-dd HH:mm:ss'")),
        ],
    )


def _finish_users(clean: DataFrame) -> DataFrame:
    return clean.select(
        "ind",
        F.concat_ws(" ", "first_name", "last_name").alias("user_name"),
        F.col("age").cast("int").alias("age"),
        F.col("joined").alias("date_joined"),
    )


_PREPARE = {"pin": _prepare_pins, "geo": _prepare_geo, "user": _prepare_users}
_FINISH = {"pin": _finish_pins, "geo": _finish_geo, "user": _finish_users}


def flag(raw: DataFrame, kind: str) -> DataFrame:
    """Parses and checks every raw record: the parsed fields plus ``_reason`` (null when clean). A job that
    writes both outputs persists this once and splits it, instead of parsing twice."""
    return _PREPARE[kind](raw)


def split(flagged: DataFrame, kind: str) -> tuple[DataFrame, DataFrame]:
    """(clean, quarantine) of a flagged frame: every row in exactly one of the two."""
    key = KEY_FIELDS[kind]
    quarantine = flagged.where(F.col("_reason").isNotNull()).select(
        F.lit(kind).alias("source"), F.col(key).alias("ind"), F.col("raw"), F.col("_reason").alias("reason")
    )
    clean = flagged.where(F.col("_reason").isNull()).drop("_reason", CORRUPT, "raw")
    return _FINISH[kind](clean), quarantine


def union_all(frames: list[DataFrame]) -> DataFrame:
    """The rows of all the frames (same columns, matched by name): e.g. the kinds' quarantines as one table."""
    return reduce(DataFrame.unionByName, frames)


def clean_pins(raw: DataFrame) -> tuple[DataFrame, DataFrame]:
    return split(flag(raw, "pin"), "pin")


def clean_geo(raw: DataFrame) -> tuple[DataFrame, DataFrame]:
    return split(flag(raw, "geo"), "geo")


def clean_users(raw: DataFrame) -> tuple[DataFrame, DataFrame]:
    return split(flag(raw, "user"), "user")


#: Each kind's cleaner, for the jobs that clean every kind (the batch and the stream).
CLEANERS = {"pin": clean_pins, "geo": clean_geo, "user": clean_users}


def one_row_per_key(df: DataFrame, key: str = "ind") -> DataFrame:
    """One row per key (posts arrive more than once). Copies of a key carry the same values; the kept one
    is chosen deterministically (the smallest by every column in order, nulls first), so reruns give the
    same table. An aggregate per key, not a window ranking every copy: Spark plans the struct minimum as a
    sort-based aggregate with a partial step before the shuffle."""
    others = [c for c in df.columns if c != key]
    if not others:
        return df.dropDuplicates([key])
    kept = df.groupBy(key).agg(F.min(F.struct(*others)).alias("_kept"))
    return kept.select(*[F.col(c) if c == key else F.col(f"_kept.{c}").alias(c) for c in df.columns])
