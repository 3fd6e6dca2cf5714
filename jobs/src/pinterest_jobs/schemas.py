"""Explicit schemas of the raw records, as JSON carries them (the Kafka S3 sink's lines, the Kinesis
records' data), plus the column Spark fills with a record it cannot read."""
from __future__ import annotations

from pyspark.sql import types as T

CORRUPT = "_corrupt_record"

RAW_PIN = T.StructType(
    [
        T.StructField("index", T.LongType()),
        T.StructField("unique_id", T.StringType()),
        T.StructField("title", T.StringType()),
        T.StructField("description", T.StringType()),
        T.StructField("poster_name", T.StringType()),
        T.StructField("follower_count", T.StringType()),
        T.StructField("tag_list", T.StringType()),
        T.StructField("is_image_or_video", T.StringType()),
        T.StructField("image_src", T.StringType()),
        T.StructField("downloaded", T.LongType()),
        T.StructField("save_location", T.StringType()),
        T.StructField("category", T.StringType()),
    ]
)

RAW_GEO = T.StructType(
    [
        T.StructField("ind", T.LongType()),
        T.StructField("timestamp", T.StringType()),
        T.StructField("latitude", T.DoubleType()),
        T.StructField("longitude", T.DoubleType()),
        T.StructField("country", T.StringType()),
    ]
)

RAW_USER = T.StructType(
    [
        T.StructField("ind", T.LongType()),
        T.StructField("first_name", T.StringType()),
        T.StructField("last_name", T.StringType()),
        T.StructField("age", T.LongType()),
        T.StructField("date_joined", T.StringType()),
    ]
)

RAW_SCHEMAS = {"pin": RAW_PIN, "geo": RAW_GEO, "user": RAW_USER}
KEY_FIELDS = {"pin": "index", "geo": "ind", "user": "ind"}

#: One row per record quarantined whole (outcome "row quarantined", with its raw text) and per field nulled
#: in a row that stays (outcome "field nulled": the field, its value as sent, no raw text). ``rule`` is the
#: rule's id (cleaning.FIELD_RULES, or "unreadable" / "missing_key"); ``field`` and ``value`` are null for
#: a record unreadable as a whole.
QUARANTINE = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("ind", T.LongType()),
        T.StructField("rule", T.StringType(), False),
        T.StructField("field", T.StringType()),
        T.StructField("value", T.StringType()),
        T.StructField("outcome", T.StringType(), False),
        T.StructField("reason", T.StringType(), False),
        T.StructField("raw", T.StringType()),
    ]
)


def with_corrupt_column(schema: T.StructType) -> T.StructType:
    return T.StructType(schema.fields + [T.StructField(CORRUPT, T.StringType())])
