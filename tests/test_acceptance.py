"""Acceptance set: exports in the layouts people really download, and
the numbers a careful analyst computes by hand from their rows.

The files are in ``tests/fixtures/acceptance/`` (invented content, real layouts):

* ``trustpilot_business_reviews_acme.csv``: Trustpilot Business reviews export, star
  ratings and the company's inline replies (reply text and reply date);
* ``twcs_acme_mentions.csv``: X mentions in the customer-support layout, no brand reply;
* ``instagram_comments_acme.csv``: Instagram comments from a comment exporter, no reply
  data (imported under a campaign);
* ``Facebook_posts_acme.csv``: Meta Business Suite posts export (posts only, no comment);
* ``Overview_acme_2025.csv``: TikTok Studio overview, dates without a year;
* ``commentaires_youtube_acme.csv``: French comments (``;``), day-first dates all <= 12;
* ``brand24_mentions_acme.csv``: Brand24 mentions (listening tool, forums).

Every expected number is computed here in plain Python from the rows of those files and
the hand labels below, with the formulas of docs/trust.md: no function of
``trustdash.trust`` computes an expected value. Recency weighting is off
(``half_life_days = 0``) so that every comment weighs 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from trustdash import analysis
from trustdash.filters import NO_CAMPAIGN, Filters
from trustdash.ingest import ImportOptions, import_files

ROOT = Path(__file__).resolve().parent.parent
ACC = Path(__file__).resolve().parent / "fixtures" / "acceptance"

TRUSTPILOT = "trustpilot_business_reviews_acme.csv"
X_MENTIONS = "twcs_acme_mentions.csv"
INSTAGRAM = "instagram_comments_acme.csv"
FACEBOOK = "Facebook_posts_acme.csv"
TIKTOK = "Overview_acme_2025.csv"
FRENCH = "commentaires_youtube_acme.csv"
BRAND24 = "brand24_mentions_acme.csv"
ALL_FILES = (TRUSTPILOT, X_MENTIONS, INSTAGRAM, FACEBOOK, TIKTOK, FRENCH, BRAND24)
CAMPAIGN = "back-to-school"  # given to the Instagram comments at import

# Every comment of the set lies in 1–20 September 2025 (three ISO weeks: S6 needs four).
WINDOW = Filters(start=dt.date(2025, 9, 1), end=dt.date(2025, 9, 21))

M = 10.0  # prior strength (default)
WEIGHTS = {"S1": 0.30, "S2": 0.15, "S3": 0.25, "S4": 0.15, "S5": 0.05, "S6": 0.10}
TARGET_HOURS = {"trustpilot": 72.0}  # the only channel with reply data
NEEDS = "needs comments or reviews"

# Hand labels of the audience comments, in file order: P positive, N negative,
# C negative complaint, Q neutral question, 0 neutral.
HAND = {
    X_MENTIONS: "P P C P N Q P N P C P C P Q N P N 0 P 0",
    INSTAGRAM: "P P P N P P N P P C P Q P N P 0 N P",
    FRENCH: "P N P P N P C P N P Q P N P",
    BRAND24: "P N P P N P P N P 0 P C P N P P",
}
# Reviews: the stars give the label (4–5 positive, 3 neutral, 1–2 negative); the words
# say which are complaints and questions.
REVIEW_COMPLAINTS = {"tp18", "tp20"}  # "still waiting for my refund", "arrived damaged"
REVIEW_QUESTIONS = {"tp17"}  # "Do you ship to Belgium?"

CHANNEL_OF = {TRUSTPILOT: "trustpilot", X_MENTIONS: "x", INSTAGRAM: "instagram",
              FRENCH: "youtube", BRAND24: "forums"}  # fmt: skip


# --------------------------------------------------------------------------- the files


def rows_of(name: str) -> list[dict[str, str]]:
    """The data rows of a fixture file, read with the csv module."""
    text = (ACC / name).read_text(encoding="utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
    return list(csv.DictReader(text.splitlines(), delimiter=delimiter))


@dataclass
class Tally:
    """Hand counts of one channel (or campaign): every comment weighs 1."""

    pos: int = 0
    neg: int = 0
    audience: int = 0
    complaints: int = 0
    actionable: int = 0
    answered_in_target: int = 0
    reply_data: bool = False

    def add(self, other: Tally) -> None:
        for name in ("pos", "neg", "audience", "complaints", "actionable", "answered_in_target"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reply_data = self.reply_data or other.reply_data


@dataclass
class Comment:
    channel: str
    key: str  # review id, or the text
    created: dt.datetime
    label: str
    complaint: bool
    question: bool
    answered_in_target: bool


def stars_label(stars: int) -> str:
    return "positive" if stars >= 4 else "neutral" if stars == 3 else "negative"


def reviews() -> list[Comment]:
    out = []
    for r in rows_of(TRUSTPILOT):
        created = dt.datetime.fromisoformat(r["Review Created Date (UTC)"])
        in_target = False
        if r["Company Reply Date (UTC)"]:
            delay = dt.datetime.fromisoformat(r["Company Reply Date (UTC)"]) - created
            # A reply dated before its review is no response time.
            in_target = dt.timedelta(0) <= delay <= dt.timedelta(hours=TARGET_HOURS["trustpilot"])
        rid = r["Review ID"]
        out.append(Comment("trustpilot", rid, created, stars_label(int(r["Review Stars"])),
                           rid in REVIEW_COMPLAINTS, rid in REVIEW_QUESTIONS, in_target))  # fmt: skip
    return out


def _labelled(name: str, text_col: str, when: list[dt.datetime]) -> list[Comment]:
    codes = HAND[name].split()
    rows = rows_of(name)
    assert len(codes) == len(rows), name
    label = {"P": "positive", "N": "negative", "C": "negative", "Q": "neutral", "0": "neutral"}
    return [
        Comment(CHANNEL_OF[name], r[text_col], t, label[c], c == "C", c == "Q", False)
        for r, c, t in zip(rows, codes, when, strict=True)
    ]


def french_dates() -> list[dt.datetime]:
    """``Date de publication`` read day first, as a French reader does."""
    return [dt.datetime.strptime(r["Date de publication"], "%d/%m/%Y %H:%M")
            for r in rows_of(FRENCH)]  # fmt: skip


def comments(files: tuple[str, ...] = ALL_FILES) -> list[Comment]:
    out: list[Comment] = []
    if TRUSTPILOT in files:
        out += reviews()
    if X_MENTIONS in files:
        when = [dt.datetime.strptime(r["created_at"], "%a %b %d %H:%M:%S %z %Y").replace(tzinfo=None)
                for r in rows_of(X_MENTIONS)]  # fmt: skip
        out += _labelled(X_MENTIONS, "text", when)
    if INSTAGRAM in files:
        when = [dt.datetime.fromisoformat(r["Date"]) for r in rows_of(INSTAGRAM)]
        out += _labelled(INSTAGRAM, "Comment", when)
    if FRENCH in files:
        out += _labelled(FRENCH, "Message", french_dates())
    if BRAND24 in files:
        when = [dt.datetime.fromisoformat(f"{r['date']} {r['time']}") for r in rows_of(BRAND24)]
        out += _labelled(BRAND24, "text", when)
    return out


def tally(items: list[Comment]) -> Tally:
    t = Tally()
    for c in items:
        t.audience += 1
        t.pos += c.label == "positive"
        t.neg += c.label == "negative"
        t.complaints += c.complaint
        reply_data = c.channel in TARGET_HOURS
        t.reply_data = t.reply_data or reply_data
        # Only channels with reply data count actionable comments (S3 is measurable there).
        if reply_data and (c.label == "negative" or c.complaint or c.question):
            t.actionable += 1
            t.answered_in_target += c.answered_in_target
    return t


def by_channel(files: tuple[str, ...] = ALL_FILES) -> dict[str, Tally]:
    out: dict[str, Tally] = {}
    for c in comments(files):
        out.setdefault(c.channel, Tally()).add(tally([c]))
    return out


# --------------------------------------------------------------------------- the model by hand


def shrink(k: float, n: float, mu: float) -> float:
    return (k + M * mu) / (n + M)


def pooled(tallies: list[Tally]) -> dict[str, float]:
    """Prior means from the pooled counts, each shrunk toward 0.5."""
    pos = sum(t.pos for t in tallies)
    neg = sum(t.neg for t in tallies)
    aud = sum(t.audience for t in tallies)
    comp = sum(t.complaints for t in tallies)
    act = sum(t.actionable for t in tallies if t.reply_data)
    ans = sum(t.answered_in_target for t in tallies if t.reply_data)
    return {"S1": shrink(pos, pos + neg, 0.5), "S2": shrink(aud - comp, aud, 0.5),
            "S3": shrink(ans, act, 0.5)}  # fmt: skip


def components(t: Tally, mu: dict[str, float]) -> dict[str, float | None]:
    """S1..S6 of a group of comments: no channel with comments has posts (S4, S5), and S6
    needs four weeks."""
    return {
        "S1": shrink(t.pos, t.pos + t.neg, mu["S1"]),
        "S2": shrink(t.audience - t.complaints, t.audience, mu["S2"]),
        "S3": shrink(t.answered_in_target, t.actionable, mu["S3"]) if t.reply_data else None,
        "S4": None,
        "S5": None,
        "S6": None,
    }


def trust_of(comps: dict[str, float | None], coverage: dict[str, float] | None = None) -> float:
    """100 · Σ w·c·S / Σ w·c over the measurable components, c the coverage (1 unless
    given: the share of a total's comments from channels where the component is measured)."""
    used = {k: v for k, v in comps.items() if v is not None}
    w = {k: WEIGHTS[k] * (coverage or {}).get(k, 1.0) for k in used}
    return 100.0 * sum(w[k] * v for k, v in used.items()) / sum(w.values())


def s3_coverage(items: list[Comment]) -> dict[str, float]:
    """Responsiveness' coverage of a total: its comments on channels with reply data."""
    return {"S3": sum(c.channel in TARGET_HOURS for c in items) / len(items)}


# --------------------------------------------------------------------------- importing


def load(store, files: tuple[str, ...] = ALL_FILES) -> dict[str, object]:
    """Import ``files`` (recency weighting off); the Instagram comments get a campaign."""
    store.set_setting("half_life_days", 0)
    results = {}
    for name in files:
        opts = ImportOptions(campaign=CAMPAIGN) if name == INSTAGRAM else ImportOptions()
        (res,) = import_files(store, [(name, ACC / name)], opts)
        assert res.ok, (name, res.errors)
        results[name] = res
    return results


def approx(x: float) -> object:
    return pytest.approx(x, rel=1e-9, abs=1e-9)


def row_of(frame, group: str) -> dict:
    rows = [r for r in frame.iter_rows(named=True) if r["group"] == group]
    assert len(rows) == 1, (group, frame["group"].to_list())
    return rows[0]


# --------------------------------------------------------------------------- tests


def test_hand_tallies_are_what_the_files_hold() -> None:
    """The hand counts themselves (a check on this file, not on the program)."""
    t = by_channel()
    assert (t["trustpilot"].pos, t["trustpilot"].neg, t["trustpilot"].audience) == (15, 7, 24)
    assert (t["trustpilot"].actionable, t["trustpilot"].answered_in_target) == (8, 5)
    assert (t["x"].pos, t["x"].neg, t["x"].complaints, t["x"].actionable) == (9, 7, 3, 0)
    for name in HAND:  # at least 10 polar comments wherever a score should show
        tl = t[CHANNEL_OF[name]]
        assert tl.pos + tl.neg >= 10


def test_counts_per_file_are_file_rows(store) -> None:
    results = load(store)
    for name, res in results.items():
        rows = len(rows_of(name))
        assert res.rows_read == rows, (name, res.rows_read, rows)
        assert res.rows_imported == rows, (name, res.rows_imported, rows)
        assert (res.rejected, res.duplicates) == (0, 0), name
    assert {n: r.channel for n, r in results.items() if n in CHANNEL_OF} == CHANNEL_OF
    assert results[FACEBOOK].channel == "facebook" and results[TIKTOK].channel == "tiktok"


def test_labels_follow_stars_and_words(store) -> None:
    load(store)
    stored = store.table_frame("comments")
    assert stored.height == len(comments())
    assert not stored["is_brand"].any()  # inline review replies are not audience comments
    got = {}
    for r in stored.iter_rows(named=True):
        key = r["comment_id"] if r["channel"] == "trustpilot" else r["text"]
        got[(r["channel"], key)] = (r["label"], bool(r["is_complaint"]), bool(r["is_question"]))
    for c in comments():
        assert got[(c.channel, c.key)] == (c.label, c.complaint, c.question), (c.channel, c.key)


def test_dates_are_stored_as_written(store) -> None:
    load(store)
    stored = store.table_frame("comments")
    french = stored.filter(stored["channel"] == "youtube").sort("created_at")
    # 01/09/2025 … 12/09/2025 are 1–12 September, never January–December.
    assert french["created_at"].to_list() == sorted(french_dates())
    assert {t.month for t in french["created_at"].to_list()} == {9}
    # The TikTok overview says "June 1" … "June 14"; its file name carries the year.
    year = int(re.search(r"(20\d\d)", TIKTOK).group(1))
    expected = {dt.datetime.strptime(f"{r['Date']} {year}", "%B %d %Y").date()
                for r in rows_of(TIKTOK)}  # fmt: skip
    metrics = store.table_frame("daily_metrics")
    assert set(metrics.filter(metrics["channel"] == "tiktok")["date"].to_list()) == expected
    # The Meta Business Suite publish times are month first.
    posts = store.table_frame("posts").sort("created_at")
    assert posts["created_at"].to_list() == sorted(
        dt.datetime.strptime(r["Publish time"], "%m/%d/%Y %H:%M") for r in rows_of(FACEBOOK)
    )


def test_year_option_wins_over_file_name(store) -> None:
    store.set_setting("half_life_days", 0)
    (res,) = import_files(store, [(TIKTOK, ACC / TIKTOK)], ImportOptions(year=2024))
    assert res.ok, res.errors
    dates = store.table_frame("daily_metrics")["date"].to_list()
    assert {d.year for d in dates} == {2024}
    assert {(d.month, d.day) for d in dates} == {(6, day) for day in range(1, 15)}


def test_channel_table_matches_hand_computation(store) -> None:
    load(store)
    table = analysis.trust_table(store, WINDOW, "channel")
    tallies = by_channel()
    mu = pooled(list(tallies.values()))
    for channel, t in tallies.items():
        row = row_of(table, channel)
        want = components(t, mu)
        assert row["n"] == t.audience, channel
        assert (row["prior_S1"], row["prior_S2"]) == (approx(mu["S1"]), approx(mu["S2"]))
        for cid, value in want.items():
            if value is None:
                assert row[cid] is None, (channel, cid, row[cid])  # S3 without reply data
            else:
                assert row[cid] == approx(value), (channel, cid)
        assert row["trust"] == approx(trust_of(want)), channel
        assert analysis.shown_score(row) == approx(trust_of(want)), channel
    assert row_of(table, "trustpilot")["prior_S3"] == approx(mu["S3"])
    # Channels with posts or metrics only stay listed, with what they need and no score.
    for channel in ("facebook", "tiktok"):
        row = row_of(table, channel)
        assert analysis.shown_score(row) is None, channel
        assert NEEDS in row["flags"], (channel, row["flags"])
        assert row["n"] == 0


def test_brand_matches_hand_computation(store) -> None:
    load(store)
    t = Tally()
    for tl in by_channel().values():
        t.add(tl)
    # The Facebook posts have no comment beside them: S4 and S5 measure none of the
    # brand's comments. Responsiveness measures the reviews' 24 of its 92.
    # The brand is shrunk like its channels, toward the brand-wide means.
    want = components(t, pooled([t]))
    cover = s3_coverage(comments())
    assert cover["S3"] == approx(24 / 92)
    head = analysis.brand_headline(store, WINDOW)
    row = head["row"]
    assert row["n"] == t.audience == 92
    for cid, value in want.items():
        assert row[cid] == (None if value is None else approx(value)), cid
    assert row["coverage"]["S3"] == approx(cover["S3"])
    assert head["trust"] == approx(trust_of(want, cover))
    assert head["shown"] == approx(trust_of(want, cover))


def test_a_brand_of_one_channel_scores_as_that_channel(store) -> None:
    """A new user's first import is often one export: the brand, its only channel and the
    campaign holding all of its comments are the same comments, so they show one number
    (each shrunk toward the same brand-wide means)."""
    load(store, (INSTAGRAM,))
    (t,) = by_channel((INSTAGRAM,)).values()
    want = trust_of(components(t, pooled([t])))
    channel = row_of(analysis.trust_table(store, WINDOW, "channel"), "instagram")
    campaign = row_of(analysis.trust_table(store, WINDOW, "campaign"), CAMPAIGN)
    head = analysis.brand_headline(store, WINDOW)
    assert channel["trust"] == approx(want)
    assert campaign["trust"] == approx(want)
    assert head["trust"] == approx(want)
    for cid in ("S1", "S2"):
        assert head["row"][cid] == approx(channel[cid]) and channel[f"prior_{cid}"] == approx(
            head["row"][f"prior_{cid}"])


def test_brand_lies_within_its_channels(store) -> None:
    """The whole mix (reviews with replies, channels without reply data, post-only and
    metrics-only channels): the brand scores among its channels, not below them all."""
    load(store)
    table = analysis.trust_table(store, WINDOW, "channel")
    scores = [s for s in (analysis.shown_score(r) for r in table.iter_rows(named=True))
              if s is not None]  # fmt: skip
    assert len(scores) == 5
    brand = analysis.brand_headline(store, WINDOW)["shown"]
    assert min(scores) <= brand <= max(scores)


def test_channel_without_reply_data_leaves_brand_s3_alone(store) -> None:
    without_x = tuple(f for f in ALL_FILES if f != X_MENTIONS)
    load(store, without_x)
    before = analysis.brand_headline(store, WINDOW)["row"]["S3"]
    load(store, (X_MENTIONS,))
    after = analysis.brand_headline(store, WINDOW)["row"]["S3"]
    reviews_only = tally(reviews())
    mu = shrink(reviews_only.answered_in_target, reviews_only.actionable, 0.5)
    want = shrink(reviews_only.answered_in_target, reviews_only.actionable, mu)
    assert after == approx(before)
    assert before == approx(want)


def test_brand_lies_within_channels_with_the_same_components(store) -> None:
    files = (X_MENTIONS, INSTAGRAM, BRAND24)  # S1 and S2 only, everywhere
    load(store, files)
    tallies = by_channel(files)
    mu = pooled(list(tallies.values()))
    channel_trust = {ch: trust_of(components(t, mu)) for ch, t in tallies.items()}
    total = Tally()
    for t in tallies.values():
        total.add(t)
    brand = trust_of(components(total, pooled([total])))
    assert min(channel_trust.values()) <= brand <= max(channel_trust.values())
    table = analysis.trust_table(store, WINDOW, "channel")
    for ch, value in channel_trust.items():
        assert row_of(table, ch)["trust"] == approx(value), ch
    assert analysis.brand_headline(store, WINDOW)["trust"] == approx(brand)


def test_campaign_numbers(store) -> None:
    load(store)
    items = comments()
    groups = {
        CAMPAIGN: tally([c for c in items if c.channel == "instagram"]),
        NO_CAMPAIGN: tally([c for c in items if c.channel != "instagram"]),
    }
    mu = pooled(list(groups.values()))
    table = analysis.trust_table(store, WINDOW, "campaign")
    members = {CAMPAIGN: [c for c in items if c.channel == "instagram"],
               NO_CAMPAIGN: [c for c in items if c.channel != "instagram"]}  # fmt: skip
    for name, t in groups.items():
        row = row_of(table, name)
        # The Facebook posts carry no campaign label: they are all in "(no campaign)", but
        # no comment of it comes from a channel with posts, so S4 and S5 weigh nothing.
        want = components(t, mu)
        cover = s3_coverage(members[name])
        assert row["n"] == t.audience, name
        for cid, value in want.items():
            assert row[cid] == (None if value is None else approx(value)), (name, cid)
        assert row["trust"] == approx(trust_of(want, cover)), name


def _cli(store, *args: str) -> list[dict]:
    target = store.target
    store.close()  # the embedded store allows one process at a time
    proc = subprocess.run(
        [sys.executable, "-m", "trustdash", "trust", *args, "--json", "--db", target],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env=dict(os.environ),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_cli_prints_null_for_insufficient_groups(store) -> None:
    load(store)
    tallies = by_channel()
    mu = pooled(list(tallies.values()))
    rows = {r["group"]: r for r in _cli(store, "--by", "channel")}
    assert set(rows) == {*tallies, "facebook", "tiktok"}
    for channel in ("facebook", "tiktok"):
        r = rows[channel]
        assert (r["trust"], r["low"], r["high"]) == (None, None, None), r
        assert NEEDS in r["flags"] and r["n"] == 0
    for channel, t in tallies.items():
        r = rows[channel]
        want = components(t, mu)
        assert r["trust"] == pytest.approx(trust_of(want), abs=0.006), channel
        assert r["low"] <= r["trust"] <= r["high"], channel
        assert r["n"] == t.audience
        assert (r["components"]["S3"] is None) == (not t.reply_data), channel


def test_cli_brand_json(store) -> None:
    load(store)
    total = Tally()
    for t in by_channel().values():
        total.add(t)
    (row,) = _cli(store, "--by", "brand")
    want = trust_of(components(total, pooled([total])), s3_coverage(comments()))
    assert row["trust"] == pytest.approx(want, abs=0.006)
    assert row["n"] == total.audience


def test_channel_equal_total_averages_the_channels_with_a_score(store) -> None:
    load(store)
    tallies = by_channel()
    mu = pooled(list(tallies.values()))
    scores = [trust_of(components(t, mu)) for t in tallies.values()]
    equal = analysis.brand_headline(store, WINDOW)["channel_equal"]
    # The posts-only Facebook and the metrics-only TikTok have no score to average.
    assert equal["groups"] == len(scores) == 5
    assert equal["trust"] == approx(sum(scores) / len(scores))


def test_channels_without_comments_show_nothing_made_of_priors(store) -> None:
    load(store)
    rows = {r["group"]: r for r in analysis.trust_json(store, WINDOW, "channel")}
    for channel in ("facebook", "tiktok"):
        r = rows[channel]
        # No comment: sentiment, complaints and replies are not measured there.
        assert {k: r["components"][k] for k in ("S1", "S2", "S3")} == dict.fromkeys(
            ("S1", "S2", "S3")
        ), (channel, r["components"])
        assert r["band"] not in ("Excellent", "Good", "Fragile", "At risk", "Critical"), r
    # The Facebook posts do give advocacy and engagement quality: half each, by hand.
    assert (rows["facebook"]["components"]["S4"], rows["facebook"]["components"]["S5"]) == (
        0.5, 0.5,
    )  # fmt: skip


def review_reply_hours() -> list[float | None]:
    """First-response delay of each actionable review, in hours (None: no valid reply)."""
    out: list[float | None] = []
    for r in rows_of(TRUSTPILOT):
        rid, stars = r["Review ID"], int(r["Review Stars"])
        if not (stars <= 2 or rid in REVIEW_COMPLAINTS or rid in REVIEW_QUESTIONS):
            continue
        hours = None
        if r["Company Reply Date (UTC)"]:
            delay = dt.datetime.fromisoformat(
                r["Company Reply Date (UTC)"]
            ) - dt.datetime.fromisoformat(r["Review Created Date (UTC)"])
            hours = delay.total_seconds() / 3600 if delay >= dt.timedelta(0) else None
        out.append(hours)
    return out


def test_inline_review_replies_count_as_brand_replies(store) -> None:
    results = load(store)
    replies = sum(1 for r in rows_of(TRUSTPILOT) if r["Reply Content"])
    cov = analysis.coverage(store, WINDOW, analysis.trust_settings(store))
    assert cov["comments"] == len(comments())
    assert cov["brand_replies"] == replies == 10
    # The reply dated before its review is said in the import's warnings.
    assert any("before" in w for w in results[TRUSTPILOT].warnings), results[TRUSTPILOT].warnings


def test_responsiveness_by_hand(store) -> None:
    load(store)
    table = {r["channel"]: r for r in analysis.responsiveness(store, WINDOW).iter_rows(named=True)}
    hours = review_reply_hours()
    answered = sorted(h for h in hours if h is not None)
    tp = table["trustpilot"]
    assert (tp["total"], tp["answered"]) == (len(hours), len(answered)) == (8, 6)
    assert tp["reply_rate"] == approx(len(answered) / len(hours))
    assert tp["within_target"] == approx(sum(h <= 72 for h in answered) / len(hours))
    assert tp["median"] == approx((answered[2] + answered[3]) / 2)
    at = 0.9 * (len(answered) - 1)  # linear interpolation between order statistics
    lo = int(at)
    assert tp["p90"] == approx(answered[lo] + (at - lo) * (answered[lo + 1] - answered[lo]))
    bins = {"0–1 h": (0, 1), "1–4 h": (1, 4), "4–8 h": (4, 8), "8–24 h": (8, 24),
            "24 h+": (24, float("inf"))}  # fmt: skip
    for name, (a, b) in bins.items():
        assert tp[f"bins: {name}"] == sum(a <= h < b for h in answered), name
    assert tp["bins: unanswered"] == len(hours) - len(answered)
    # Channels without reply data: no rate of 0 %, no comment listed as unanswered.
    for channel in ("x", "instagram", "youtube", "forums"):
        row = table.get(channel)
        if row is not None:
            assert (row["reply_rate"], row["within_target"]) == (None, None), row
            assert not row["bins: unanswered"], row
