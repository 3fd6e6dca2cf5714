"""Every insight on a small dataset whose answers are worked out by hand below."""
from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import Row
from pyspark.testing import assertDataFrameEqual

from pinterest_jobs import insights as I


@pytest.fixture(scope="module")
def tables(spark):
    # ind, category, poster, followers | country, year | age, joined
    posts = [
        (1, "travel", "ann", 100, "France", 2018, 20, 2015),
        (2, "travel", "bob", 5000, "France", 2018, 22, 2015),
        (3, "art", "cat", 300, "France", 2019, 30, 2016),
        (4, "art", "dan", 200, "Spain", 2019, 40, 2016),
        (5, "quotes", "eve", 900, "Spain", 2020, 60, 2017),
        (6, "art", "fay", 50, "Spain", 2020, 33, 2017),
        (7, "quotes", "gus", 7000, "Chile", 2023, 25, 2021),
        (8, "travel", "hal", None, "Chile", 2017, 19, 2014),
    ]
    pins = spark.createDataFrame(
        [(i, c, p, f) for i, c, p, f, *_ in posts], "ind long, category string, poster_name string, follower_count long"
    )
    geo = spark.createDataFrame(
        [(i, co, dt.datetime(y, 6, 1, 12, 0, 0)) for i, _, _, _, co, y, _, _ in posts], "ind long, country string, timestamp timestamp"
    )
    users = spark.createDataFrame(
        [(i, a, dt.datetime(j, 3, 1, 0, 0, 0)) for i, *_, a, j in posts], "ind long, age int, date_joined timestamp"
    )
    return pins, geo, users


def test_1_most_popular_category_by_country(tables):
    pins, geo, _ = tables
    # France: travel 2, art 1. Spain: art 2, quotes 1. Chile: quotes 1, travel 1 -> tie, 'quotes' < 'travel'.
    assertDataFrameEqual(
        I.most_popular_category_by_country(pins, geo),
        [Row(country="Chile", category="quotes", category_count=1), Row(country="France", category="travel", category_count=2),
         Row(country="Spain", category="art", category_count=2)],
    )


def test_2_most_popular_category_by_year(tables):
    pins, geo, _ = tables
    # 2018: travel 2. 2019: art 2. 2020: art 1 vs quotes 1 -> 'art'. 2017 and 2023 are outside 2018-2022.
    assertDataFrameEqual(
        I.most_popular_category_by_year(pins, geo),
        [Row(post_year=2018, category="travel", category_count=2), Row(post_year=2019, category="art", category_count=2),
         Row(post_year=2020, category="art", category_count=1)],
    )


def test_3_top_poster_by_country_and_the_country_with_the_top_poster(tables):
    pins, geo, _ = tables
    # Chile: gus 7000 (hal has no count). France: bob 5000. Spain: eve 900.
    assertDataFrameEqual(
        I.top_poster_by_country(pins, geo),
        [Row(country="Chile", poster_name="gus", follower_count=7000), Row(country="France", poster_name="bob", follower_count=5000),
         Row(country="Spain", poster_name="eve", follower_count=900)],
    )
    assertDataFrameEqual(I.country_with_top_poster(pins, geo), [Row(country="Chile", follower_count=7000)])


def test_4_most_popular_category_by_age_group(tables):
    pins, _, users = tables
    # 18-24: travel x3 (ages 20, 22, 19). 25-35: art (30, 33), quotes (25) -> art 2. 36-50: art (40). 50+: quotes (60).
    assertDataFrameEqual(
        I.most_popular_category_by_age_group(pins, users),
        [Row(age_group="18-24", category="travel", category_count=3), Row(age_group="25-35", category="art", category_count=2),
         Row(age_group="36-50", category="art", category_count=1), Row(age_group="50+", category="quotes", category_count=1)],
    )


def test_5_median_followers_by_age_group(tables):
    pins, _, users = tables
    # 18-24: 100, 5000 (hal null) -> 2550. 25-35: 300, 50, 7000 -> 300. 36-50: 200. 50+: 900.
    assertDataFrameEqual(
        I.median_followers_by_age_group(pins, users),
        [Row(age_group="18-24", median_follower_count=2550.0), Row(age_group="25-35", median_follower_count=300.0),
         Row(age_group="36-50", median_follower_count=200.0), Row(age_group="50+", median_follower_count=900.0)],
    )


def test_6_users_joined_by_year(tables):
    _, _, users = tables
    # 2015: 2, 2016: 2, 2017: 2; 2014 and 2021 are outside 2015-2020.
    assertDataFrameEqual(
        I.users_joined_by_year(users),
        [Row(post_year=2015, number_users_joined=2), Row(post_year=2016, number_users_joined=2), Row(post_year=2017, number_users_joined=2)],
    )


def test_7_median_followers_by_join_year(tables):
    pins, _, users = tables
    # 2015: 100, 5000 -> 2550. 2016: 300, 200 -> 250. 2017: 900, 50 -> 475.
    assertDataFrameEqual(
        I.median_followers_by_join_year(pins, users),
        [Row(post_year=2015, median_follower_count=2550.0), Row(post_year=2016, median_follower_count=250.0),
         Row(post_year=2017, median_follower_count=475.0)],
    )


def test_8_median_followers_by_join_year_and_age_group(tables):
    pins, _, users = tables
    # 18-24/2015: 100, 5000 -> 2550. 25-35/2016: 300. 25-35/2017: 50. 36-50/2016: 200. 50+/2017: 900.
    assertDataFrameEqual(
        I.median_followers_by_join_year_and_age_group(pins, users),
        [Row(age_group="18-24", post_year=2015, median_follower_count=2550.0), Row(age_group="25-35", post_year=2016, median_follower_count=300.0),
         Row(age_group="25-35", post_year=2017, median_follower_count=50.0), Row(age_group="36-50", post_year=2016, median_follower_count=200.0),
         Row(age_group="50+", post_year=2017, median_follower_count=900.0)],
    )


def test_the_jobs_one_joined_frame_answers_as_the_one_question_functions(spark, tables):
    """The batch job answers every question from pins left-joined with geo and users once. Posts missing a
    side must drop out only of the questions that need it: pin 9 has neither geo nor user, pin 10 has geo
    only, pin 11 user only, geo 12 and user 13 have no pin."""
    from pinterest_jobs.batch import GOLD_TABLES, gold_tables

    pins, geo, users = tables
    pins = pins.union(spark.createDataFrame([(9, "art", "ivy", 9000), (10, "art", "jo", 8000), (11, "quotes", "kim", 9500)], pins.schema))
    geo = geo.union(spark.createDataFrame([(10, "Peru", dt.datetime(2019, 1, 1)), (12, "Peru", dt.datetime(2019, 1, 1))], geo.schema))
    users = users.union(spark.createDataFrame([(11, 70, dt.datetime(2016, 1, 1)), (13, 30, dt.datetime(2016, 1, 1))], users.schema))
    expected = {
        "popular_category_by_country": I.most_popular_category_by_country(pins, geo),
        "popular_category_by_year": I.most_popular_category_by_year(pins, geo),
        "top_poster_by_country": I.top_poster_by_country(pins, geo),
        "country_with_top_poster": I.country_with_top_poster(pins, geo),
        "popular_category_by_age_group": I.most_popular_category_by_age_group(pins, users),
        "median_followers_by_age_group": I.median_followers_by_age_group(pins, users),
        "users_joined_by_year": I.users_joined_by_year(users),
        "median_followers_by_join_year": I.median_followers_by_join_year(pins, users),
        "median_followers_by_join_year_and_age_group": I.median_followers_by_join_year_and_age_group(pins, users),
    }
    gold = gold_tables(pins, geo, users)
    try:
        assert list(gold) == GOLD_TABLES
        for name, frame in gold.items():
            assertDataFrameEqual(frame, expected[name])
        # The extra posts change answers, so the comparison above is not vacuous: Peru's jo (8000, pin 10) is
        # the top poster, as ivy's 9000 and kim's 9500 have no geo; kim (70) moves the 50+ median.
        assert [r.country for r in gold["country_with_top_poster"].collect()] == ["Peru"]
        assert {r.age_group: r.median_follower_count for r in gold["median_followers_by_age_group"].collect()}["50+"] == 5200.0
        # The registry's charts name columns their tables have (the report draws from the registry alone).
        for g in I.GOLD:
            if g.chart is not None:
                wanted = {g.chart.x, g.chart.y} | {c for c in (g.chart.note, g.chart.series) if c}
                assert wanted <= set(gold[g.name].columns), g.name
        assert [g["name"] for g in I.gold_registry()] == GOLD_TABLES
        assert sum(g["chart"] is not None for g in I.gold_registry()) == 8, "the eight insights are charted"
    finally:
        spark.catalog.clearCache()
