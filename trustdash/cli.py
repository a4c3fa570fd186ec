"""``python -m trustdash``: the command line. Same functions as the pages.

The contract of ``demo``, ``import``, ``score``, ``trust`` and ``export`` is
stable (benchmarks and outside checks use it). Bad input ends with a clear
message and exit code 1, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("trustdash")


class CliError(Exception):
    """A user-facing error: printed as is, exit code 1."""


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (use YYYY-MM-DD)") from exc


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        help="store: a DuckDB file (default: $TRUSTDASH_DB or data/trustdash.duckdb) "
        "or ducklake:postgres:<connection string>",
    )


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channel", action="append", default=[], help="repeatable")
    p.add_argument("--campaign", action="append", default=[], help="repeatable")
    p.add_argument("--since", type=_date, help="first day (YYYY-MM-DD)")
    p.add_argument("--until", type=_date, help="last day (YYYY-MM-DD)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trustdash", description="trustdash: brand trust from social exports"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="build the demo workspace into the store")
    _add_db(p)

    p = sub.add_parser("import", help="import export files (CSV, Parquet, XLSX, JSON, .gz, .zip)")
    p.add_argument("files", nargs="+", metavar="FILE")
    _add_db(p)
    p.add_argument("--channel", help="channel of these files (overrides detection)")
    p.add_argument("--campaign", help="campaign for rows without one")
    p.add_argument(
        "--map", action="append", default=[], metavar="FIELD=COLUMN",
        help="map a canonical field to a column (repeatable)",
    )  # fmt: skip
    p.add_argument("--table", choices=["comments", "posts", "daily_metrics"])
    p.add_argument("--year", type=int, help="year for exports whose dates have none")
    p.add_argument(
        "--date-order", choices=["dmy", "mdy", "ymd"],
        help="order of numeric dates such as 01/09/2025 (default: decided per file from the "
        "values, else from the file's language)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-sentiment", action="store_true", help="skip sentiment scoring")

    p = sub.add_parser("score", help="score the sentiment of a text column")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--text-column", required=True)
    p.add_argument("--out", required=True, help="OUT.csv or OUT.parquet")

    p = sub.add_parser("trust", help="Trust Score per group")
    _add_db(p)
    p.add_argument("--by", required=True, choices=["channel", "campaign", "day", "week", "month", "brand"])
    _add_filters(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("export", help="export a table")
    _add_db(p)
    p.add_argument("--table", required=True, choices=["comments", "posts", "daily_metrics", "imports"])
    p.add_argument("--out", required=True, help="FILE.csv, FILE.xlsx or FILE.parquet")

    p = sub.add_parser("report", help="write the offline HTML brief")
    _add_db(p)
    _add_filters(p)
    p.add_argument("--out", required=True)
    p.add_argument("--lang", choices=["en", "fr"])
    p.add_argument("--gran", choices=["day", "week", "month"], default="week")

    p = sub.add_parser("bench", help="benchmarks (print figures and ratios)")
    bsub = p.add_subparsers(dest="bench", required=True)
    b = bsub.add_parser("import")
    b.add_argument("--rows", type=int, default=1_000_000)
    b = bsub.add_parser("sentiment")
    b.add_argument("--texts", type=int, default=100_000)
    b = bsub.add_parser("dashboard")
    b.add_argument("--comments", type=int, default=10_000_000)
    b = bsub.add_parser("scale")
    b.add_argument("--comments", type=int, default=1_000_000)
    b = bsub.add_parser("sessions", help="concurrent sessions opening the Overview")
    b.add_argument("--sessions", type=_counts, default=(1, 10, 25, 50),
                   help="crowd sizes, comma-separated (default 1,10,25,50)")
    b.add_argument("--db", help="a store to serve (default: a fresh demo store)")
    b.add_argument("--page", choices=["overview", "brief"], default="overview",
                   help="the page the crowd opens (the emailed brief links to the brief)")

    p = sub.add_parser("backup", help="back the store up into a folder (Parquet)")
    _add_db(p)
    p.add_argument("--out", required=True)
    p = sub.add_parser("restore", help="restore a backup folder into the store")
    _add_db(p)
    p.add_argument("--from", dest="src", required=True)
    p = sub.add_parser("migrate", help="copy a store into another (e.g. embedded → DuckLake)")
    p.add_argument("--from", dest="src", required=True)
    p.add_argument("--to", dest="dst", required=True)

    p = sub.add_parser("subscribe", help="send the brief or the alerts to an email or a webhook")
    p.add_argument("--to", required=True, metavar="ADDRESS_OR_URL",
                   help="an email address, or a Slack, Teams or JSON webhook URL "
                   "(slack:/teams:/webhook: before the URL forces its format)")
    p.add_argument("--kind", required=True, choices=["brief", "alerts"])
    p.add_argument("--every", choices=["daily", "weekly", "monthly"], default="weekly",
                   help="how often the brief is sent (default weekly)")
    p.add_argument("--weekday", type=_weekday, default=0,
                   help="weekly briefs: the day they are sent (mon…sun or 0–6; default mon)")
    p.add_argument("--lang", choices=["en", "fr"], default="en")
    p.add_argument("--channel", action="append", default=[], help="repeatable")
    p.add_argument("--campaign", action="append", default=[], help="repeatable")
    p.add_argument("--min-severity", choices=["medium", "high"], default="medium",
                   help="alerts: the least severe sent (default medium: all)")
    p.add_argument("--cooldown-hours", type=float, default=24.0,
                   help="alerts: hours after an alert on a channel before the next one")
    _add_db(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("subscriptions", help="list the subscriptions")
    _add_db(p)
    p.add_argument("--json", action="store_true")
    for name, text in (("unsubscribe", "delete a subscription"), ("pause", "pause a subscription"),
                       ("resume", "resume a paused subscription")):
        p = sub.add_parser(name, help=text)
        p.add_argument("id", type=int)
        _add_db(p)

    p = sub.add_parser("deliver", help="send the briefs and alerts that are due")
    _add_db(p)
    p.add_argument("--now", action="store_true",
                   help="every brief subscription is due, no back-off wait (nothing is re-sent)")
    p.add_argument("--watch", action="store_true", help="stay up and check every minute")
    p.add_argument("--interval", type=float, default=60.0, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true")
    return parser


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday(value: str) -> int:
    v = value.strip().lower()[:3]
    if v in _WEEKDAYS:
        return _WEEKDAYS.index(v)
    if v.isdigit() and 0 <= int(v) <= 6:
        return int(v)
    raise argparse.ArgumentTypeError(f"{value!r}: use mon…sun or 0 (Monday) to 6")


def _counts(value: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        counts = ()
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: use positive whole numbers, e.g. 1,10,25,50")
    return counts


def _filters(args: argparse.Namespace):
    from trustdash.filters import Filters

    return Filters(
        start=args.since,
        end=args.until,
        channels=tuple(args.channel or ()),
        campaigns=tuple(args.campaign or ()),
        granularity=getattr(args, "gran", "week") or "week",
    )


def _store(args: argparse.Namespace):
    from trustdash.store import open_store

    return open_store(getattr(args, "db", None))


def cmd_demo(args: argparse.Namespace) -> int:
    from trustdash.workspace import load_demo

    store = _store(args)
    results = load_demo(store, _stderr_progress)
    imported = sum(r.rows_imported for r in results)
    failed = [r for r in results if not r.ok]
    for r in failed:
        print("\n".join(r.errors), file=sys.stderr)
    counts = store.table_counts()
    print(
        f"Demo workspace ready in {store.target}: {counts['comments']:,} comments, "
        f"{counts['posts']:,} posts, {len(store.channels())} channels, "
        f"{len(store.campaigns())} campaigns ({imported:,} rows imported now)."
    )
    return 1 if failed else 0


def _parse_map(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise CliError(f"--map {item!r}: use FIELD=COLUMN, e.g. --map text=Message")
        field, column = item.split("=", 1)
        out[field.strip()] = column.strip()
    return out


def cmd_import(args: argparse.Namespace) -> int:
    from trustdash import config, inbox
    from trustdash.ingest import ImportOptions, import_files
    from trustdash.store import StoreBusy

    mapping = _parse_map(args.map)
    files = []
    missing = []
    for f in args.files:
        path = Path(f)
        if not path.is_file():
            missing.append(f)
        else:
            files.append((path.name, path))
    opts = ImportOptions(
        channel=args.channel,
        campaign=args.campaign,
        mapping=mapping,
        table=args.table,
        year=args.year,
        date_order=args.date_order,
        user="cli",
        score_sentiment=not args.no_sentiment,
    )
    target = config.db_target(args.db)
    payload: list[dict] = [
        {"path": name, "format": None, "channel": None, "table": None, "rows_read": 0,
         "rows_imported": 0, "duplicates": 0, "rejected": 0,
         "errors": [f"{name}: no such file."]}
        for name in missing
    ]  # fmt: skip
    if files:
        # The running app owns an embedded store: hand the import to its process.
        if inbox.watcher_alive(target):
            if not args.json:
                print("The app is running on this store: the import is handed to it.",
                      file=sys.stderr)  # fmt: skip
            payload.extend(inbox.submit(target, files, opts))
        else:
            try:
                store = _store(args)
            except StoreBusy:
                if not inbox.watcher_alive(target):
                    raise
                payload.extend(inbox.submit(target, files, opts))
            else:
                results = import_files(
                    store, files, opts, None if args.json else _stderr_progress
                )
                payload.extend(r.as_dict() for r in results)
    ok = all(not p.get("errors") for p in payload)
    if args.json:
        print(json.dumps({"files": payload}, ensure_ascii=False, default=str))
    else:
        for p in payload:
            if p.get("errors"):
                print(f"✗ {p['path']}: " + " ".join(p["errors"]), file=sys.stderr)
            elif not p.get("rows_imported") and not p.get("rows_updated"):
                extra = f", {p['rejected']:,} rejected" if p.get("rejected") else ""
                print(
                    f"= {p['path']}: nothing new: {p.get('duplicates', 0):,} duplicate(s){extra} "
                    f"(read {p.get('rows_read', 0):,})"
                )
                for w in p.get("warnings") or []:
                    print(f"  ! {w}")
            else:
                conf = p.get("confidence")
                print(
                    f"✓ {p['path']}: {p.get('format_label') or p['format']}"
                    f"{f' ({conf:.0%})' if conf is not None else ''} → {p['table']} "
                    f"[{p['channel']}] read {p['rows_read']:,}, imported {p['rows_imported']:,}, "
                    f"updated {p.get('rows_updated', 0):,}, duplicates {p['duplicates']:,}, "
                    f"rejected {p['rejected']:,}"
                )
                for w in p.get("warnings") or []:
                    print(f"  ! {w}")
    return 0 if ok else 1


def cmd_score(args: argparse.Namespace) -> int:
    import polars as pl

    from trustdash import sentiment
    from trustdash.exporting import write_table

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{args.file}: no such file.")
    frame = _read_plain_table(path)
    if args.text_column not in frame.columns:
        raise CliError(
            f"{path.name}: no column {args.text_column!r}; columns are: "
            + ", ".join(frame.columns[:30])
        )
    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise CliError(f"{out.name}: use a .csv or .parquet output file.")
    scores = sentiment.score(frame.get_column(args.text_column).cast(pl.String))
    result = pl.concat(
        [frame, scores.select("polarity", "label", "lang")], how="horizontal"
    )
    if out.suffix.lower() == ".csv":
        # A plain data file for programs: formula neutralisation would alter the text.
        out.parent.mkdir(parents=True, exist_ok=True)
        result.write_csv(out)
    else:
        write_table(result, out)
    print(f"Scored {result.height:,} rows → {out}")
    return 0


def _read_plain_table(path: Path):
    """A whole table for ``score``: CSV/TSV (optionally .gz), Parquet, XLSX or JSON."""
    import polars as pl

    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            return pl.read_parquet(path)
        if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
            return pl.read_csv(path, infer_schema=False, separator="\t" if ".tsv" in name else ",")
        if name.endswith(".xlsx"):
            return pl.read_excel(path, infer_schema_length=0)
        if name.endswith(".json"):
            return pl.read_json(path)
    except Exception as exc:
        raise CliError(f"{path.name}: could not be read as a table ({exc}).") from exc
    raise CliError(f"{path.name}: unsupported file type; use CSV, Parquet, XLSX or JSON.")


def _app_target(args: argparse.Namespace) -> str | None:
    """The store's target when a running app holds it (requests go to the app), else None."""
    from trustdash import config
    from trustdash.delivery import handoff

    target = config.db_target(getattr(args, "db", None))
    return target if handoff.watcher_alive(target) else None


def cmd_trust(args: argparse.Namespace) -> int:
    from trustdash.analysis import trust_json
    from trustdash.delivery import handoff

    target = _app_target(args)
    if target:
        rows = handoff.submit(target, "trust", {**handoff.filters_params(_filters(args)),
                                                "by": args.by})  # fmt: skip
    else:
        rows = trust_json(_store(args), _filters(args), args.by)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, default=str))
    else:
        if not rows:
            print("No data for these filters.")
        for r in rows:
            trust = "—" if r["trust"] is None else f"{r['trust']:.1f}"
            span = "" if r["low"] is None else f" [{r['low']:.1f}–{r['high']:.1f}]"
            flags = f"  ({'; '.join(r['flags'])})" if r["flags"] else ""
            print(f"{r['group']:<24} {trust:>6}{span}  n={r['n']:,}  {r['band']}{flags}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from trustdash.delivery import handoff
    from trustdash.exporting import write_table

    target = _app_target(args)
    if target:
        done = handoff.submit(target, "export", {"table": args.table,
                                                 "out": str(Path(args.out).resolve())})  # fmt: skip
        print(f"Exported {done['rows']:,} rows of {args.table} → {done['path']}")
        return 0
    store = _store(args)
    frame = store.table_frame(args.table)
    try:
        path = write_table(frame, args.out)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    print(f"Exported {frame.height:,} rows of {args.table} → {path}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from trustdash import report
    from trustdash.delivery import handoff
    from trustdash.filters import default_window

    target = _app_target(args)
    if target:
        path = handoff.submit(target, "report", {**handoff.filters_params(_filters(args)),
                                                 "out": str(Path(args.out).resolve()),
                                                 "lang": args.lang})  # fmt: skip
        print(f"Brief written to {path}")
        return 0
    store = _store(args)
    f = _filters(args)
    if f.start is None and f.end is None:
        # Same window as the Brief page opens on, so both show the same numbers.
        start, end = default_window(*store.date_bounds())
        f = f.with_(start=start, end=end)
    path = report.write_report(store, f, args.out, lang=args.lang)
    print(f"Brief written to {path}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import importlib

    # "import" is a Python keyword, so that benchmark lives in trustdash.bench.importing.
    name = {"import": "importing"}.get(args.bench, args.bench)
    try:
        module = importlib.import_module(f"trustdash.bench.{name}")
    except ModuleNotFoundError as exc:
        raise CliError(f"benchmark {args.bench!r} is not available: {exc}") from exc
    kwargs = {k: v for k, v in vars(args).items() if k in ("rows", "texts", "comments")}
    if args.bench == "sentiment":
        kwargs = {"n": kwargs.get("texts", 100_000)}
    if args.bench == "sessions":
        if args.db and not Path(args.db).is_file():
            raise CliError(f"{args.db}: no such store file")
        kwargs = {"sessions": args.sessions, "db": args.db, "page": args.page}
    module.run(**kwargs)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from trustdash import backup

    path = backup.backup(_store(args), args.out)
    print(f"Backup written to {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from trustdash import backup

    counts = backup.restore(_store(args), args.src)
    print("Restored: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from trustdash.migrate import migrate

    counts = migrate(args.src, args.dst)
    print("Migrated: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return 0


def _delivery_request(args: argparse.Namespace, op: str, request: dict) -> object:
    """Perform a delivery request (a run, a subscription change) in the app's process when
    it holds the embedded store, else here on a store opened for this one request (and
    closed after it, so that the app can start)."""
    from trustdash import config
    from trustdash.delivery import handoff
    from trustdash.store import Store, StoreBusy

    target = config.db_target(getattr(args, "db", None))
    if handoff.watcher_alive(target):
        return handoff.submit(target, op, request)
    try:
        store = Store(target)
    except StoreBusy:
        if not handoff.watcher_alive(target):
            raise
        return handoff.submit(target, op, request)
    try:
        return handoff.perform(store, op, request)
    finally:
        store.close()


def cmd_subscribe(args: argparse.Namespace) -> int:
    from trustdash import delivery
    from trustdash.delivery.model import parse_list

    try:
        delivery.validate(args.to, args.kind, args.every, args.lang, args.weekday,
                          args.min_severity)  # fmt: skip
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.cooldown_hours < 0:
        raise CliError("--cooldown-hours cannot be negative.")
    request = {
        "recipient": args.to.strip(), "kind": args.kind, "every": args.every,
        "weekday": args.weekday, "lang": args.lang, "channels": parse_list(args.channel),
        "campaigns": parse_list(args.campaign), "min_severity": args.min_severity,
        "cooldown_hours": args.cooldown_hours, "created_by": "cli",
    }  # fmt: skip
    answer = _delivery_request(args, "subscribe", request)
    sub_id = answer["id"]  # type: ignore[index]
    if args.json:
        print(json.dumps({"id": sub_id}))
    else:
        print(f"Subscription {sub_id}: {args.kind} to {delivery.mask(args.to)}")
    return 0


def cmd_subscriptions(args: argparse.Namespace) -> int:
    subs: list = _delivery_request(args, "subscriptions", {})  # type: ignore[assignment]
    if args.json:
        print(json.dumps({"subscriptions": subs}, ensure_ascii=False, default=str))
        return 0
    if not subs:
        print("No subscriptions.")
    for s in subs:
        what = s["kind"] + (f" {s['every']}" if s["kind"] == "brief" else "")
        scope = ", ".join([*s["channels"], *s["campaigns"]]) or "all"
        paused = "  (paused)" if s["paused"] else ""
        print(f"{s['id']:>4}  {what:<15} {s['lang']}  {s['recipient']}  [{scope}]{paused}")
    return 0


def _change_subscription(args: argparse.Namespace, action: str) -> int:
    if not _delivery_request(args, action, {"id": args.id}):
        raise CliError(f"no subscription {args.id}.")
    print(f"Subscription {args.id}: {'deleted' if action == 'unsubscribe' else action + 'd'}.")
    return 0


def _deliver_once(args: argparse.Namespace, force: bool) -> list[dict]:
    return _delivery_request(args, "deliver", {"force": force})  # type: ignore[return-value]


def _print_deliveries(outcomes: list[dict], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"deliveries": outcomes}, ensure_ascii=False, default=str), flush=True)
        return
    if not outcomes:
        print("Nothing to send.", flush=True)
    for o in outcomes:
        mark = {"sent": "✓", "skipped": "–"}.get(o["status"], "✗")
        error = f": {o['error']}" if o.get("error") else ""
        print(f"{mark} {o['kind']} → {o['to']} ({o.get('item') or ''}) {o['status']}{error}",
              flush=True)  # fmt: skip


def cmd_deliver(args: argparse.Namespace) -> int:
    import signal
    import time

    if not args.watch:
        outcomes = _deliver_once(args, args.now)
        _print_deliveries(outcomes, args.json)
        return 1 if any(o["status"] == "failed" for o in outcomes) else 0

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    force = args.now
    try:
        while True:
            started = time.monotonic()
            try:
                _print_deliveries(_deliver_once(args, force), args.json)
            except Exception as exc:  # the next minute may do better: say it, keep watching
                print(f"error: {exc}", file=sys.stderr, flush=True)
            force = False
            time.sleep(max(1.0, args.interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        return 0


def _stderr_progress(fraction: float, text: str) -> None:
    if sys.stderr.isatty():
        print(f"\r[{fraction:4.0%}] {text[:100]:<100}", end="", file=sys.stderr, flush=True)
        if fraction >= 1.0:
            print(file=sys.stderr)


COMMANDS = {
    "demo": cmd_demo,
    "import": cmd_import,
    "score": cmd_score,
    "trust": cmd_trust,
    "export": cmd_export,
    "report": cmd_report,
    "bench": cmd_bench,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "migrate": cmd_migrate,
    "subscribe": cmd_subscribe,
    "subscriptions": cmd_subscriptions,
    "unsubscribe": lambda args: _change_subscription(args, "unsubscribe"),
    "pause": lambda args: _change_subscription(args, "pause"),
    "resume": lambda args: _change_subscription(args, "resume"),
    "deliver": cmd_deliver,
}


# Process settings of ``score``, each applied only when the variable is not set already (a
# value set by the user wins; "" gives the default back). They change no score, only CPU
# time: polars runs on one thread, the scorer's two pieces running side by side with no
# fork and join inside each operation (on a host shared with other jobs a join waits for
# a descheduled worker; one thread per piece also spends less CPU); numpy's OpenBLAS starts
# one spinning thread per core at import, and scoring never calls BLAS; polars' allocator (jemalloc) hands freed pages back to the system after a
# delay and the next large column faults them in again, zeroed, which a short-lived process
# need not do; Python's cycle collector walks every object of the libraries' imports again
# and again while they load, and scoring makes no cycles worth collecting.
SCORE_PROCESS_ENV = {
    "POLARS_MAX_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "_RJEM_MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1",
    "TRUSTDASH_SCORE_GC": "off",
}


def _score_process_settings() -> None:
    """Sets SCORE_PROCESS_ENV before numpy and polars load (they read it once, at load;
    without effect when they are loaded already) and turns the cycle collector off unless
    TRUSTDASH_SCORE_GC says otherwise."""
    for name, value in SCORE_PROCESS_ENV.items():
        if os.environ.get(name) == "":  # the library's own default: as if never set
            del os.environ[name]
        else:
            os.environ.setdefault(name, value)
    if os.environ.get("TRUSTDASH_SCORE_GC") == "off":
        gc.disable()


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    errors: tuple[type[Exception], ...] = (CliError,)
    if args.command == "score":
        _score_process_settings()
    if args.command != "score":
        # The score path never opens a store: it skips the store's imports to start fast.
        from trustdash.store import StoreBusy, StoreError

        errors = (CliError, StoreBusy, StoreError)

    try:
        return COMMANDS[args.command](args)
    except errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # no traceback for users; details in the log
        log.debug("unexpected error", exc_info=True)
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

