"""Import correctness on files in the layouts of real exports: footer lines, day/month
order, counts per file row, damaged ids, year-less dates, star ratings, header variants.

Every fixture is written here (or under ``tests/fixtures/exports``) in the layout of a
real export; the expected stored values are computed by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.exceptions import PanicException

import trustdash.formats as formats_pkg
from tests.conftest import ROOT, comments_csv, make_rows
from trustdash import inbox, parsing, rescoring
from trustdash.formats import base
from trustdash.ingest import ImportOptions, import_files
from trustdash.store import Store

HOSTILE = ROOT / "tests" / "hostile" / "files" / "odd"


def cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trustdash", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=timeout,
    )  # fmt: skip


@pytest.fixture
def db(tmp_path: Path):
    s = Store(tmp_path / "r.duckdb")
    yield s
    s.close()


# ---------------------------------------------------------------------------
# no uncaught error escapes an import


def test_footer_lines_after_a_long_field_import_the_rows(db: Store) -> None:
    # 1,000 rows, a "Total" line with a 40 KB field, two "Exported …" lines: the
    # rejection reasons of the two footer lines used to panic inside polars.
    path = HOSTILE / "footer_lines.csv"
    (res,) = import_files(db, [(path.name, path)], ImportOptions(score_sentiment=False))
    assert res.ok, res.errors
    assert (res.rows_imported, res.rejected) == (1000, 2)
    reasons = db.rejected_rows(res.import_id)["reason"].to_list()
    assert reasons == [
        "created_at: 'Exported 2026-07-01 by ListeningTool' is not a date",
        "created_at: 'Exported by someone' is not a date",
    ]


def _panic(*_args: object, **_kwargs: object) -> None:
    raise PanicException("assertion failed: i < self.len()")


def test_a_panic_while_mapping_is_that_files_message(
    db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = base._map_rows

    def flaky(batch, plan):  # noqa: ANN001, ANN202
        if plan.ctx.name == "boom.csv":
            _panic()
        return original(batch, plan)

    monkeypatch.setattr(base, "_map_rows", flaky)
    files = [
        ("boom.csv", comments_csv(make_rows(5, prefix="b"))),
        ("good.csv", comments_csv(make_rows(7))),
    ]
    boom, good = import_files(db, files, ImportOptions(score_sentiment=False))
    assert not boom.ok and "boom.csv" in boom.errors[0] and "PanicException" in boom.errors[0]
    assert boom.import_id is None and boom.rows_imported == 0
    assert good.ok and good.rows_imported == 7
    assert db.table_counts()["comments"] == 7 and db.table_counts()["imports"] == 1


def test_a_panic_while_reading_is_that_files_message(
    db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = formats_pkg.read_csv

    def flaky(blob, name, *args):  # noqa: ANN001, ANN202
        if name == "boom.csv":
            _panic()
        return original(blob, name, *args)

    monkeypatch.setattr(formats_pkg, "read_csv", flaky)
    files = [("boom.csv", comments_csv(make_rows(3))), ("good.csv", comments_csv(make_rows(4)))]
    boom, good = import_files(db, files, ImportOptions(score_sentiment=False))
    assert not boom.ok and boom.errors[0].startswith("boom.csv")
    assert good.ok and good.rows_imported == 4


def test_inbox_answers_a_panicking_job_and_the_watcher_lives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = str(tmp_path / "i.duckdb")
    store = Store(target)
    try:
        monkeypatch.setattr(inbox, "import_files", _panic)
        src = tmp_path / "f.csv"
        src.write_bytes(comments_csv(make_rows(2)))
        box = inbox.inbox_dir(target)
        job = box / "j1.job"
        job.mkdir(parents=True)
        (job / "0000").write_bytes(src.read_bytes())
        (job / "job.json").write_text(
            json.dumps({"files": [{"name": "f.csv", "file": "0000"}], "options": {}})
        )
        assert inbox.process_pending(store, target) == 1
        answer = json.loads((box / "j1.result.json").read_text())
        assert "import failed in the app" in answer[0]["errors"][0]
    finally:
        store.close()


def test_cli_footer_file_json_has_no_traceback(tmp_path: Path) -> None:
    path = HOSTILE / "footer_lines.csv"
    proc = cli("import", str(path), "--db", str(tmp_path / "c.duckdb"), "--json", "--no-sentiment")
    assert proc.returncode == 0, proc.stderr
    assert "panicked" not in proc.stderr and "Traceback" not in proc.stderr
    (entry,) = json.loads(proc.stdout)["files"]
    assert entry["rows_imported"] == 1000 and entry["rejected"] == 2


# ---------------------------------------------------------------------------
# day/month order

FRENCH = (
    "Date de publication;Message;Auteur\n"
    "01/09/2025;Très bon service, merci !;Léa\n"
    "02/09/2025;Livraison en retard, je ne suis pas contente;Marc\n"
    "03/09/2025;Je recommande vivement cette boutique;Zoé\n"
    "05/09/2025;Le colis est arrivé cassé;Paul\n"
    "07/09/2025;Super équipe, merci pour tout;Inès\n"
).encode()
SEPTEMBER = [f"2025-09-0{d} 00:00:00" for d in (1, 2, 3, 5, 7)]
US_ORDER = ["2025-01-09 00:00:00", "2025-02-09 00:00:00", "2025-03-09 00:00:00",
            "2025-05-09 00:00:00", "2025-07-09 00:00:00"]  # fmt: skip
US = (
    b"Date,Author,Comment\n"
    b"01/09/2025,jake,Love the new flavor\n"
    b"02/09/2025,amy,Shipping took forever and the box was crushed\n"
    b"03/09/2025,bob,Great customer service\n"
    b"05/09/2025,kim,Where is my refund?\n"
    b"07/09/2025,lou,Best purchase this year\n"
)


def _dates(store: Store) -> list[str]:
    rows = store.rows("SELECT strftime(created_at, '%Y-%m-%d %H:%M:%S') FROM comments ORDER BY 1")
    return [r[0] for r in rows]


def test_french_ambiguous_dates_are_day_first_and_said_so(db: Store) -> None:
    (res,) = import_files(db, [("commentaires.csv", FRENCH)], ImportOptions(score_sentiment=False))
    assert res.ok, res.errors
    assert _dates(db) == SEPTEMBER
    assert res.date_order == "dmy"
    (note,) = [w for w in res.warnings if "day/month" in w]
    assert "Date de publication" in note and "day-first" in note and "French" in note
    assert "--date-order mdy" in note


def test_us_ambiguous_dates_are_month_first_and_said_so(db: Store) -> None:
    (res,) = import_files(db, [("comments.csv", US)], ImportOptions(score_sentiment=False))
    assert res.ok, res.errors
    assert _dates(db) == US_ORDER
    assert res.date_order == "mdy"
    assert any("month-first" in w and "English" in w for w in res.warnings)


def test_values_decide_before_the_language(db: Store) -> None:
    # French headers, but 09/13/2025 can only be month-first: no guess, no switch
    data = FRENCH.replace(b"07/09/2025", b"09/13/2025")
    (res,) = import_files(db, [("c.csv", data)], ImportOptions(score_sentiment=False))
    assert _dates(db) == [*US_ORDER[:4], "2025-09-13 00:00:00"]
    assert res.date_order is None and not any("day/month" in w for w in res.warnings)


def test_the_users_order_wins(db: Store) -> None:
    opts = ImportOptions(score_sentiment=False, date_order="mdy")
    (res,) = import_files(db, [("commentaires.csv", FRENCH)], opts)
    assert _dates(db) == US_ORDER and res.date_order is None


def test_cli_date_order(tmp_path: Path) -> None:
    f = tmp_path / "commentaires.csv"
    f.write_bytes(FRENCH)
    db_path = tmp_path / "o.duckdb"
    proc = cli("import", str(f), "--db", str(db_path), "--json", "--no-sentiment",
               "--date-order", "mdy")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (entry,) = json.loads(proc.stdout)["files"]
    assert entry["date_order"] is None and entry["rows_imported"] == 5
    store = Store(db_path)
    try:
        assert _dates(store) == US_ORDER
    finally:
        store.close()


def test_saved_mapping_remembers_the_order(db: Store) -> None:
    sig = formats_pkg.header_signature(["Date de publication", "Message", "Auteur"])
    db.save_mapping_profile(sig, "fr comments", {
        "table": "comments", "date_order": "mdy",
        "mapping": {"created_at": "Date de publication", "text": "Message", "author": "Auteur"},
    })  # fmt: skip
    (res,) = import_files(db, [("commentaires.csv", FRENCH)], ImportOptions(score_sentiment=False))
    assert res.format == "profile" and _dates(db) == US_ORDER


@pytest.mark.parametrize(
    ("columns", "texts", "expected"),
    [
        (["Date de publication", "Message", "Auteur"], [], ("dmy", "French")),
        (["Fecha", "Comentario", "Usuario"], [], ("dmy", "Spanish")),
        (["Datum", "Kommentar", "Benutzer"], [], ("dmy", "German")),
        (["Date", "Author", "Comment"], [], ("mdy", "English")),
        (["date", "message"], ["c'est le meilleur et je suis très contente"] * 2, ("dmy", "French")),
        (["date", "message"], ["this is the best and I love it"] * 2, ("mdy", "English")),
        (["a", "b"], ["x y z"], (None, None)),
    ],
)
def test_language_of_a_file(columns: list[str], texts: list[str], expected: tuple) -> None:
    assert parsing.language_order(columns, texts) == expected


# ---------------------------------------------------------------------------
# counts mean rows of the file

X_DAILY_HEADER = [
    "Date", "Tweets published", "impressions", "engagements", "engagement rate", "retweets",
    "replies", "likes", "user profile clicks", "url clicks", "hashtag clicks",
    "detail expands", "permalink clicks", "app opens", "app installs", "follows",
    "email tweet", "dial phone", "media views", "media engagements", "promoted impressions",
]  # fmt: skip


def x_daily(days: int = 31, bump: int | None = None) -> bytes:
    """The legacy X "by day" export: one row per day, 19 metric columns, '-' promoted."""
    lines = [",".join(f'"{h}"' for h in X_DAILY_HEADER)]
    for d in range(1, days + 1):
        impressions = 1000 + d + (500 if d == bump else 0)
        values = [f"2024-07-{d:02d}", "2", str(impressions), "30", "0.03"] + ["1"] * 15 + ["-"]
        lines.append(",".join(f'"{v}"' for v in values))
    return ("\n".join(lines) + "\n").encode()


def test_daily_export_counts_its_days_not_its_values(db: Store) -> None:
    name = "daily_tweet_activity_metrics_acme_20240701_20240801_en.csv"
    opts = ImportOptions(score_sentiment=False)
    (res,) = import_files(db, [(name, x_daily())], opts)
    assert res.ok and res.table == "daily_metrics", res.errors
    assert (res.rows_read, res.rows_imported, res.duplicates, res.rejected) == (31, 31, 0, 0)
    assert db.table_counts()["daily_metrics"] == 31 * 19  # the values are all stored
    (again,) = import_files(db, [(name, x_daily())], opts)
    assert (again.rows_read, again.rows_imported, again.duplicates) == (31, 0, 31)
    assert again.nothing_new and again.summary() == "nothing new: 31 duplicate(s)"
    (changed,) = import_files(db, [(name, x_daily(bump=5))], opts)
    assert (changed.rows_imported, changed.rows_updated, changed.duplicates) == (0, 1, 30)
    history = db.imports().sort("id")
    assert history["rows_read"].to_list() == [31, 31, 31]
    assert history["rows_imported"].to_list() == [31, 0, 0]


def test_seven_line_overview_reads_seven(db: Store) -> None:
    data = (
        '\ufeff"Date","Video Views","Profile Views","Likes","Comments","Shares"\n'
        + "".join(f'"April {d}","{100 + d}","{d}","5","1","0"\n' for d in range(12, 19))
    ).encode()
    (res,) = import_files(db, [("Overview_en.csv", data)], ImportOptions(year=2024))
    assert (res.rows_read, res.rows_imported, res.rejected) == (7, 7, 0)


def test_cli_says_nothing_new(tmp_path: Path) -> None:
    f = tmp_path / "comments.csv"
    f.write_bytes(comments_csv(make_rows(12)))
    db_path = str(tmp_path / "n.duckdb")
    assert cli("import", str(f), "--db", db_path, "--no-sentiment").returncode == 0
    proc = cli("import", str(f), "--db", db_path, "--no-sentiment")
    assert proc.returncode == 0
    assert "comments.csv: nothing new: 12 duplicate(s)" in proc.stdout
    assert "✓" not in proc.stdout


def test_import_page_switches_the_order_and_says_nothing_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from trustdash.store import close_all, open_store

    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("TRUSTDASH_DB", str(path))
    monkeypatch.setenv("TRUSTDASH_NO_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "pages" / "6_Import.py"), default_timeout=120).run()
    at.file_uploader(key="upload").set_value([("commentaires.csv", FRENCH, "text/csv")]).run()
    at.button(key="do_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("1 file(s) imported" in s.value for s in at.success)
    swap = [b for b in at.button if b.key and b.key.startswith("swap_commentaires.csv")]
    assert len(swap) == 1 and "day-first" in swap[0].label
    swap[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    store = open_store(path)  # the page's own store (one connection per process)
    assert _dates(store) == US_ORDER  # the day-first rows were replaced
    assert store.table_counts()["imports"] == 1
    # the wizard saved the mapping of these columns; it now remembers the order
    (profile,) = store.mapping_profiles().values()
    assert profile["date_order"] == "mdy"
    at.button(key="do_import").click().run()
    assert not [s for s in at.success if "imported" in s.value]
    infos = [i.value.replace("\\", "") for i in at.info]
    assert "commentaires.csv: nothing new: 5 duplicate(s)" in infos, infos
    close_all()


# ---------------------------------------------------------------------------
# ids damaged by Excel

X_TWEETS_EXCEL = (
    b'"Tweet id","Tweet permalink","Tweet text","time","impressions","engagements",'
    b'"engagement rate","retweets","replies","likes"\n'
    b'"5.70306E+17","https://twitter.com/acme/status/570306133677760513","Spring is here",'
    b'"2015-02-24 20:10 +0000","1938.0","40.0","0.0206","3.0","2.0","12.0"\n'
    b'"5.70306E+17","https://twitter.com/acme/status/570306133677760000","New shop open",'
    b'"2015-02-24 21:00 +0000","120.0","3.0","0.025","0.0","1.0","1.0"\n'
    b'"5.70412E+17","https://twitter.com/acme/status/570412000000000000","@ann thanks!",'
    b'"2015-02-25 08:00 +0000","50.0","1.0","0.02","0.0","0.0","1.0"\n'
)


def test_excel_damaged_tweet_ids_keep_their_rows(db: Store) -> None:
    name = "tweet_activity_metrics_acme_20150201_20150301_en.csv"
    opts = ImportOptions(score_sentiment=False)
    (res,) = import_files(db, [(name, X_TWEETS_EXCEL)], opts)
    assert res.ok, res.errors
    assert (res.table, res.rows_read, res.rows_imported, res.rejected) == ("posts", 3, 3, 0)
    (note,) = [w for w in res.warnings if "scientific notation" in w]
    assert note.startswith("3 row(s)") and "5.70306E+17" in note
    ids = [r[0] for r in db.rows("SELECT post_id FROM posts ORDER BY created_at")]
    assert len(set(ids)) == 3 and all(i.startswith("h:") for i in ids)
    (again,) = import_files(db, [(name, X_TWEETS_EXCEL)], opts)
    assert again.nothing_new and again.duplicates == 3


def test_excel_damaged_comment_ids_keyed_by_content_undated_rows_rejected(db: Store) -> None:
    data = (
        b"comment_id,post_id,author,created_at,text\n"
        b"1.23457E+17,9.87654E+17,ann,2026-06-01 10:00,Love it\n"
        b"1.23457E+17,9.87654E+17,bob,2026-06-01 11:00,Broken on arrival\n"
        b"123456789012345678,987654321098765432,cid,2026-06-02 09:00,Fine\n"
        b"1.23458E+17,9.87654E+17,dan,,No date here\n"
    )
    opts = ImportOptions(score_sentiment=False)
    (res,) = import_files(db, [("comments.csv", data)], opts)
    assert res.ok, res.errors
    assert (res.rows_read, res.rows_imported, res.rejected) == (4, 3, 1)
    assert any(w.startswith("3 row(s) had an id that Excel") for w in res.warnings)
    rows = db.rows("SELECT author, comment_id, post_id FROM comments ORDER BY author")
    assert rows[0][1:] == (None, None) and rows[1][1:] == (None, None)
    assert rows[2][1:] == ("123456789012345678", "987654321098765432")
    (reason,) = db.rejected_rows(res.import_id)["reason"].to_list()
    assert reason == "created_at: missing, the row cannot be placed in time"
    (again,) = import_files(db, [("comments.csv", data)], opts)
    assert (again.rows_imported, again.duplicates) == (0, 3)


# ---------------------------------------------------------------------------
# year-less dates (TikTok Studio overview)


def tiktok_overview(days: list[str]) -> bytes:
    head = '\ufeff"Date","Video Views","Profile Views","Likes","Comments","Shares"\n'
    return (head + "".join(f'"{d}","{100 + i}","2","5","1","0"\n' for i, d in enumerate(days)))\
        .encode("utf-8")  # fmt: skip


NEW_YEAR = ["December 29", "December 30", "December 31", "January 1", "January 2", "January 3"]


def _days(store: Store) -> list[str]:
    rows = store.rows("SELECT DISTINCT strftime(date, '%Y-%m-%d') FROM daily_metrics ORDER BY 1")
    return [r[0] for r in rows]


def test_year_from_the_file_name_and_new_year_roll_over(db: Store) -> None:
    (res,) = import_files(db, [("Overview_en_2024.csv", tiktok_overview(NEW_YEAR))])
    assert res.ok and res.rows_imported == 6, res.errors
    assert _days(db) == ["2024-12-29", "2024-12-30", "2024-12-31",
                         "2025-01-01", "2025-01-02", "2025-01-03"]  # fmt: skip
    assert any("year taken from file name: 2024" in w for w in res.warnings)


def test_year_from_a_date_range_in_the_file_name(db: Store) -> None:
    name = "tiktok_overview_20230601_20230607.csv"
    import_files(db, [(name, tiktok_overview([f"June {d}" for d in range(1, 8)]))])
    assert _days(db) == [f"2023-06-0{d}" for d in range(1, 8)]


def test_the_users_year_wins(db: Store) -> None:
    opts = ImportOptions(year=2022)
    import_files(db, [("Overview_en_2024.csv", tiktok_overview(NEW_YEAR[:3]))], opts)
    assert _days(db) == ["2022-12-29", "2022-12-30", "2022-12-31"]


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        # the latest year that puts no date after 2 December 2026
        (["April 12", "April 13"], ["2026-04-12", "2026-04-13"]),
        (["December 30", "December 31"], ["2025-12-30", "2025-12-31"]),
        (NEW_YEAR[:4], ["2025-12-29", "2025-12-30", "2025-12-31", "2026-01-01"]),
        # newest first: crossing New Year backwards goes to the previous year
        (["January 2", "January 1", "December 31", "December 30"],
         ["2026-01-02", "2026-01-01", "2025-12-31", "2025-12-30"]),
        # a row out of order is no new year
        (["March 30", "March 31", "February 28", "April 1"],
         ["2026-03-30", "2026-03-31", "2026-02-28", "2026-04-01"]),
        (["8 de marzo", "9 de marzo"], ["2026-03-08", "2026-03-09"]),
    ],
)  # fmt: skip
def test_year_less_placement(days: list[str], expected: list[str]) -> None:
    out, _ = parsing.place_yearless(pl.Series(days), None, today=dt.date(2026, 12, 2))
    assert [d.strftime("%Y-%m-%d") for d in out.to_list()] == expected


def test_without_a_year_the_import_says_which_year(db: Store) -> None:
    today = dt.date.today()
    (res,) = import_files(db, [("Overview_en_BossZY27.csv", tiktok_overview(["April 12"]))])
    year = today.year - ((4, 12) > (today.month, today.day))
    assert _days(db) == [f"{year}-04-12"]
    assert any(f"placed in {year}" in w for w in res.warnings), res.warnings


def test_import_page_year_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from trustdash.store import close_all, open_store

    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("TRUSTDASH_DB", str(path))
    monkeypatch.setenv("TRUSTDASH_NO_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "pages" / "6_Import.py"), default_timeout=120).run()
    data = tiktok_overview(NEW_YEAR[2:4])
    at.file_uploader(key="upload").set_value([("Overview_en.csv", data, "text/csv")]).run()
    at.number_input(key="yr_0").set_value(2021).run()
    at.button(key="do_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _days(open_store(path)) == ["2021-12-31", "2022-01-01"]
    close_all()


# ---------------------------------------------------------------------------
# star ratings decide review sentiment

TRUSTPILOT_HEADER = (
    "Review ID,Review Created Date (UTC),Review Consumer User ID,Review Title,Review Content,"
    "Review Stars,Source Of Review,Review Language,Domain URL,Webshop Name,Business Unit ID,"
    "Tags,Company Reply Date (UTC),Reply Content\n"
)
# texts that read the other way round from their stars
TRUSTPILOT_ROWS = (
    "r1,2025-10-01 09:00:00,u1,Not bad at all,Honestly I expected worse. No complaints,5,"
    "Invitation,en,acme.com,Acme,bu1,,,\n"
    "r2,2025-10-02 10:00:00,u2,Great,Great... if you like waiting three weeks,1,Organic,en,"
    "acme.com,Acme,bu1,,2025-10-03 08:00:00,Sorry about the delay\n"
    "r3,2025-10-03 11:00:00,u3,Ok,It arrived,3,Organic,en,acme.com,Acme,bu1,,,\n"
    "r4,2025-10-04 12:00:00,u4,Awful,Terrible terrible terrible,4,Organic,en,acme.com,Acme,"
    "bu1,,,\n"
)


def _labels(store: Store) -> dict[str, tuple[str, float, str, float]]:
    rows = store.rows(
        "SELECT comment_id, label, polarity, model_label, model_polarity FROM comments "
        "WHERE comment_id LIKE 'r%' ORDER BY 1"
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def test_star_ratings_decide_review_sentiment_and_the_switch_relabels(db: Store) -> None:
    data = (TRUSTPILOT_HEADER + TRUSTPILOT_ROWS).encode()
    (res,) = import_files(db, [("reviews_acme.csv", data)])
    assert res.ok and res.format == "trustpilot_business_export", res.errors
    got = _labels(db)
    assert {k: v[0] for k, v in got.items()} == {
        "r1": "positive", "r2": "negative", "r3": "neutral", "r4": "positive",
    }  # fmt: skip
    assert {k: v[1] for k, v in got.items()} == {"r1": 1.0, "r2": -1.0, "r3": 0.0, "r4": 0.5}
    assert all(v[0] == v[2] for v in got.values())  # the automatic label is the rating's
    rollup = "SELECT day, neg, pos FROM daily_rollup WHERE neg + pos > 0 ORDER BY 1"
    before = db.rows(rollup)
    # off: the text decides (r4's text is plainly negative)
    assert rescoring.set_rating_rule(db, False) == 4
    off = _labels(db)
    assert off["r4"][0] == "negative" and off["r4"][1] < 0
    after = db.rows(rollup)
    # the rollups follow the labels: r4's day (4 October) goes from positive to negative
    assert [r[1:] for r in before if str(r[0]) == "2025-10-04"] == [(0.0, 1.0)]
    assert [r[1:] for r in after if str(r[0]) == "2025-10-04"] == [(1.0, 0.0)]
    # a person's label wins over both
    row_key = db.rows("SELECT row_key FROM comments WHERE comment_id = 'r3'")[0][0]
    db.set_label("trustpilot", row_key, "negative", "me")
    rescoring.set_rating_rule(db, True)
    assert {k: v[0] for k, v in _labels(db).items()} == {
        "r1": "positive", "r2": "negative", "r3": "negative", "r4": "positive",
    }  # fmt: skip
    # rescoring keeps the rule
    rescoring.rescore(db)
    assert _labels(db)["r4"][:2] == ("positive", 0.5)


def test_without_the_rule_the_text_decides_at_import(db: Store) -> None:
    rescoring.set_rating_rule(db, False)
    import_files(db, [("reviews_acme.csv", (TRUSTPILOT_HEADER + TRUSTPILOT_ROWS).encode())])
    assert _labels(db)["r4"][0] == "negative"


def test_settings_checkbox_turns_the_rating_rule_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from trustdash.store import close_all, open_store

    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("TRUSTDASH_DB", str(path))
    monkeypatch.setenv("TRUSTDASH_NO_DEMO", "1")
    store = open_store(path)
    import_files(store, [("reviews_acme.csv", (TRUSTPILOT_HEADER + TRUSTPILOT_ROWS).encode())])
    at = AppTest.from_file(str(ROOT / "pages" / "8_Settings.py"), default_timeout=120).run()
    assert at.checkbox(key="set_rating_rule").value is True
    at.checkbox(key="set_rating_rule").uncheck().run()
    assert not at.exception, [e.value for e in at.exception]
    assert store.get_setting("rating_decides_sentiment") is False
    assert _labels(store)["r4"][0] == "negative"
    close_all()


# ---------------------------------------------------------------------------
# header variants of known layouts


@pytest.mark.parametrize(
    "created", ["Review Created Date (UTC)", "Review Created (UTC)", "Review Date", "Created At"]
)
def test_trustpilot_business_export_date_column_variants(db: Store, created: str) -> None:
    header = TRUSTPILOT_HEADER.replace("Review Created Date (UTC)", created)
    (res,) = import_files(db, [("reviews.csv", (header + TRUSTPILOT_ROWS).encode())])
    assert res.ok and res.format == "trustpilot_business_export", res.errors
    assert res.channel == "trustpilot" and res.rows_imported == 4
    rows = db.rows(
        "SELECT comment_id, strftime(created_at, '%Y-%m-%d %H:%M'), rating FROM comments "
        "WHERE comment_id LIKE 'r%' ORDER BY 1"
    )
    assert rows == [("r1", "2025-10-01 09:00", 5.0), ("r2", "2025-10-02 10:00", 1.0),
                    ("r3", "2025-10-03 11:00", 3.0), ("r4", "2025-10-04 12:00", 4.0)]  # fmt: skip


UNKNOWN_DATE = TRUSTPILOT_HEADER.replace("Review Created Date (UTC)", "Date of experience (local)")


def test_partly_matching_trustpilot_export_gets_its_mapping_proposed(db: Store) -> None:
    data = (UNKNOWN_DATE + TRUSTPILOT_ROWS).encode()
    (res,) = import_files(db, [("reviews.csv", data)])
    assert not res.ok
    assert "looks like a Trustpilot Business reviews export" in res.errors[0]
    assert "--map created_at=COLUMN" in res.errors[0]
    columns = UNKNOWN_DATE.strip().split(",")
    proposal = formats_pkg.propose(columns, "reviews.csv")
    assert proposal is not None and proposal.fmt.id == "trustpilot_business_export"
    assert proposal.table == "comments" and proposal.missing == ["created_at"]
    assert {k: proposal.mapping.get(k) for k in ("comment_id", "rating", "text", "lang")} == {
        "comment_id": "Review ID", "rating": "Review Stars", "text": "Review Content",
        "lang": "Review Language",
    }  # fmt: skip
    assert formats_pkg.propose(["a", "b", "c"], "x.csv") is None


def test_import_page_prefills_the_proposed_mapping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from trustdash.store import close_all, open_store

    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("TRUSTDASH_DB", str(path))
    monkeypatch.setenv("TRUSTDASH_NO_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "pages" / "6_Import.py"), default_timeout=120).run()
    data = (UNKNOWN_DATE + TRUSTPILOT_ROWS).encode()
    at.file_uploader(key="upload").set_value([("reviews.csv", data, "text/csv")]).run()
    assert at.selectbox(key="map_0_rating").value == "Review Stars"
    assert at.selectbox(key="map_0_comment_id").value == "Review ID"
    assert at.selectbox(key="map_0_created_at").value == "— not in this file —"
    at.selectbox(key="map_0_created_at").set_value("Date of experience (local)").run()
    at.button(key="do_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    store = open_store(path)
    assert store.channels() == ["trustpilot"]
    assert _labels(store)["r2"][0] == "negative"  # the stars decide here too
    close_all()


def test_import_history_keeps_the_notes_found_while_reading(db: Store) -> None:
    (res,) = import_files(db, [("commentaires.csv", FRENCH)], ImportOptions(score_sentiment=False))
    stored = json.loads(db.imports().filter(pl.col("id") == res.import_id)["warnings"][0])
    assert any("day-first" in w and "French" in w for w in stored)


def test_a_decisive_date_column_decides_the_ambiguous_one() -> None:
    data = (
        b"Review ID,Review Created Date (UTC),Review Stars,Review Content,"
        b"Company Reply Date (UTC),Reply Content\n"
        b"a1,02/03/2025 10:00,5,Good,25/03/2025 09:00,Thanks\n"
        b"a2,04/03/2025 10:00,1,Bad,05/03/2025 09:00,Sorry\n"
    )
    src = formats_pkg.open_sources(data, "reviews.csv")[0]
    frame = pl.concat([f for f, _ in src.frames()])
    # replied_at shows day-first (25/03); created_at follows it rather than the language
    assert frame["created_at"].dt.strftime("%Y-%m-%d").to_list() == ["2025-03-02", "2025-03-04"]
    assert src.guessed_date_order is None


# ---------------------------------------------------------------------------
# the real exports, when present (never committed)

SAMPLES = ROOT.parent / "shared" / "samples" / "exports"


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="real exports not available")
def test_real_exports_count_their_rows(db: Store) -> None:
    overview = SAMPLES / "tiktok" / "Overview_en_BossZY27.csv"
    daily = SAMPLES / "x" / "daily_tweet_activity_NPLF_2020Q2_resaved_multisheet.xls"
    if not (overview.is_file() and daily.is_file()):
        pytest.skip("sample files missing")
    opts = ImportOptions(score_sentiment=False, year=2024)
    (tiktok,) = import_files(db, [(overview.name, overview)], opts)
    assert (tiktok.rows_read, tiktok.rows_imported) == (7, 7)
    assert _days(db)[:1] == ["2024-04-12"]
    months = import_files(db, [(daily.name, daily)], opts)
    assert [(r.rows_read, r.rows_imported) for r in months] == [(30, 30), (31, 31), (30, 30)]
