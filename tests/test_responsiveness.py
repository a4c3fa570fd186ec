"""Responsiveness on exports with and without reply data, and inline review replies."""

from __future__ import annotations

import csv
import datetime as dt
import io

from tests.conftest import ROOT, comments_csv, make_rows
from trustdash import analysis
from trustdash.filters import Filters
from trustdash.ingest import import_files
from trustdash.store import Store

WINDOW = Filters(start=dt.date(2026, 6, 1), end=dt.date(2026, 8, 31))


def _reviews_csv(rows: list[tuple[str, str, int, str, str | None]]) -> bytes:
    """A Trustpilot Business export: id, created, stars, content, reply date."""
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["Review ID", "Review Created (UTC)", "Review Stars", "Review Content",
                  "Reply Content", "Company Reply Date (UTC)", "Review Consumer Name"])
    for rid, created, stars, text, replied in rows:
        reply = "Thank you for your review" if replied else ""
        out.writerow([rid, created, stars, text, reply, replied or "", f"user {rid}"])
    return buf.getvalue().encode()


def test_a_channel_without_reply_data_is_not_unanswered(store: Store) -> None:
    import_files(store, [
        ("fb.csv", comments_csv(make_rows(100, channel="facebook", good=0.4, reply_every=2))),
        ("x.csv", comments_csv(make_rows(100, channel="x", good=0.4, prefix="x"))),
    ])  # fmt: skip
    table = analysis.responsiveness(store, WINDOW)
    rows = {r["channel"]: r for r in table.iter_rows(named=True)}
    assert rows["x"]["note"] == analysis.NO_REPLY_DATA
    assert rows["x"]["reply_rate"] is None and rows["x"]["within_target"] is None
    assert rows["x"]["total"] == 60  # its actionable comments, counted but not judged
    assert rows["facebook"]["note"] is None
    assert rows["facebook"]["reply_rate"] == 30 / 60  # every other comment answered
    assert analysis.reply_channels(store, WINDOW) == ("facebook",)
    unanswered = store.comments(WINDOW.with_(channels=analysis.reply_channels(store, WINDOW)),
                                actionable=True, answered="unanswered")  # fmt: skip
    assert set(unanswered["channel"].to_list()) == {"facebook"}
    assert unanswered.height == 30


def test_inline_review_replies_are_brand_replies_and_early_ones_no_response(store: Store) -> None:
    reviews = [
        ("r1", "2026-06-02T10:00:00Z", 1, "Terrible service and no refund", "2026-06-02T12:00:00Z"),
        ("r2", "2026-06-03T10:00:00Z", 2, "Awful delivery, still waiting", "2026-06-05T10:00:00Z"),
        # Dated a month before the review: not a response time.
        ("r3", "2026-06-04T10:00:00Z", 1, "Broken on arrival", "2026-05-04T10:00:00Z"),
        ("r4", "2026-06-05T10:00:00Z", 5, "Excellent, love it", None),
    ]  # fmt: skip
    [res] = import_files(store, [("trustpilot_business.csv", _reviews_csv(reviews))])
    assert res.ok, res.errors
    assert any("1 repl(ies) dated before the comment" in w for w in res.warnings), res.warnings
    table = analysis.responsiveness(store, WINDOW)
    row = table.row(0, named=True)
    assert row["channel"] == "trustpilot" and row["note"] is None
    # Three negative reviews are actionable; two have a reply at or after them.
    assert (row["total"], row["answered"]) == (3, 2)
    assert row["median"] == (2.0 + 48.0) / 2
    assert row["bins: 0–1 h"] == 0  # the early reply is no negative delay in the first bin
    cov = analysis.coverage(store, WINDOW, analysis.trust_settings(store))
    assert cov["brand_replies"] == 3  # every dated inline reply, the early one included
    channel = analysis.trust_table(store, WINDOW, "channel").row(0, named=True)
    assert channel["S3"] is not None


def test_a_posts_only_channel_shows_its_post_metrics_and_what_it_needs(store: Store) -> None:
    path = ROOT / "tests" / "fixtures" / "acceptance" / "Facebook_posts_acme.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        posts = list(csv.DictReader(fh))
    [res] = import_files(store, [(path.name, path.read_bytes())])
    assert res.ok and res.table == "posts", res.errors
    window = Filters(start=dt.date(2025, 9, 1), end=dt.date(2025, 9, 30), granularity="month")
    metrics = analysis.post_metrics(store, window)
    by_name = {m: v for _, _, m, v in metrics.iter_rows()}
    # One month, one channel: the sums of the file's columns, written by hand from them.
    assert by_name["posts"] == len(posts)
    assert by_name["reach"] == sum(float(p["Reach"]) for p in posts)
    engaged = sum(float(p["Reactions"]) + float(p["Comments"]) + float(p["Shares"])
                  for p in posts)  # fmt: skip
    assert by_name["engagements"] == engaged
    assert by_name["advocacy"] == sum(float(p["Shares"]) for p in posts) / engaged
    table = analysis.trust_table(store, window, "channel")
    row = table.row(0, named=True)
    assert (row["group"], row["trust"]) == ("facebook", None)
    assert analysis.NEEDS_COMMENTS in row["flags"]
    assert analysis.insufficient_reason(row) == analysis.NEEDS_COMMENTS
    assert "Graph API" in analysis.comment_export_hint("facebook")
