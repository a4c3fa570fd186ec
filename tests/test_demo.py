"""The demo exports: deterministic, big enough, bilingual, and telling their story."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from trustdash import demo, schema

FRENCH = re.compile(r"\b(je|vous|pas|merci|c'est|colis|commande|livraison|très|trop|pour|une)\b")
ENGLISH = re.compile(r"\b(the|you|my|is|it|for|and|thanks|order|this|not|i)\b")
COMPLAINT = re.compile("|".join(re.escape(m) for m in demo.COMPLAINT_MARKERS))


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo")
    demo.write_demo_exports(path)
    return path


def _read(path: Path) -> pl.DataFrame:
    # Strings only: the test checks what is written, not what a reader infers.
    return pl.read_csv(path, infer_schema=False)


@pytest.fixture(scope="module")
def comments(out: Path) -> pl.DataFrame:
    frames = []
    for path in sorted(out.glob("demo_*_comments.csv")):
        frames.append(_read(path))
    return pl.concat(frames, how="diagonal").with_columns(
        pl.col("created_at").str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S"),
        pl.col("campaign").fill_null(""),
        pl.col("text")
        .str.to_lowercase()
        .str.replace_all("\u2019", "'")
        .str.contains(COMPLAINT.pattern)
        .alias("complaint"),
    )


@pytest.fixture(scope="module")
def audience(comments: pl.DataFrame) -> pl.DataFrame:
    return comments.filter(pl.col("is_brand") == "false")


def _digests(path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir())}


def test_same_seed_gives_identical_bytes(out: Path, tmp_path: Path) -> None:
    again = demo.write_demo_exports(tmp_path / "again")
    demo.write_demo_exports(tmp_path / "other", seed=7)
    first, second, other = _digests(out), _digests(tmp_path / "again"), _digests(tmp_path / "other")
    assert first == second
    assert len(first) == len(again) >= 10
    # The seed must matter, or "deterministic" would only mean "constant".
    assert first != other


def test_files_use_canonical_headers_and_at_least_five_channels(out: Path) -> None:
    comment_files = sorted(out.glob("demo_*_comments.csv"))
    post_files = sorted(out.glob("demo_*_posts.csv"))
    channels = {p.name.split("_")[1] for p in comment_files}
    assert len(channels) >= 5
    assert {"x", "facebook", "instagram", "youtube", "trustpilot"} <= channels
    for path in comment_files:
        header = _read(path).columns
        assert set(header) <= set(schema.COMMENT_FIELDS), path.name
        assert "lang" not in header  # detected at import, not supplied
        assert {"channel", "comment_id", "author", "is_brand", "created_at", "text"} <= set(header)
    for path in post_files:
        header = _read(path).columns
        assert set(header) <= set(schema.POST_FIELDS), path.name
        assert {"post_id", "created_at", "likes", "comments", "shares"} <= set(header)
    assert len(post_files) >= 5


def test_ids_unique_and_comments_point_at_posts_of_their_channel(out: Path) -> None:
    for path in sorted(out.glob("demo_*_comments.csv")):
        frame = _read(path)
        channel = path.name.split("_")[1]
        assert frame["channel"].unique().to_list() == [channel]
        assert frame["comment_id"].n_unique() == frame.height
        assert set(frame["is_brand"].unique()) == {"true", "false"}
        posts_path = out / f"demo_{channel}_posts.csv"
        if posts_path.exists():
            posts = _read(posts_path)
            assert posts["post_id"].n_unique() == posts.height
            assert frame["post_id"].null_count() == 0
            assert set(frame["post_id"]) <= set(posts["post_id"])
            counted = frame.group_by("post_id").len()
            joined = posts.join(counted, on="post_id", how="left").with_columns(
                pl.col("len").fill_null(0)
            )
            assert (joined["comments"].cast(pl.Int64) == joined["len"]).all()


def test_posts_per_month_within_range(out: Path) -> None:
    for path in sorted(out.glob("demo_*_posts.csv")):
        per_month = _read(path).group_by(pl.col("created_at").str.slice(0, 7).alias("month")).len()
        assert per_month.height == 12, path.name
        assert per_month["len"].min() >= 12, path.name
        assert per_month["len"].max() <= 45, path.name


def test_at_least_30000_comments(comments: pl.DataFrame) -> None:
    assert comments.height >= 30_000
    per_channel = comments.group_by("channel").len()
    # Volumes differ by channel: big social pages, a smaller review site.
    volume = dict(zip(per_channel["channel"], per_channel["len"], strict=True))
    assert volume["facebook"] > 3 * volume["trustpilot"]
    assert volume["instagram"] > 3 * volume["trustpilot"]


def test_campaigns_and_comments_outside_them(comments: pl.DataFrame) -> None:
    names = {c["name"] for c in demo.DEMO_CAMPAIGNS}
    assert len(names) >= 3
    for c in demo.DEMO_CAMPAIGNS:
        assert c["start"] <= c["end"]
    used = set(comments["campaign"].unique()) - {""}
    assert len(used) >= 3
    assert used <= names
    outside = comments.filter(pl.col("campaign") == "").height
    assert outside > comments.height * 0.2


def test_both_languages_present(audience: pl.DataFrame) -> None:
    text = audience["text"].str.to_lowercase().str.replace_all("\u2019", "'")
    french = text.str.contains(FRENCH.pattern)
    english = text.str.contains(ENGLISH.pattern)
    fr_only = (french & ~english).mean()
    en_only = (english & ~french).mean()
    assert fr_only > 0.3
    assert en_only > 0.25
    assert "’" in "".join(audience["text"].to_list())  # curly apostrophes occur


def test_year_window(comments: pl.DataFrame) -> None:
    start, end = comments["created_at"].min(), comments["created_at"].max()
    assert start >= datetime(2025, 11, 1)
    assert start < datetime(2025, 11, 3)
    assert end <= datetime(2026, 10, 31, 23, 59, 59)
    assert end > datetime(2026, 10, 29)
    months = comments["created_at"].dt.strftime("%Y-%m").n_unique()
    assert months == 12


def test_brand_replies_follow_existing_parents(comments: pl.DataFrame) -> None:
    brand = comments.filter(pl.col("is_brand") == "true")
    assert brand.height > 0.15 * comments.height
    assert set(brand["author"]) <= set(demo.DEMO_BRAND_ACCOUNTS)
    parents = comments.select(
        "channel",
        pl.col("comment_id").alias("parent_id"),
        pl.col("created_at").alias("parent_at"),
        pl.col("is_brand").alias("parent_is_brand"),
    )
    joined = brand.join(parents, on=["channel", "parent_id"], how="left")
    assert joined["parent_at"].null_count() == 0
    assert (joined["created_at"] > joined["parent_at"]).all()
    assert (joined["parent_is_brand"] == "false").all()

    # Heavy-tailed delays whose median depends on the channel.
    delay_h = (pl.col("created_at") - pl.col("parent_at")).dt.total_minutes() / 60
    stats = joined.group_by("channel").agg(
        delay_h.median().alias("median"), delay_h.quantile(0.9).alias("p90")
    )
    median = dict(zip(stats["channel"], stats["median"], strict=True))
    p90 = dict(zip(stats["channel"], stats["p90"], strict=True))
    assert median["x"] < 1.5
    assert 2 < median["facebook"] < 10
    assert median["youtube"] > 12
    assert median["trustpilot"] > median["youtube"]
    assert all(p90[c] > 2 * median[c] for c in median)

    # Some audience comments stay unanswered.
    answered = set(brand["parent_id"])
    audience_ids = comments.filter(pl.col("is_brand") == "false")["comment_id"]
    assert 0.2 < audience_ids.is_in(list(answered)).mean() < 0.6


def test_trust_dip_during_summer_sale(audience: pl.DataFrame) -> None:
    assert demo.COMPLAINT_MARKERS
    during = audience.filter(pl.col("campaign") == "Summer Sale 2026")
    others = audience.filter(pl.col("campaign") != "Summer Sale 2026")
    share_during = during["complaint"].mean()
    share_others = others["complaint"].mean()
    assert share_during > 0.25
    assert share_during > 2 * share_others

    # Reviews drop in July and recover afterwards.
    reviews = audience.filter(pl.col("channel") == "trustpilot").with_columns(
        pl.col("rating").cast(pl.Float64), pl.col("created_at").dt.month().alias("month")
    )
    assert reviews["rating"].null_count() == 0
    assert reviews["rating"].is_between(1, 5).all()
    july = reviews.filter(pl.col("month") == 7)["rating"].mean()
    september = reviews.filter(pl.col("month") == 9)["rating"].mean()
    assert july < reviews.filter(pl.col("month") != 7)["rating"].mean() - 0.5
    assert september > july + 0.5


def test_channels_differ_in_complaint_share(audience: pl.DataFrame) -> None:
    share = audience.group_by("channel").agg(pl.col("complaint").mean())
    by_channel = dict(zip(share["channel"], share["complaint"], strict=True))
    assert by_channel["instagram"] < 0.7 * by_channel["x"]


def test_brand_replies_slower_and_rarer_during_incident(comments: pl.DataFrame) -> None:
    parents = comments.filter(
        (pl.col("is_brand") == "false") & pl.col("complaint") & (pl.col("channel") == "facebook")
    )
    replied = set(comments.filter(pl.col("is_brand") == "true")["parent_id"])
    parents = parents.with_columns(
        pl.col("comment_id").is_in(list(replied)).alias("replied"),
        pl.col("created_at").is_between(datetime(2026, 7, 5), datetime(2026, 7, 19)).alias("dip"),
    )
    rate_dip = parents.filter(pl.col("dip"))["replied"].mean()
    rate_calm = parents.filter(~pl.col("dip"))["replied"].mean()
    assert rate_dip < rate_calm - 0.2
