"""Layout recognition and canonical mapping, on invented fixtures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from trustdash.formats import (
    BadFile,
    MapOptions,
    detect,
    header_signature,
    open_sources,
    preview,
    sniff_columns,
    suggest_mapping,
)

FX = Path(__file__).resolve().parent / "fixtures" / "exports"


def load(rel: str, options: MapOptions | None = None, index: int = 0):
    src = open_sources(FX / rel, options=options)[index]
    frames, rejected = [], []
    for f, r in src.frames():
        frames.append(f)
        rejected += r
    return src, pl.concat(frames) if frames else None, rejected


LAYOUTS = [
    ("x/tweet_activity_metrics_acme_20240601_20240701_en.csv", "x_tweet_activity", "x", "posts"),
    ("x/tweet_activity_metrics_acme_20150601_20150701_en.csv", "x_tweet_activity", "x", "posts"),
    ("x/tweet_activity_metrics_acme_20240601_20240701_fr.csv", "x_tweet_activity", "x", "posts"),
    ("x/daily_tweet_activity_metrics_acme_20240601_20240701_en.csv", "x_daily_activity", "x",
     "daily_metrics"),
    ("x/account_analytics_content_2024-06-01_2024-06-30.csv", "x_content", "x", "posts"),
    ("x/tweets.js", "x_archive_tweets", "x", "posts"),
    ("x/twcs_sample.csv", "x_twcs", "x", "comments"),
    ("facebook/Facebook Insights Posts Q3.xls", "fb_legacy_insights_posts", "facebook", "posts"),
    ("facebook/meta_bs_fb_posts_2024-06.csv", "meta_bs_posts", "facebook", "posts"),
    ("instagram/meta_bs_ig_posts_2024-06.csv", "meta_bs_posts_instagram", "instagram", "posts"),
    ("facebook/Follows (1).csv", "meta_daily_metric", "facebook", "daily_metrics"),
    ("facebook/comments.json", "fb_dyi_comments", "facebook", "comments"),
    ("facepager/facepager_acme.csv", "facepager_posts", "facebook", "posts"),
    ("linkedin/acme_linkedin_page_export.xlsx", "linkedin_update_engagement", "linkedin", "posts"),
    ("youtube/Table data.csv", "youtube_studio_table", "youtube", "posts"),
    ("youtube/Chart data.csv", "youtube_studio_chart", "youtube", "daily_metrics"),
    ("youtube/Totals.csv", "youtube_studio_totals", "youtube", "daily_metrics"),
    ("youtube/commentThreads.json", "youtube_api_comments", "youtube", "comments"),
    ("youtube/comments_flat.csv", "youtube_api_comments", "youtube", "comments"),
    ("youtube/spam_comments.csv", "youtube_comments_csv", "youtube", "comments"),
    ("tiktok/Overview.csv", "tiktok_overview", "tiktok", "daily_metrics"),
    ("tiktok/Content_es.csv", "tiktok_content", "tiktok", "posts"),
    ("reviews/trustpilot_reviews.json", "trustpilot_reviews_json", "trustpilot", "comments"),
    ("reviews/trustpilot_reviews.csv", "trustpilot_reviews_table", "trustpilot", "comments"),
    ("reviews/google_reviews.json", "google_business_reviews", "google", "comments"),
    ("listening/sprout_posts.csv", "sprout_posts", None, "posts"),
    ("listening/brandwatch_mentions.csv", "brandwatch_mentions", "listening", "comments"),
    ("listening/meltwater.csv", "meltwater_mentions", "listening", "comments"),
]  # fmt: skip


@pytest.mark.parametrize(("rel", "fmt", "channel", "table"), LAYOUTS)
def test_layout_detected_and_rows_imported(rel: str, fmt: str, channel: str, table: str) -> None:
    src, df, rejected = load(rel)
    assert (src.format_id, src.channel, src.table) == (fmt, channel, table)
    assert df is not None and df.height > 0
    assert 0 < src.confidence <= 1


def test_x_tweet_activity_fields() -> None:
    src, df, _ = load("x/tweet_activity_metrics_acme_20240601_20240701_en.csv")
    row = df.row(0, named=True)
    assert row["post_id"] == "1806543210987654321"
    assert row["created_at"] == dt.datetime(2024, 6, 28, 9, 15)
    assert row["impressions"] == 1938 and row["likes"] == 12
    assert row["text"] == "Nouveau produit & promo\nà découvrir"
    assert row["author"] == "acme"
    # +0200 converted to naive UTC
    assert df.row(1, named=True)["created_at"] == dt.datetime(2024, 6, 29, 16, 50)


def test_x_legacy_favorites_and_french_headers() -> None:
    _, old, _ = load("x/tweet_activity_metrics_acme_20150601_20150701_en.csv")
    assert old["likes"].to_list() == [12, 1]
    _, fr, _ = load("x/tweet_activity_metrics_acme_20240601_20240701_fr.csv")
    assert fr.row(0, named=True)["likes"] == 7 and fr["text"][0] == "Bonjour à tous"


def test_x_daily_one_row_per_date_and_metric() -> None:
    _, df, _ = load("x/daily_tweet_activity_metrics_acme_20240601_20240701_en.csv")
    got = df.filter((pl.col("metric") == "impressions") & (pl.col("date") == dt.date(2024, 6, 1)))
    assert got["value"].to_list() == [1200.0]
    assert "promoted_impressions" not in df["metric"].to_list()  # "-" only: no values


def test_x_content_time_from_snowflake() -> None:
    _, df, _ = load("x/account_analytics_content_2024-06-01_2024-06-30.csv")
    created = df["created_at"][0]
    assert created.date() == dt.date(2024, 6, 28) and created.time() != dt.time(0, 0)
    assert df["impressions"][0] == 1204


def test_twcs_inbound_inverted_and_parent() -> None:
    _, df, _ = load("x/twcs_sample.csv")
    brand = df.filter(pl.col("comment_id") == "101").row(0, named=True)
    assert brand["is_brand"] is True and brand["parent_id"] == "102"
    assert df.filter(pl.col("comment_id") == "102")["is_brand"][0] is False


def test_meta_posts_publish_time_not_lifetime() -> None:
    src, df, _ = load("facebook/meta_bs_fb_posts_2024-06.csv")
    row = df.row(0, named=True)
    assert src.mapping["created_at"] == "Publish time" and src.snapshot
    assert row["created_at"] == dt.datetime(2024, 9, 28, 18, 12)
    assert row["text"].startswith("Notre nouvelle carte") and row["likes"] == 10
    assert row["campaign"] == "Rentrée"


def test_meta_daily_metric_from_title() -> None:
    _, df, _ = load("facebook/Follows (1).csv")
    assert df["metric"].unique().to_list() == ["follows"]
    assert df["value"].to_list() == [12.0, 47.0, 9.0]
    assert df["date"][0] == dt.date(2026, 3, 1)


def test_fb_legacy_joins_talking_about_sheet() -> None:
    srcs = open_sources(FX / "facebook/Facebook Insights Posts Q3.xls")
    assert len(srcs) == 1
    df = next(srcs[0].frames())[0]
    row = df.row(0, named=True)
    assert row["post_id"] == "123_456" and row["likes"] == 25 and row["shares"] == 2
    assert row["comments"] == 4 and row["reach"] == 500
    assert row["created_at"] == dt.datetime(2020, 9, 22, 7, 7, 36)
    # duplicate names told apart by the description row
    assert "Lifetime Organic views to 95% | Total Count" in srcs[0].columns


def test_dyi_mojibake_fixed() -> None:
    _, df, _ = load("facebook/comments.json")
    assert df["text"][0] == "Très bien"


def test_facepager_comments_resolve_parent_rows() -> None:
    srcs = open_sources(FX / "facepager/facepager_acme.csv")
    assert [s.format_id for s in srcs] == ["facepager_posts", "facepager_comments"]
    comments = pl.concat([f for f, _ in srcs[1].frames()])
    assert comments["post_id"].to_list() == ["777_1001", "777_1001"]
    assert comments["parent_id"].to_list() == ["777_1001", "777_1001"]
    assert comments["is_brand"].to_list() == [False, True]
    posts = pl.concat([f for f, _ in srcs[0].frames()])
    assert posts["post_id"].to_list() == ["777_1001"] and posts["shares"][0] == 4


def test_linkedin_sheets() -> None:
    srcs = open_sources(FX / "linkedin/acme_linkedin_page_export.xlsx")
    ids = {s.format_id: s for s in srcs}
    assert set(ids) == {"linkedin_update_engagement", "linkedin_aggregated"}
    posts = next(ids["linkedin_update_engagement"].frames())[0]
    row = posts.row(0, named=True)
    assert row["post_id"] == "urn:li:activity:7012345678901234567"
    assert row["created_at"] == dt.datetime(2023, 3, 15)  # Excel serial 45000
    daily = next(ids["linkedin_aggregated"].frames())[0]
    assert daily.filter(pl.col("metric") == "impressions_total")["value"].to_list() == [10, 17]


def test_youtube_studio_table() -> None:
    _, df, _ = load("youtube/Table data.csv")
    assert df["post_id"].to_list() == ["abcDEF12345", "-xyzXYZ9876"]  # Total skipped, space gone
    assert df["text"].to_list()[0] == "March 27, 2021"  # a title that looks like a date
    assert df["created_at"][0] == dt.datetime(2025, 3, 15)
    assert df["url"][0] == "https://youtu.be/abcDEF12345"


def test_youtube_chart_summed_per_day() -> None:
    _, df, _ = load("youtube/Chart data.csv")
    assert df.sort("date")["value"].to_list() == [15.0, 7.0]
    assert set(df["metric"]) == {"views"}


def test_youtube_api_threads_with_replies() -> None:
    _, df, _ = load("youtube/commentThreads.json")
    reply = df.filter(pl.col("parent_id").is_not_null()).row(0, named=True)
    assert reply["is_brand"] is True and reply["parent_id"] == "UgxTHREAD1"
    assert reply["created_at"] == dt.datetime(2023, 8, 25, 20, 0, 0, 123456)
    top = df.filter(pl.col("parent_id").is_null()).row(0, named=True)
    assert top["is_brand"] is False and top["post_id"] == "abcDEF12345" and top["likes"] == 3


def test_uci_comments_entities_and_missing_date_rejected() -> None:
    _, df, rejected = load("youtube/spam_comments.csv")
    assert df["text"][0] == "Check my channel & subscribe"
    assert [(r.row, r.reason) for r in rejected] == [
        (2, "created_at: missing, the row cannot be placed in time")
    ]


def test_tiktok_yearless_rollover_and_file_name_year() -> None:
    opts = MapOptions(year=2023)
    _, df, _ = load("tiktok/Overview.csv", opts)
    dates = sorted(set(df["date"].to_list()))
    assert dates == [dt.date(2023, 12, 30), dt.date(2023, 12, 31), dt.date(2024, 1, 1)]
    src, es, _ = load("tiktok/Overview_es_2024.csv")
    assert es["date"].min() == dt.date(2024, 3, 8)
    assert any("year taken from file name: 2024" in w for w in src.warnings)


def test_tiktok_content_numbers() -> None:
    _, df, _ = load("tiktok/Content_es.csv")
    row = df.row(0, named=True)
    assert row["post_id"] == "7301234567890123456"
    assert (row["likes"], row["comments"], row["views"]) == (1200, 18400, 1_500_000)


def test_reviews_rating_and_reply() -> None:
    _, tp, _ = load("reviews/trustpilot_reviews.json")
    first = tp.filter(pl.col("comment_id") == "tp1").row(0, named=True)
    assert first["rating"] == 1.0 and first["reply_text"] == "Désolés Paul"
    assert first["replied_at"] == dt.datetime(2025, 10, 7, 8, 0)
    assert "Livraison en retard" in first["text"]
    _, g, _ = load("reviews/google_reviews.json")
    assert g["rating"].to_list() == [4.0, 1.0]
    assert g["reply_text"][0] == "Merci Anne" and g["text"][1] == ""  # rating-only review kept


def test_sprout_channel_per_row_and_numbers() -> None:
    _, df, _ = load("listening/sprout_posts.csv")
    assert df["channel"].to_list() == ["instagram", "x"]
    assert df["impressions"][0] == 1234
    assert df["created_at"][1] == dt.datetime(2024, 3, 16, 14, 30)


def test_brandwatch_preamble_skipped() -> None:
    src, df, _ = load("listening/brandwatch_mentions.csv")
    assert src.columns[0] == "Query Id" and df["text"][0] == "acme support is slow"


def test_generic_french_semicolon() -> None:
    src, df, _ = load("generic/comments_fr.csv")
    assert src.format_id == "generic" and src.table == "comments"
    assert src.mapping["text"] == "texte" and src.mapping["created_at"] == "horodatage"
    assert df["created_at"].to_list() == [dt.datetime(2024, 3, 17, 14, 30),
                                          dt.datetime(2024, 3, 18, 9, 0)]  # fmt: skip
    assert df["likes"].to_list() == [3, 1234]
    assert df["campaign"][0] == "printemps"


@pytest.mark.parametrize("rel", ["generic/comments.parquet", "generic/comments.xlsx",
                                 "generic/comments.json", "generic/comments.csv.gz"])  # fmt: skip
def test_generic_other_containers(rel: str) -> None:
    src, df, rejected = load(rel)
    assert src.table == "comments" and not rejected and df.height >= 1
    assert df["text"].null_count() == 0 and df["created_at"].null_count() == 0


def test_campaign_and_channel_options_fill() -> None:
    opts = MapOptions(channel="instagram", campaign="soldes")
    _, df, _ = load("generic/comments.xlsx", opts)
    assert df["channel"][0] == "instagram" and df["campaign"][0] == "soldes"


def test_user_mapping_overrides() -> None:
    data = b"who,what,when\nann,hello,2024-05-01\n"
    opts = MapOptions(mapping={"author": "what", "text": "who", "created_at": "when"})
    src = open_sources(data, "x.csv", opts)[0]
    df = next(src.frames())[0]
    assert df["text"][0] == "ann" and df["author"][0] == "hello"
    with pytest.raises(BadFile, match="no such column"):
        open_sources(data, "x.csv", MapOptions(mapping={"text": "nope"}))


def test_mapping_profile_by_header_signature() -> None:
    data = b"A,B\nhello,2024-05-01\n"
    sig = header_signature([" b ", "a"])
    assert sig == header_signature(["A", "B"])
    opts = MapOptions(profiles={sig: {"table": "comments", "mapping": {"text": "A",
                                                                       "created_at": "B"},
                                      "channel": "tiktok"}})  # fmt: skip
    src = open_sources(data, "y.csv", opts)[0]
    assert src.format_id == "profile" and src.channel == "tiktok"
    assert next(src.frames())[0]["created_at"][0] == dt.datetime(2024, 5, 1)


def test_suggest_mapping_synonyms() -> None:
    table, m = suggest_mapping(["Commentaire", "Date de publication", "Auteur", "J'aime",
                                "Réseau", "in_reply_to"])  # fmt: skip
    assert table == "comments"
    assert m == {"text": "Commentaire", "created_at": "Date de publication", "author": "Auteur",
                 "likes": "J'aime", "channel": "Réseau", "parent_id": "in_reply_to"}  # fmt: skip
    table, m = suggest_mapping(["post_id", "published", "caption", "impressions", "reach"])
    assert table == "posts" and m["post_id"] == "post_id" and m["text"] == "caption"


def test_detect_subset_case_insensitive() -> None:
    fmt, conf = detect(["  POST ID", "page id", "Publish Time", "Reactions, comments and shares"])
    assert fmt is not None and fmt.id == "meta_bs_posts" and 0 < conf < 1
    assert detect(["foo", "bar"]) == (None, 0.0)


def test_missing_required_column_of_known_layout() -> None:
    data = b"Content,Video title,Views\nabc,Hello,3\n"
    with pytest.raises(BadFile, match="looks like a YouTube Studio .* `Video publish time`"):
        open_sources(data, "studio.csv")


def test_no_usable_column_message_lists_columns() -> None:
    with pytest.raises(BadFile, match=r"no column looks like a text or a date.*alpha, beta"):
        open_sources(b"alpha,beta\n1,2\n", "data.csv")


def test_preview_for_wizard() -> None:
    p = preview(FX / "generic/comments_fr.csv", rows=1)
    assert p.format_id is None and p.table == "comments"
    assert p.samples["texte"] == ["Super, merci"]
    assert p.header_signature == header_signature(p.columns)
    assert preview(FX / "youtube/Totals.csv").format_id == "youtube_studio_totals"


def test_zip_members_each_a_source() -> None:
    srcs = open_sources(FX / "youtube/studio_export.zip")
    assert [s.name for s in srcs] == [
        "studio_export.zip/Table data.csv",
        "studio_export.zip/Chart data.csv",
        "studio_export.zip/Totals.csv",
    ]
    assert [s.table for s in srcs] == ["posts", "daily_metrics", "daily_metrics"]


def test_sci_notation_id_dropped_row_kept() -> None:
    data = b"id,text,date\n1.22158E+17,hi,2024-01-01\n42,ok,2024-01-01\n"
    src = open_sources(data, "c.csv")[0]
    ((df, rejected),) = list(src.frames())
    assert df["comment_id"].to_list() == [None, "42"] and df["text"].to_list() == ["hi", "ok"]
    assert rejected == []
    (note,) = [w for w in src.warnings if "scientific notation" in w]
    assert note.startswith("1 row(s)") and "'1.22158E+17'" in note


def test_max_rows_limit() -> None:
    data = b"text,date\n" + b"a,2024-01-01\n" * 20
    src = open_sources(data, "c.csv", MapOptions(max_rows=5))[0]
    with pytest.raises(BadFile, match="limit of 5 rows"):
        list(src.frames(batch_rows=4))


# --- issue #3: layouts added, wizard support, Facepager keys -------------------------------


def test_youtube_takeout_comment_text_segments() -> None:
    src, df, rejected = load("youtube/takeout_comments.csv")
    assert src.format_id == "youtube_takeout_comments" and src.channel == "youtube"
    assert not rejected
    assert df["text"].to_list() == [
        "Super vidéo, merci !",
        "Thanks for watching",
        "plain text cell",
    ]
    assert df["parent_id"].to_list() == [None, "UgzP9", None]
    assert df["post_id"].to_list() == ["vid001", "vid002", "vid002"]
    assert df["created_at"][0] == dt.datetime(2023, 9, 19, 17, 42, 53, 434647)
    assert df["is_brand"].to_list() == [True, True, True]


def test_brand24_date_and_time_columns() -> None:
    src, df, rejected = load("listening/brand24_mentions.csv")
    assert src.format_id == "brand24_mentions" and not rejected
    assert df["created_at"].to_list() == [
        dt.datetime(2024, 6, 3, 14, 5, 9),
        dt.datetime(2024, 6, 4, 9, 30),
    ]
    assert df["channel"].to_list() == ["x", "forums"]
    assert df["text"][1] == "Le service client acme est lent"


def test_instagram_dyi_comments_mojibake_and_localised_keys() -> None:
    src, df, _ = load("instagram/post_comments_1.json")
    assert src.format_id == "ig_dyi_comments" and src.channel == "instagram"
    assert df["text"].to_list() == ["Trop bien été 😍", "Merci"]
    assert df["created_at"][1] == dt.datetime(2023, 7, 22, 5, 26, 40)
    assert df["is_brand"].all()


def test_meta_audience_stacked_tables() -> None:
    srcs = open_sources(FX / "facebook/Audience.csv")
    assert [s.table for s in srcs] == ["daily_metrics"]
    (src,) = srcs
    assert "Follows" in src.name
    assert any("stacked tables" in w for w in src.warnings)
    assert any("skipped" in w for w in src.warnings)
    df = pl.concat([f for f, _ in src.frames()])
    assert df["value"].to_list() == [20.0, 25.0] and df["metric"][0] == "follows"


def test_exportcomments_xlsx_metadata_footer_and_links() -> None:
    src, df, rejected = load("generic/exportcomments_acme_post1001.xlsx")
    assert not rejected and df.height == 2
    assert df["text"].to_list() == ["Bravo pour la boutique", "Toujours pas livré..."]
    assert df["author"].to_list() == ["Jeanne", "Paul"]
    assert df["url"][0].endswith("comment_id=9001")
    # A generic layout names no network (its URLs are data): the importer gives the channel.
    assert src.channel is None


def test_gbp_insights_per_location_metrics() -> None:
    src, df, rejected = load("reviews/gbp_insights_2024-06-01_2024-06-30.csv")
    assert src.format_id == "google_business_insights" and src.table == "daily_metrics"
    assert not rejected
    assert set(df["date"].to_list()) == {dt.date(2024, 6, 30)}
    calls = dict(zip(df["metric"].to_list(), df["value"].to_list(), strict=True))
    assert calls["calls@PAR01"] == 12 and calls["calls@LYO01"] == 5
    assert "messages@LYO01" not in calls  # empty cell: no value
    assert not any(m.startswith("address") for m in calls)


def test_gbp_insights_without_period_in_name() -> None:
    data = (FX / "reviews/gbp_insights_2024-06-01_2024-06-30.csv").read_bytes()
    (src,) = open_sources(data, "insights.csv")
    with pytest.raises(BadFile, match="no date"):
        list(src.frames())


def test_facepager_comments_without_own_ids_get_stable_keys() -> None:
    srcs = open_sources(FX / "facepager/facepager_no_comment_ids.csv")
    comments = pl.concat([f for f, _ in srcs[1].frames()])
    assert comments["comment_id"].to_list() == ["777_1001_fp3", "777_1001_fp4", "777_1001_fp5"]
    assert comments["post_id"].to_list() == ["777_1001"] * 3
    # the reply points at its parent's synthetic key
    assert comments["parent_id"].to_list() == ["777_1001", "777_1001", "777_1001_fp3"]


def test_facepager_reimport_deduplicates(store) -> None:
    from trustdash.ingest import ImportOptions, import_files

    path = FX / "facepager/facepager_no_comment_ids.csv"
    opts = ImportOptions(score_sentiment=False)
    first = import_files(store, [(path.name, path)], opts)
    second = import_files(store, [(path.name, path)], opts)
    c1 = next(r for r in first if r.table == "comments")
    c2 = next(r for r in second if r.table == "comments")
    assert c1.rows_imported == 3 and c2.rows_imported == 0 and c2.duplicates == 3


def test_unknown_layout_wizard_then_profile(store) -> None:
    """Map once, never again: the wizard's mapping imports the file and, saved as a
    profile, is applied by itself to the next file with the same header."""
    from trustdash.ingest import ImportOptions, import_files

    path = FX / "generic/kommentare_de.csv"
    data = path.read_bytes()
    with pytest.raises(BadFile, match="no column looks like a text or a date"):
        preview(data, path.name)
    columns = sniff_columns(data, path.name)
    assert columns == ["Kommentar", "Zeitpunkt", "Nutzer"]
    mapping = {"text": "Kommentar", "created_at": "Zeitpunkt", "author": "Nutzer"}
    pv = preview(data, path.name, MapOptions(mapping=mapping, table="comments"))
    # the user's mapping is not a recognised layout: the wizard shows no layout name
    assert pv.format_id is None and pv.format_label is None
    assert pv.mapping == mapping and pv.table == "comments"
    opts = ImportOptions(mapping=mapping, table="comments", channel="forum",
                         score_sentiment=False)  # fmt: skip
    (res,) = import_files(store, [(path.name, data)], opts)
    assert res.ok and res.rows_imported == 2
    profile = {"table": "comments", "mapping": mapping, "channel": "forum"}
    store.save_mapping_profile(header_signature(columns), path.name, profile)
    # next month's file: same columns in another order, no mapping given
    nxt = b"Nutzer;Kommentar;Zeitpunkt\ncarl;Gut;2024-06-01 09:00\n"
    pv2 = preview(nxt, "kommentare_juni.csv", MapOptions(profiles=store.mapping_profiles()))
    assert pv2.mapping == mapping and pv2.channel == "forum"
    (res2,) = import_files(
        store, [("kommentare_juni.csv", nxt)], ImportOptions(score_sentiment=False)
    )
    assert res2.ok and res2.format == "profile" and res2.rows_imported == 1
    assert res2.channel == "forum"
