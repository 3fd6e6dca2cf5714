"""Cleaning shared by the batch and the streaming job: pure DataFrame -> DataFrame functions.

Each ``clean_*`` takes raw records as JSON text (a ``raw`` string column) and returns ``(clean,
quarantine)``: the cleaned rows in the original's column order, and the quarantine entries. A value that
breaks its field's rule costs only itself: the field is nulled, the row stays, and the quarantine records
(key, field, value, rule). A record is quarantined whole, with its raw text, only when it cannot be trusted
as a whole (not JSON, a field of the wrong type, no key) or when the policy says "drop" for a rule it breaks.
Nothing is dropped silently: every input row is in clean or quarantined whole, never both.
``one_row_per_key`` is separate because a stream deduplicates with state and a batch with a window.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import reduce
from typing import TypeVar

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
T = TypeVar("T")


def passed_through(df: DataFrame) -> list[str]:
    """The input's ``_in_*`` columns (the stream's ``_in_arrival``): carried unchanged into both outputs."""
    return [c for c in df.columns if c.startswith("_in_")]


_COLUMNS: dict[tuple, object] = {}


def _memo(key: tuple, build: Callable[[], T]) -> T:
    """The columns `build` makes, made once per Spark context. Every ``F.*`` call is a round trip to the
    JVM (~0.13 ms); the stream cleans each micro-batch with the same expressions, and building them anew
    cost ~5,000 round trips, 0.6 s a batch (docs/benchmarks.md). A Column is an unresolved expression, so
    one can serve any DataFrame with the columns it names."""
    from pyspark import SparkContext

    full = (id(SparkContext._active_spark_context), *key)
    if full not in _COLUMNS:
        _COLUMNS[full] = build()
    return _COLUMNS[full]  # type: ignore[return-value]


def parse_raw(raw: DataFrame, kind: str) -> DataFrame:
    """Parses the ``raw`` JSON column with the kind's explicit schema; keeps ``raw``, the corrupt flag and
    the columns passed through. A column the caller wants carried to the outputs is named ``_in_<name>``
    (``_in_arrival``) so it can never collide with a record's field; the outputs name it ``<name>``."""
    keep = tuple(passed_through(raw))

    def build() -> tuple[list[Column], list[Column]]:
        parsed = F.from_json(
            "raw", with_corrupt_column(RAW_SCHEMAS[kind]), {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
        )
        kept = [F.col("raw"), *[F.col(c) for c in keep]]
        return [*kept, parsed.alias("r")], [*kept, F.col("r.*")]

    first, second = _memo(("parse", kind, keep), build)
    return raw.select(*first).select(*second)


def _outside_names(df: DataFrame) -> list[Column]:
    keep = tuple(passed_through(df))
    return _memo(("outside", keep), lambda: [F.col(c).alias(c.removeprefix("_in_")) for c in keep])


def null_placeholders(df: DataFrame) -> DataFrame:
    """Placeholder values (SQL LIKE patterns) become nulls. One projection: every DataFrame step costs the
    stream an analysis of the whole plan on the driver, per micro-batch (docs/benchmarks.md)."""
    present = tuple(c for c in PLACEHOLDERS if c in df.columns)

    def build() -> dict[str, Column]:
        replaced = {}
        for column in present:
            matches = reduce(lambda a, b: a | b, [F.col(column).like(p) for p in PLACEHOLDERS[column]])
            replaced[column] = F.when(matches, F.lit(None)).otherwise(F.col(column))
        return replaced

    return df.withColumns(_memo(("placeholders", present), build))


def follower_count_to_int(column: Column) -> Column:
    """'987' -> 987, '10k' -> 10000, '1.5k' -> 1500, '2M' -> 2000000; anything else -> null."""
    number = F.regexp_extract(column, FOLLOWER_COUNT, 1)
    suffix = F.regexp_extract(column, FOLLOWER_COUNT, 2)
    factor = F.when(suffix == "k", F.lit(1000)).when(suffix == "M", F.lit(1_000_000)).otherwise(F.lit(1))
    return F.when(column.rlike(FOLLOWER_COUNT), F.round(number.cast("double") * factor).cast("long"))


#: What a failed field rule does to its row: the field is nulled and recorded, the row stays ("null", the
#: default); or the row goes to quarantine whole ("drop"). Configured per rule (``--quality-policy``).
NULL_FIELD, DROP_ROW = "null", "drop"
#: The outcome recorded in the quarantine table.
FIELD_NULLED, ROW_QUARANTINED = "field nulled", "row quarantined"
#: Whole-record failures: the record cannot be trusted as a whole, whatever the policy.
UNREADABLE, MISSING_KEY = "unreadable", "missing_key"


@dataclass(frozen=True)
class FieldRule:
    """A check of one field. ``fails`` is true when the value breaks the rule (null-safe: a missing value
    breaks nothing); ``value`` is the value as the record carried it; ``nulls`` are the parsed columns that
    become null when the rule fails under the "null" policy. Columns are built on use (they need a session)."""

    rule: str
    field: str
    fails: Callable[[], Column]
    value: Callable[[], Column]
    reason: Callable[[], Column]
    nulls: tuple[str, ...]


def _out_of_range(field: str, low: float, high: float) -> FieldRule:
    return FieldRule(
        rule=f"{field}.out_of_range",
        field=field,
        fails=lambda: ~F.col(field).between(low, high),
        value=lambda: F.col(field).cast("string"),
        reason=lambda: F.format_string(f"{field} %s is out of range", F.col(field)),
        nulls=(field,),
    )


def _datetime(field: str, parsed: str) -> FieldRule:
    return FieldRule(
        rule=f"{field}.not_a_datetime",
        field=field,
        fails=lambda: F.col(field).isNotNull() & F.col(parsed).isNull(),
        value=lambda: F.col(field),
        reason=lambda: F.lit(f"{field} is not '{DATETIME_FORMAT}'"),
        nulls=(parsed,),
    )


#: Every field rule, per kind, in the order they are checked (the first failing "drop" rule names the reason).
FIELD_RULES: dict[str, tuple[FieldRule, ...]] = {
    "pin": (
        FieldRule(
            rule="follower_count.not_a_count",
            field="follower_count",
            fails=lambda: F.col("follower_count_text").isNotNull() & F.col("follower_count").isNull(),
            value=lambda: F.col("follower_count_text"),
            reason=lambda: F.concat(
                F.lit("follower_count is not a count: '"), F.col("follower_count_text"), F.lit("'")
            ),
            nulls=("follower_count",),
        ),
    ),
    "geo": (
        _out_of_range("latitude", -90, 90),
        _out_of_range("longitude", -180, 180),
        _datetime("timestamp", "ts"),
    ),
    "user": (
        _out_of_range("age", 1, 120),
        _datetime("date_joined", "joined"),
    ),
}
#: The rule ids a policy may name (components/qualityRules.json lists the same, for the stack's config).
RULE_IDS = tuple(r.rule for rules in FIELD_RULES.values() for r in rules)

QualityPolicy = Mapping[str, str]


def parse_policy(text: str | None) -> dict[str, str]:
    """The per-rule policy from JSON (``{"age.out_of_range": "drop"}``); rules not named keep "null".
    Raises ValueError naming the bad entry."""
    try:
        given = json.loads(text or "{}")
    except ValueError as err:
        raise ValueError(f"quality policy is not JSON: {err}") from None
    if not isinstance(given, dict):
        raise ValueError(f"quality policy must be a JSON object of rule -> 'null'|'drop', got {text!r}")
    for rule, action in given.items():
        if rule not in RULE_IDS:
            raise ValueError(f"quality policy names an unknown rule '{rule}' (known: {', '.join(RULE_IDS)})")
        if action not in (NULL_FIELD, DROP_ROW):
            raise ValueError(f"quality policy for '{rule}' must be 'null' or 'drop', got {action!r}")
    return {rule: given.get(rule, NULL_FIELD) for rule in RULE_IDS}


def _issue(rule: FieldRule) -> Column:
    return F.struct(
        F.lit(rule.rule).alias("rule"),
        F.lit(rule.field).alias("field"),
        rule.value().alias("value"),
        rule.reason().alias("reason"),
    )


def _flag(df: DataFrame, kind: str, policy: QualityPolicy | None) -> DataFrame:
    """Adds what the split needs, and nulls failed fields:

    - ``_whole``: null for a row that stays, else the struct (rule, field, value, reason) that sends it to
      quarantine whole: unreadable or wrong-typed JSON, no key, or the first failed rule whose policy is drop;
    - ``_issues``: the failed rules whose policy is null, one struct each (recorded, the fields nulled).
    """
    policy = policy or {}
    return df.withColumns(_memo(("flag", kind, tuple(sorted(policy.items()))), lambda: _flag_columns(kind, policy)))


def _flag_columns(kind: str, policy: QualityPolicy) -> dict[str, Column]:
    key = KEY_FIELDS[kind]
    rules = FIELD_RULES[kind]
    fails = {r.rule: F.coalesce(r.fails(), F.lit(False)) for r in rules}
    nothing = F.lit(None).cast("string")
    whole_checks = [
        (F.col(CORRUPT).isNotNull(), F.struct(F.lit(UNREADABLE).alias("rule"), nothing.alias("field"),
                                               nothing.alias("value"),
                                               F.lit("unparseable JSON or a field of the wrong type").alias("reason"))),
        (F.col(key).isNull(), F.struct(F.lit(MISSING_KEY).alias("rule"), nothing.alias("field"),
                                        nothing.alias("value"), F.lit(f"missing key '{key}'").alias("reason"))),
        *[(fails[r.rule], _issue(r)) for r in rules if policy.get(r.rule, NULL_FIELD) == DROP_ROW],
    ]
    whole: Column = F.lit(None)
    for condition, why in reversed(whole_checks):
        whole = F.when(condition, why).otherwise(whole)
    nulled = [r for r in rules if policy.get(r.rule, NULL_FIELD) == NULL_FIELD]
    issues = F.filter(F.array(*[F.when(fails[r.rule], _issue(r)) for r in nulled]), lambda i: i.isNotNull()) \
        if nulled else F.array()
    # One projection; every expression reads the values as parsed, before any is nulled.
    nulls = {column: F.when(fails[rule.rule], F.lit(None)).otherwise(F.col(column))
             for rule in nulled for column in rule.nulls}
    return {"_whole": whole, "_issues": issues, **nulls}


def _prepare_pins(raw: DataFrame, policy: QualityPolicy | None) -> DataFrame:
    df = null_placeholders(parse_raw(raw, "pin"))
    df = df.withColumns(
        _memo(
            ("follower_count",),
            lambda: {
                "follower_count_text": F.col("follower_count"),
                "follower_count": follower_count_to_int(F.col("follower_count")),
            },
        )
    )
    return _flag(df, "pin", policy)


def _finish_pins(clean: DataFrame) -> DataFrame:
    def build() -> list[Column]:
        return [
            F.col("index").alias("ind") if c == "ind"
            else F.regexp_replace("save_location", r"^Local save in ", "").alias(c) if c == "save_location"
            else F.col(c)
            for c in PIN_COLUMNS
        ]

    return clean.select(*_memo(("finish", "pin"), build), *_outside_names(clean))


def _prepare_geo(raw: DataFrame, policy: QualityPolicy | None) -> DataFrame:
    df = parse_raw(raw, "geo").withColumns(
        _memo(("ts",), lambda: {"ts": F.try_to_timestamp(F.col("timestamp"), F.lit(DATETIME_FORMAT))})
    )
    return _flag(df, "geo", policy)


def _finish_geo(clean: DataFrame) -> DataFrame:
    def build() -> list[Column]:
        return [
            F.col("ind"),
            F.col("country"),
            F.array("latitude", "longitude").alias("coordinates"),
            F.col("ts").alias("timestamp"),
        ]

    return clean.select(*_memo(("finish", "geo"), build), *_outside_names(clean))


def _prepare_users(raw: DataFrame, policy: QualityPolicy | None) -> DataFrame:
    df = parse_raw(raw, "user").withColumns(
        _memo(("joined",), lambda: {"joined": F.try_to_timestamp(F.col("date_joined"), F.lit(DATETIME_FORMAT))})
    )
    return _flag(df, "user", policy)


def _finish_users(clean: DataFrame) -> DataFrame:
    def build() -> list[Column]:
        return [
            F.col("ind"),
            F.concat_ws(" ", "first_name", "last_name").alias("user_name"),
            F.col("age").cast("int").alias("age"),
            F.col("joined").alias("date_joined"),
        ]

    return clean.select(*_memo(("finish", "user"), build), *_outside_names(clean))


_PREPARE = {"pin": _prepare_pins, "geo": _prepare_geo, "user": _prepare_users}
_FINISH = {"pin": _finish_pins, "geo": _finish_geo, "user": _finish_users}


def flag(raw: DataFrame, kind: str, policy: QualityPolicy | None = None) -> DataFrame:
    """Parses and checks every raw record: the parsed fields (failed ones nulled) plus ``_whole`` (null when
    the row stays) and ``_issues``. A job that writes both outputs persists this once and splits it, instead
    of parsing twice."""
    return _PREPARE[kind](raw, policy)


def split(flagged: DataFrame, kind: str) -> tuple[DataFrame, DataFrame]:
    """(clean, quarantine) of a flagged frame. Every input row is in clean or quarantined whole, never both;
    each nulled field of a clean row is one more quarantine row ("field nulled", no raw text: the value is
    the evidence)."""
    key = KEY_FIELDS[kind]
    keep = tuple(passed_through(flagged))
    c = _memo(("split", kind, keep), lambda: _split_columns(kind, keep))
    whole = flagged.where(c["whole_rows"]).select(*c["whole"])
    nulled = flagged.where(c["nulled_rows"]).select(*c["explode"]).select(*c["nulled"])
    clean = flagged.where(c["stays"]).drop("_whole", "_issues", CORRUPT, "raw")
    return _FINISH[kind](clean), whole.unionByName(nulled)


def _split_columns(kind: str, keep: tuple[str, ...]) -> dict:
    key = KEY_FIELDS[kind]
    outside = [F.col(c).alias(c.removeprefix("_in_")) for c in keep]

    def entry(issue: str, outcome: str, raw: Column) -> list[Column]:
        return [
            F.lit(kind).alias("source"),
            F.col(key).alias("ind"),
            F.col(f"{issue}.rule").alias("rule"),
            F.col(f"{issue}.field").alias("field"),
            F.col(f"{issue}.value").alias("value"),
            F.lit(outcome).alias("outcome"),
            F.col(f"{issue}.reason").alias("reason"),
            raw.alias("raw"),
            *outside,
        ]

    stays = F.col("_whole").isNull()
    return {
        "stays": stays,
        "whole_rows": ~stays,
        "nulled_rows": stays & (F.size("_issues") > 0),
        "whole": entry("_whole", ROW_QUARANTINED, F.col("raw")),
        "explode": [F.col(key), *[F.col(c) for c in keep], F.explode("_issues").alias("_issue")],
        "nulled": entry("_issue", FIELD_NULLED, F.lit(None).cast("string")),
    }


def union_all(frames: list[DataFrame]) -> DataFrame:
    """The rows of all the frames (same columns, matched by name): e.g. the kinds' quarantines as one table."""
    return reduce(DataFrame.unionByName, frames)


def clean_pins(raw: DataFrame, policy: QualityPolicy | None = None) -> tuple[DataFrame, DataFrame]:
    return split(flag(raw, "pin", policy), "pin")


def clean_geo(raw: DataFrame, policy: QualityPolicy | None = None) -> tuple[DataFrame, DataFrame]:
    return split(flag(raw, "geo", policy), "geo")


def clean_users(raw: DataFrame, policy: QualityPolicy | None = None) -> tuple[DataFrame, DataFrame]:
    return split(flag(raw, "user", policy), "user")


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
