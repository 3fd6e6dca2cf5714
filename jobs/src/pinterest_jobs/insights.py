"""The eight questions the batch job answers, one function each, on the cleaned silver tables
(pins, geo, users: one row per post key ``ind``).

Each question over two tables has a ``*_joined`` form taking the tables already joined on ``ind`` (pins with
geo, or pins with users): the batch job joins each pair once and answers every question from it.

Ties are broken deterministically: the larger count or value wins, then the alphabetically first name
(category, country, poster). Medians are exact (``median``, Spark's percentile at 0.5, which interpolates
between the two middle values of an even count).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

AGE_GROUPS = ["18-24", "25-35", "36-50", "50+"]


def age_group(age: Column) -> Column:
    return (
        F.when(age.between(18, 24), "18-24")
        .when(age.between(25, 35), "25-35")
        .when(age.between(36, 50), "36-50")
        .when(age > 50, "50+")
    )


def _top_per(df: DataFrame, group: str, order: list[Column]) -> DataFrame:
    ranked = df.withColumn("_rank", F.row_number().over(Window.partitionBy(group).orderBy(*order)))
    return ranked.where(F.col("_rank") == 1).drop("_rank")


def _top_category(joined: DataFrame, group: str) -> DataFrame:
    counts = joined.where(F.col("category").isNotNull()).groupBy(group, "category").agg(F.count("*").alias("category_count"))
    return _top_per(counts, group, [F.col("category_count").desc(), F.col("category").asc()]).orderBy(group)


def most_popular_category_by_country_joined(pins_geo: DataFrame) -> DataFrame:
    """1. country, category, category_count."""
    return _top_category(pins_geo.where(F.col("country").isNotNull()), "country")


def most_popular_category_by_year_joined(pins_geo: DataFrame, first: int = 2018, last: int = 2022) -> DataFrame:
    """2. post_year, category, category_count, for posts made from `first` to `last`."""
    joined = pins_geo.withColumn("post_year", F.year("timestamp"))
    return _top_category(joined.where(F.col("post_year").between(first, last)), "post_year")


def top_poster_by_country_joined(pins_geo: DataFrame) -> DataFrame:
    """3a. country, poster_name, follower_count: the poster with the most followers in each country."""
    joined = pins_geo.where(F.col("follower_count").isNotNull() & F.col("country").isNotNull())
    per_poster = joined.groupBy("country", "poster_name").agg(F.max("follower_count").alias("follower_count"))
    top = _top_per(per_poster, "country", [F.col("follower_count").desc(), F.col("poster_name").asc()])
    return top.select("country", "poster_name", "follower_count").orderBy("country")


def country_with_top_poster_joined(pins_geo: DataFrame) -> DataFrame:
    """3b. country, follower_count: the country whose top poster has the most followers (one row)."""
    top = top_poster_by_country_joined(pins_geo)
    return top.orderBy(F.col("follower_count").desc(), F.col("country").asc()).limit(1).select("country", "follower_count")


def most_popular_category_by_age_group_joined(pins_users: DataFrame) -> DataFrame:
    """4. age_group, category, category_count."""
    joined = pins_users.withColumn("age_group", age_group(F.col("age"))).where(F.col("age_group").isNotNull())
    return _top_category(joined, "age_group")


def median_followers_by_age_group_joined(pins_users: DataFrame) -> DataFrame:
    """5. age_group, median_follower_count."""
    joined = pins_users.withColumn("age_group", age_group(F.col("age")))
    return (
        joined.where(F.col("age_group").isNotNull() & F.col("follower_count").isNotNull())
        .groupBy("age_group")
        .agg(F.median("follower_count").alias("median_follower_count"))
        .orderBy("age_group")
    )


def users_joined_by_year(users: DataFrame, first: int = 2015, last: int = 2020) -> DataFrame:
    """6. post_year (the joining year), number_users_joined."""
    return (
        users.withColumn("post_year", F.year("date_joined"))
        .where(F.col("post_year").between(first, last))
        .groupBy("post_year")
        .agg(F.count("*").alias("number_users_joined"))
        .orderBy("post_year")
    )


def median_followers_by_join_year_joined(pins_users: DataFrame, first: int = 2015, last: int = 2020) -> DataFrame:
    """7. post_year (the joining year), median_follower_count."""
    joined = pins_users.withColumn("post_year", F.year("date_joined"))
    return (
        joined.where(F.col("post_year").between(first, last) & F.col("follower_count").isNotNull())
        .groupBy("post_year")
        .agg(F.median("follower_count").alias("median_follower_count"))
        .orderBy("post_year")
    )


def median_followers_by_join_year_and_age_group_joined(
    pins_users: DataFrame, first: int = 2015, last: int = 2020
) -> DataFrame:
    """8. age_group, post_year (the joining year), median_follower_count."""
    joined = pins_users.withColumn("post_year", F.year("date_joined")).withColumn("age_group", age_group(F.col("age")))
    return (
        joined.where(
            F.col("post_year").between(first, last) & F.col("follower_count").isNotNull() & F.col("age_group").isNotNull()
        )
        .groupBy("age_group", "post_year")
        .agg(F.median("follower_count").alias("median_follower_count"))
        .orderBy("age_group", "post_year")
    )


# The same questions on the separate silver tables.


def most_popular_category_by_country(pins: DataFrame, geo: DataFrame) -> DataFrame:
    return most_popular_category_by_country_joined(pins.join(geo, "ind"))


def most_popular_category_by_year(pins: DataFrame, geo: DataFrame, first: int = 2018, last: int = 2022) -> DataFrame:
    return most_popular_category_by_year_joined(pins.join(geo, "ind"), first, last)


def top_poster_by_country(pins: DataFrame, geo: DataFrame) -> DataFrame:
    return top_poster_by_country_joined(pins.join(geo, "ind"))


def country_with_top_poster(pins: DataFrame, geo: DataFrame) -> DataFrame:
    return country_with_top_poster_joined(pins.join(geo, "ind"))


def most_popular_category_by_age_group(pins: DataFrame, users: DataFrame) -> DataFrame:
    return most_popular_category_by_age_group_joined(pins.join(users, "ind"))


def median_followers_by_age_group(pins: DataFrame, users: DataFrame) -> DataFrame:
    return median_followers_by_age_group_joined(pins.join(users, "ind"))


def median_followers_by_join_year(pins: DataFrame, users: DataFrame, first: int = 2015, last: int = 2020) -> DataFrame:
    return median_followers_by_join_year_joined(pins.join(users, "ind"), first, last)


def median_followers_by_join_year_and_age_group(
    pins: DataFrame, users: DataFrame, first: int = 2015, last: int = 2020
) -> DataFrame:
    return median_followers_by_join_year_and_age_group_joined(pins.join(users, "ind"), first, last)


@dataclass(frozen=True)
class Chart:
    """How a report draws a gold table: a bar or point per row (``x`` against ``y``), or with ``series`` one
    line per value of that column; ``note`` names a column shown under each bar (which category won);
    ``largest`` keeps only the n rows with the largest ``y``."""

    kind: str
    x: str
    y: str
    label: str
    note: str | None = None
    largest: int | None = None
    series: str | None = None


@dataclass(frozen=True)
class GoldTable:
    """One gold table: its name (``<out>/gold/<name>``), what it answers, how it is computed from the joined
    silver tables (pins left-joined with geo and users) and the users, and how the report draws it."""

    name: str
    title: str
    question: str
    build: Callable[[DataFrame, DataFrame], DataFrame]
    chart: Chart | None


#: The registry of gold tables, in the report's order: the batch job writes these, the local report draws
#: them, the tests check the job against it (test_insights) and the report against it (local.test.ts).
GOLD = (
    GoldTable("popular_category_by_country", "1. Most popular category in each country",
              "Posts of the leading category, per country",
              lambda joined, users: most_popular_category_by_country_joined(joined),
              Chart("bar", x="country", y="category_count", label="posts", note="category", largest=15)),
    GoldTable("popular_category_by_year", "2. Most popular category each year, 2018-2022",
              "Posts of the leading category, per year posted",
              lambda joined, users: most_popular_category_by_year_joined(joined),
              Chart("bar", x="post_year", y="category_count", label="posts", note="category")),
    GoldTable("top_poster_by_country", "3. The user with the most followers in each country",
              "Top poster's followers, per country",
              lambda joined, users: top_poster_by_country_joined(joined),
              Chart("bar", x="country", y="follower_count", label="followers", note="poster_name", largest=15)),
    GoldTable("country_with_top_poster", "3b. The country whose top poster has the most followers",
              "The country and its top poster's followers",
              lambda joined, users: country_with_top_poster_joined(joined), None),
    GoldTable("popular_category_by_age_group", "4. Most popular category per age group",
              "Posts of the leading category, per age group",
              lambda joined, users: most_popular_category_by_age_group_joined(joined),
              Chart("bar", x="age_group", y="category_count", label="posts", note="category")),
    GoldTable("median_followers_by_age_group", "5. Median follower count per age group",
              "Median followers of posters, per age group",
              lambda joined, users: median_followers_by_age_group_joined(joined),
              Chart("bar", x="age_group", y="median_follower_count", label="median followers")),
    GoldTable("users_joined_by_year", "6. Users joined each year, 2015-2020", "Users by the year they joined",
              lambda joined, users: users_joined_by_year(users),
              Chart("bar", x="post_year", y="number_users_joined", label="users")),
    GoldTable("median_followers_by_join_year", "7. Median follower count by joining year, 2015-2020",
              "Median followers, by the year the user joined",
              lambda joined, users: median_followers_by_join_year_joined(joined),
              Chart("line", x="post_year", y="median_follower_count", label="median followers")),
    GoldTable("median_followers_by_join_year_and_age_group",
              "8. Median follower count by joining year and age group, 2015-2020",
              "Median followers, by joining year, one line per age group",
              lambda joined, users: median_followers_by_join_year_and_age_group_joined(joined),
              Chart("line", x="post_year", y="median_follower_count", label="median followers", series="age_group")),
)


def gold_registry() -> list[dict]:
    """The registry as data (name, title, question, chart), for reports written in other languages."""
    return [{"name": g.name, "title": g.title, "question": g.question,
             "chart": None if g.chart is None else {k: v for k, v in asdict(g.chart).items() if v is not None}}
            for g in GOLD]
