"""Delivery for real: a local SMTP server (plain, STARTTLS, implicit TLS, with login) and a
local HTTP server (Slack, Teams, JSON webhooks) receive what ``deliver`` sends; the emailed
numbers are the Brief page's and ``trust --json``'s; nothing is sent twice; a server that
is down fails its delivery alone, which a later run sends."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import ROOT, comments_csv, make_rows
from trustdash import analysis
from trustdash.delivery import handoff, run
from trustdash.delivery.model import (
    Subscription,
    brief_filters,
    brief_period,
    is_due,
    mask,
    transport_of,
)
from trustdash.delivery.run import backoff
from trustdash.ingest import import_files
from trustdash.store import Store

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.smtp import AuthResult  # noqa: E402

USER, PASSWORD = "bot@example.com", "s3cret/pw"
SMTP_ENV = ("TRUSTDASH_SMTP_URL", "TRUSTDASH_MAIL_FROM", "TRUSTDASH_PUBLIC_URL",
            "TRUSTDASH_SMTP_CAFILE")  # fmt: skip


# -- servers -------------------------------------------------------------------------------
class Mailbox:
    """An aiosmtpd handler keeping what it receives; rejects the addresses in ``reject``."""

    def __init__(self, reject: tuple[str, ...] = ()) -> None:
        self.reject = reject
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.reject:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


def smtp_server(box: Mailbox, port: int | None = None, **kwargs: Any):
    ctl = aiosmtpd_controller.Controller(box, hostname="127.0.0.1", port=port or _free_port(),
                                         **kwargs)  # fmt: skip
    ctl.start()
    return ctl


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made here."""
    x509 = pytest.importorskip("cryptography.x509")
    import ipaddress

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    crt = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(crt.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_file, key_file


def _server_tls(cert: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


class Hooks(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append((self.path, json.loads(body)))  # type: ignore[attr-defined]
        code = self.server.codes.get(self.path, 200)  # type: ignore[attr-defined]
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hooks() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    server.received = []  # type: ignore[attr-defined]
    server.codes = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SMTP_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no secrets.toml of the developer's is read


def _smtp_env(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("TRUSTDASH_SMTP_URL", url)
    monkeypatch.setenv("TRUSTDASH_MAIL_FROM", "trustdash@example.com")
    monkeypatch.setenv("TRUSTDASH_PUBLIC_URL", "https://trust.example.com/")


# -- data ----------------------------------------------------------------------------------
def _brief_store(path: Path) -> Store:
    """Two channels over twelve weeks, from Monday 4 May 2026."""
    store = Store(path)
    start = dt.datetime(2026, 5, 4, 9)
    for ch, good, reply in (("facebook", 0.8, 3), ("x", 0.5, 0)):
        rows = make_rows(290, channel=ch, good=good, start=start, prefix=ch, reply_every=reply)
        (res,) = import_files(store, [(f"{ch}.csv", comments_csv(rows))])
        assert res.ok, res.errors
    return store


def _alert_store(path: Path) -> Store:
    """Channel x: ten calm weeks, then three weeks of complaints (a spike and a dip)."""
    store = Store(path)
    calm = make_rows(240, channel="x", good=0.9, start=dt.datetime(2026, 3, 2, 9), prefix="a")
    storm = make_rows(70, channel="x", good=0.15, start=dt.datetime(2026, 5, 11, 9), prefix="b")
    angry = ("My refund never came, three weeks now", "Parcel lost and support never answers",
             "Worst customer service ever, nobody replies")  # fmt: skip
    storm += [{**storm[-1], "comment_id": f"angry{i}", "author": f"angry{i}", "text": t,
               "created_at": f"2026-05-2{6 + i}T10:00:00"} for i, t in enumerate(angry)]  # fmt: skip
    calm_fb = make_rows(280, channel="facebook", good=0.85, start=dt.datetime(2026, 3, 2, 9),
                        prefix="f")  # fmt: skip
    for name, rows in (("calm.csv", calm), ("storm.csv", storm), ("fb.csv", calm_fb)):
        (res,) = import_files(store, [(name, comments_csv(rows))])
        assert res.ok, res.errors
    return store


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    full = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "trustdash", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300, env=full)  # fmt: skip


def _text_part(msg: email.message.EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


HEADLINE = re.compile(
    r"Brand Trust Score: (\d+) \(([^)]+)\) · 80 % interval (\d+)–(\d+) · n = ([\d,]+) · "
    r"([+-]\d+\.\d) vs previous period"
)
CHANNEL = re.compile(r"^  (\S+): (\d+) \[(\d+)–(\d+)\] (\w[\w ]*) · n = ([\d,]+)$", re.M)


# -- the schedule and recipients -----------------------------------------------------------
def test_brief_periods_are_complete_periods_before_the_occurrence() -> None:
    # data to Thursday 30 July 2026; occurrence Monday 3 August
    end = dt.date(2026, 7, 30)
    assert brief_period("weekly", dt.date(2026, 8, 3), end) == (dt.date(2026, 7, 20),
                                                               dt.date(2026, 7, 26))  # fmt: skip
    assert brief_period("weekly", dt.date(2026, 7, 27), dt.date(2026, 9, 1)) == (
        dt.date(2026, 7, 20), dt.date(2026, 7, 26))  # fmt: skip
    assert brief_period("daily", dt.date(2026, 7, 28), end) == (dt.date(2026, 7, 27),) * 2
    assert brief_period("monthly", dt.date(2026, 8, 1), end) == (dt.date(2026, 6, 1),
                                                                dt.date(2026, 6, 30))  # fmt: skip
    assert brief_period("monthly", dt.date(2026, 8, 1), dt.date(2026, 7, 31)) == (
        dt.date(2026, 7, 1), dt.date(2026, 7, 31))  # fmt: skip
    assert brief_period("weekly", dt.date(2026, 8, 3), None) is None


def test_a_weekly_brief_is_due_once_per_week_on_its_weekday() -> None:
    sub = Subscription(1, "a@example.com", "brief", every="weekly", weekday=0)
    monday = dt.datetime(2026, 8, 3, 7)
    assert is_due(sub, monday, None)  # never sent: due at once
    assert not is_due(sub, monday + dt.timedelta(hours=1), monday)
    assert not is_due(sub, dt.datetime(2026, 8, 9, 23), monday)  # Sunday
    assert is_due(sub, dt.datetime(2026, 8, 10, 0, 1), monday)  # next Monday


def test_recipients_are_told_apart_and_webhook_secrets_masked() -> None:
    assert transport_of("lead@brand.example") == ("email", "lead@brand.example")
    assert transport_of("https://hooks.slack.com/services/T/B/xyz")[0] == "slack"
    assert transport_of("https://acme.webhook.office.com/webhookb2/abc")[0] == "teams"
    assert transport_of("teams:http://127.0.0.1:9/x") == ("teams", "http://127.0.0.1:9/x")
    assert transport_of("https://example.com/hook")[0] == "webhook"
    for bad in ("not an address", "http://example.com/hook", "ftp://x/y", "a@b"):
        with pytest.raises(ValueError):
            transport_of(bad)
    assert mask("https://hooks.slack.com/services/T/B/xyz") == "https://hooks.slack.com/…"
    assert "secret" not in mask("slack:https://h.example/secret")


# -- the emailed brief ---------------------------------------------------------------------
def test_cli_brief_email_has_the_brief_numbers_and_is_sent_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "b.duckdb"
    _brief_store(db).close()
    box = Mailbox()
    ctl = smtp_server(box)
    env = {"TRUSTDASH_SMTP_URL": f"smtp://127.0.0.1:{ctl.port}",
           "TRUSTDASH_MAIL_FROM": "trustdash@example.com",
           "TRUSTDASH_PUBLIC_URL": "https://trust.example.com"}  # fmt: skip
    try:
        proc = _cli("subscribe", "--to", "lead@example.com", "--kind", "brief", "--lang", "en",
                    "--db", str(db), "--json")  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        sub_id = json.loads(proc.stdout)["id"]
        proc = _cli("deliver", "--db", str(db), "--now", "--json", env=env)
        assert proc.returncode == 0, proc.stderr
        (out,) = json.loads(proc.stdout)["deliveries"]
        assert {k: out[k] for k in ("subscription", "to", "kind", "status", "error")} == {
            "subscription": sub_id, "to": "lead@example.com", "kind": "brief",
            "status": "sent", "error": None}  # fmt: skip
        again = _cli("deliver", "--db", str(db), "--now", "--json", env=env)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout) == {"deliveries": []}
    finally:
        ctl.stop()
    assert len(box.messages) == 1
    rcpts, msg = box.messages[0]
    assert rcpts == ["lead@example.com"]
    text = _text_part(msg)

    # The period: the last complete Monday–Sunday week of data (it ends on 30 July).
    store = Store(db)
    try:
        sub = Subscription.from_row(store.subscription(sub_id))
        period = brief_period("weekly", dt.date.today(), store.date_bounds()[1])
        assert period == (dt.date(2026, 7, 20), dt.date(2026, 7, 26))
        f = brief_filters(sub, period)
        ov = analysis.overview(store, f, with_brand_series=True)
        unanswered = store.count_comments(f, actionable=True, answered="unanswered")
    finally:
        store.close()
    head = HEADLINE.search(text)
    assert head, text
    h = ov.headline
    assert head.groups() == (f"{h['trust']:.0f}", h["band"], f"{h['low']:.0f}",
                             f"{h['high']:.0f}", f"{h['n']:,}", f"{ov.delta:+.1f}")  # fmt: skip
    shown = {m[0]: m[1:] for m in CHANNEL.findall(text)}
    table = {r["group"]: r for r in ov.channels.iter_rows(named=True)}
    assert set(shown) == {"facebook", "x"}
    for ch, (trust, low, high, band, n) in shown.items():
        r = table[ch]
        assert (trust, low, high, band, n) == (f"{r['trust']:.0f}", f"{r['low']:.0f}",
                                               f"{r['high']:.0f}", r["band"], f"{r['n']:,}")  # fmt: skip
    # trust --json agrees channel by channel
    proc = _cli("trust", "--by", "channel", "--since", "2026-07-20", "--until", "2026-07-26",
                "--db", str(db), "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for row in json.loads(proc.stdout):
        assert abs(int(shown[row["group"]][0]) - row["trust"]) <= 0.51
    for ch in ov.changes:
        assert f"{ch['group']} {ch['delta']:+.1f} — {ch['reason']}" in text
    assert f"Unanswered actionable comments: {unanswered:,}" in text
    link = re.search(r"Open this view in trustdash: (\S+)", text).group(1)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "trust.example.com", "/Brief")
    assert parse_qs(parts.query) == {"from": ["2026-07-20"], "to": ["2026-07-26"],
                                     "gran": ["day"], "lang": ["en"]}  # fmt: skip
    # HTML with the two charts inline, and the offline report attached
    html_part = msg.get_body(preferencelist=("html",))
    assert f">{h['trust']:.0f}</span>" in html_part.get_content()
    related = {p.get_content_type(): p for p in msg.walk() if p["Content-ID"]}
    assert related["image/png"].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {p["Content-ID"] for p in msg.walk() if p["Content-ID"]} == {"<channels>", "<trend>"}
    (report,) = [p for p in msg.iter_attachments() if p.get_filename() == "trustdash-brief.html"]
    assert f"id='trust-headline'>{h['trust']:.0f}<" in report.get_content()


def test_french_brief_over_starttls_with_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cert: tuple[Path, Path]
) -> None:
    store = _brief_store(tmp_path / "b.duckdb")
    box = Mailbox()
    ctl = smtp_server(box, tls_context=_server_tls(cert), require_starttls=True,
                      authenticator=_login, auth_required=True)  # fmt: skip
    try:
        _smtp_env(monkeypatch, f"smtp://bot%40example.com:s3cret%2Fpw@127.0.0.1:{ctl.port}"
                               "?starttls=1")  # fmt: skip
        monkeypatch.setenv("TRUSTDASH_SMTP_CAFILE", str(cert[0]))
        sub = store.add_subscription("dg@example.com", "brief", lang="fr", channels=["x"])
        (out,) = run(store)
        assert (out.subscription, out.status, out.error) == (sub, "sent", None)
        assert run(store, force=True) == []
        # a wrong password fails with the server's answer, never the password
        _smtp_env(monkeypatch, f"smtp://bot%40example.com:wrongpass@127.0.0.1:{ctl.port}"
                               "?starttls=1")  # fmt: skip
        other = store.add_subscription("cfo@example.com", "brief")
        (bad,) = run(store)
        assert (bad.subscription, bad.status) == (other, "failed")
        assert "login to 127.0.0.1" in bad.error and "refused" in bad.error
        assert "wrongpass" not in bad.error
        log = store.delivery_log()
        assert not log.filter(log["error"].str.contains("wrongpass")).height
    finally:
        ctl.stop()
        store.close()
    (rcpts, msg), = box.messages
    assert rcpts == ["dg@example.com"]
    text = _text_part(msg)
    assert "Score de confiance de la marque" in text and "canaux\u202f: x" in text
    assert "lang=fr" in text and "channel=x" in text
    assert "a baissé de" in text or "a augmenté de" in text  # the reasons in French too
    assert "fell from" not in text and "rose from" not in text
    assert msg["Content-Language"] == "fr"


def test_implicit_tls_smtps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            cert: tuple[Path, Path]) -> None:  # fmt: skip
    store = _brief_store(tmp_path / "b.duckdb")
    box = Mailbox()
    ctl = smtp_server(box, ssl_context=_server_tls(cert), authenticator=_login,
                      auth_required=True, auth_require_tls=False)  # fmt: skip
    try:
        _smtp_env(monkeypatch, f"smtps://bot%40example.com:s3cret%2Fpw@127.0.0.1:{ctl.port}")
        monkeypatch.setenv("TRUSTDASH_SMTP_CAFILE", str(cert[0]))
        store.add_subscription("lead@example.com", "brief", every="monthly")
        (out,) = run(store)
        assert out.status == "sent", out.error
        # an untrusted certificate is refused
        monkeypatch.delenv("TRUSTDASH_SMTP_CAFILE")
        store.add_subscription("cfo@example.com", "brief")
        (bad,) = run(store)
        assert bad.status == "failed" and "TLS" in bad.error
    finally:
        ctl.stop()
        store.close()
    assert len(box.messages) == 1
    subject = box.messages[0][1]["Subject"]
    assert "Brand trust brief" in subject and "Jun 2026" in subject


def test_a_down_server_fails_then_the_next_run_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "b.duckdb"
    _brief_store(db).close()
    port = _free_port()
    env = {"TRUSTDASH_SMTP_URL": f"smtp://127.0.0.1:{port}",
           "TRUSTDASH_MAIL_FROM": "trustdash@example.com"}  # fmt: skip
    proc = _cli("subscribe", "--to", "lead@example.com", "--kind", "brief", "--db", str(db),
                "--json")  # fmt: skip
    sub_id = json.loads(proc.stdout)["id"]
    proc = _cli("deliver", "--db", str(db), "--json", env=env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    (out,) = json.loads(proc.stdout)["deliveries"]
    assert (out["subscription"], out["status"]) == (sub_id, "failed")
    assert f"cannot reach the SMTP server 127.0.0.1:{port}" in out["error"]
    # within the back-off wait a plain run does not try again
    proc = _cli("deliver", "--db", str(db), "--json", env=env)
    assert (proc.returncode, json.loads(proc.stdout)) == (0, {"deliveries": []})
    box = Mailbox()
    ctl = smtp_server(box, port=port)
    try:
        proc = _cli("deliver", "--db", str(db), "--now", "--json", env=env)
    finally:
        ctl.stop()
    assert proc.returncode == 0, proc.stderr
    (out,) = json.loads(proc.stdout)["deliveries"]
    assert (out["status"], out["error"]) == ("sent", None)
    assert len(box.messages) == 1
    store = Store(db)
    try:
        (row,) = store.delivery_log().iter_rows(named=True)
    finally:
        store.close()
    assert (row["status"], row["attempts"]) == ("sent", 2)


def test_retries_back_off_then_give_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _brief_store(tmp_path / "b.duckdb")
    _smtp_env(monkeypatch, f"smtp://127.0.0.1:{_free_port()}")
    store.add_subscription("lead@example.com", "brief")
    at = dt.datetime(2026, 8, 3, 7)
    tried = 0
    for _ in range(12):
        outs = run(store, at=at)
        tried += len(outs)
        if outs and "gave up" in (outs[0].error or ""):
            break
        assert run(store, at=at + backoff(tried) - dt.timedelta(seconds=1)) == []
        at += backoff(tried)
    assert tried == 5
    (row,) = store.delivery_log().iter_rows(named=True)
    assert (row["status"], row["attempts"]) == ("failed", 5)
    assert run(store, at=at + dt.timedelta(days=1), force=True) == []
    store.close()


def test_a_bad_address_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _brief_store(tmp_path / "b.duckdb")
    box = Mailbox(reject=("nobody@example.com",))
    ctl = smtp_server(box)
    try:
        _smtp_env(monkeypatch, f"smtp://127.0.0.1:{ctl.port}")
        bad = store.add_subscription("nobody@example.com", "brief")
        good = store.add_subscription("lead@example.com", "brief")
        outs = {o.subscription: o for o in run(store)}
    finally:
        ctl.stop()
        store.close()
    assert outs[good].status == "sent"
    assert outs[bad].status == "failed"
    assert "nobody@example.com refused" in outs[bad].error and "550" in outs[bad].error
    assert "gave up after 1 attempt" in outs[bad].error  # a rejected address is not retried
    assert [r for r, _ in box.messages] == [["lead@example.com"]]


# -- alerts and webhooks -------------------------------------------------------------------
def test_alerts_reach_slack_teams_and_json_webhooks_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hooks: ThreadingHTTPServer
) -> None:
    store = _alert_store(tmp_path / "a.duckdb")
    monkeypatch.setenv("TRUSTDASH_PUBLIC_URL", "https://trust.example.com")
    base = f"http://127.0.0.1:{hooks.server_port}"
    slack = store.add_subscription(f"slack:{base}/slack", "alerts", cooldown_hours=0)
    teams = store.add_subscription(f"teams:{base}/teams", "alerts", cooldown_hours=0)
    plain = store.add_subscription(f"{base}/json", "alerts", channels=["x"], cooldown_hours=0)
    quiet = store.add_subscription(f"{base}/fb", "alerts", channels=["facebook"])
    try:
        outs = run(store)
        assert {o.status for o in outs} == {"sent"}, outs
        assert run(store, force=True) == []
    finally:
        store.close()
    by_path: dict[str, list[dict]] = {}
    for path, body in hooks.received:  # type: ignore[attr-defined]
        by_path.setdefault(path, []).append(body)
    assert "/fb" not in by_path and quiet not in {o.subscription for o in outs}
    assert set(by_path) == {"/slack", "/teams", "/json"}
    alerts = by_path["/json"]
    kinds = {a["kind"] for a in alerts}
    assert "negative spike" in kinds
    assert all(a["channel"] == "x" and a["subscription"] == plain for a in alerts)
    spike = next(a for a in alerts if a["kind"] == "negative spike")
    assert kinds == {"negative spike", "trust dip"}
    assert spike["from"] == "2026-05-25" and spike["to"] == "2026-05-31"
    assert spike["component"] == "S1"
    assert spike["figures"]["share"] > spike["figures"]["mean"] + 2 * spike["figures"]["sd"]
    assert 2 <= len(spike["comments"]) <= 3
    assert len(set(spike["comments"])) == len(spike["comments"])
    dip = next(a for a in alerts if a["kind"] == "trust dip")
    assert dip["from"] == "2026-05-18" and dip["figures"]["delta"] <= -10
    assert dip["figures"]["high"] < dip["figures"]["plow"]
    assert dip["component"] in ("S1", "S2")
    link = urlsplit(spike["link"])
    assert link.path == "/Conversations"
    assert parse_qs(link.query) == {"from": ["2026-05-25"], "to": ["2026-05-31"],
                                    "channel": ["x"], "gran": ["day"],
                                    "sentiment": ["negative"], "order": ["most_negative"]}  # fmt: skip
    # the same alerts, in Slack's and Teams' own formats
    assert len(by_path["/slack"]) == len(by_path["/teams"]) == len(alerts)
    blocks = by_path["/slack"][0]["blocks"]
    assert blocks[0]["type"] == "header" and "x" in blocks[0]["text"]["text"]
    assert any(b["type"] == "actions" and b["elements"][0]["url"].startswith(
        "https://trust.example.com/Conversations?") for b in blocks)  # fmt: skip
    card = by_path["/teams"][0]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    assert card["content"]["actions"][0]["type"] == "Action.OpenUrl"
    assert {o.subscription for o in outs} == {slack, teams, plain}


def test_a_brief_to_a_json_webhook_has_the_brief_numbers(
    tmp_path: Path, hooks: ThreadingHTTPServer
) -> None:
    store = _brief_store(tmp_path / "b.duckdb")
    base = f"http://127.0.0.1:{hooks.server_port}"
    sub = store.add_subscription(f"{base}/brief", "brief", every="monthly", channels=["x"])
    slack = store.add_subscription(f"slack:{base}/slack", "brief", every="monthly")
    try:
        outs = run(store, at=dt.datetime(2026, 8, 1, 6))
        assert [(o.subscription, o.status) for o in outs] == [(sub, "sent"), (slack, "sent")]
        f = brief_filters(Subscription(sub, "x", "brief", every="monthly", channels=("x",)),
                          (dt.date(2026, 6, 1), dt.date(2026, 6, 30)))  # fmt: skip
        ov = analysis.overview(store, f)
        assert run(store, at=dt.datetime(2026, 8, 20, 6), force=True) == []
    finally:
        store.close()
    (path, body), (slack_path, slack_body) = sorted(hooks.received)  # type: ignore[attr-defined]
    assert (path, body["type"], body["subscription"]) == ("/brief", "brief", sub)
    assert (body["from"], body["to"]) == ("2026-06-01", "2026-06-30")  # July is not over
    assert body["trust"] == pytest.approx(ov.headline["trust"])
    assert body["delta"] == pytest.approx(ov.delta)
    assert [c["channel"] for c in body["channels"]] == ["x"]
    assert slack_path == "/slack" and slack_body["blocks"][0]["type"] == "header"


def test_alert_cool_down_and_severity(tmp_path: Path, hooks: ThreadingHTTPServer) -> None:
    store = _alert_store(tmp_path / "a.duckdb")
    base = f"http://127.0.0.1:{hooks.server_port}"
    cool = store.add_subscription(f"{base}/cool", "alerts", cooldown_hours=72)
    high = store.add_subscription(f"{base}/high", "alerts", min_severity="high",
                                  cooldown_hours=0)  # fmt: skip
    try:
        outs = run(store)
        again = run(store)
    finally:
        store.close()
    status = {(o.subscription, o.item): (o.status, o.error) for o in outs}
    dip, spike = "alert:trust dip:x:2026-05-18", "alert:negative spike:x:2026-05-25"
    assert status[(cool, dip)] == ("sent", None)
    assert status[(cool, spike)][0] == "skipped" and "cool-down" in status[(cool, spike)][1]
    assert status[(high, dip)] == ("sent", None)  # a 45-point dip is "high"
    assert status[(high, spike)][0] == "skipped"
    assert "minimum severity" in status[(high, spike)][1]
    assert again == []  # skipped alerts are logged and not sent later either


def test_a_webhook_that_is_down_fails_alone(tmp_path: Path, hooks: ThreadingHTTPServer) -> None:
    store = _alert_store(tmp_path / "a.duckdb")
    base = f"http://127.0.0.1:{hooks.server_port}"
    hooks.codes["/broken"] = 503  # type: ignore[attr-defined]
    broken = store.add_subscription(f"{base}/broken", "alerts", cooldown_hours=0)
    down = store.add_subscription(f"http://127.0.0.1:{_free_port()}/x", "alerts",
                                  cooldown_hours=0)  # fmt: skip
    fine = store.add_subscription(f"{base}/fine", "alerts", cooldown_hours=0)
    try:
        outs = run(store)
        by = {}
        for o in outs:
            by.setdefault(o.subscription, set()).add(o.status)
        assert by == {broken: {"failed"}, down: {"failed"}, fine: {"sent"}}
        errors = {o.subscription: o.error for o in outs}
        assert "answered HTTP 503" in errors[broken]
        assert "cannot reach http://127.0.0.1" in errors[down]
        hooks.codes["/broken"] = 200  # type: ignore[attr-defined]
        outs = run(store, force=True)
        assert {o.subscription for o in outs if o.status == "sent"} >= {broken}
    finally:
        store.close()


# -- beside the running app ----------------------------------------------------------------
def test_deliver_is_handed_to_the_running_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env_db: Path
) -> None:
    """The Brief page's process holds the store; subscribe and deliver on the command line
    are performed by it, and the emailed headline is the page's for the link's view."""
    from streamlit.testing.v1 import AppTest

    from trustdash.store import close_all

    _brief_store(env_db).close()
    box = Mailbox()
    ctl = smtp_server(box)
    _smtp_env(monkeypatch, f"smtp://127.0.0.1:{ctl.port}")
    try:
        page = AppTest.from_file(str(ROOT / "pages/5_Brief.py"), default_timeout=120)
        page.run()  # the app's process: it now holds the store and takes requests
        assert not page.exception, [e.value for e in page.exception]
        assert handoff.watcher_alive(str(env_db))
        proc = _cli("subscribe", "--to", "lead@example.com", "--kind", "brief", "--lang", "fr",
                    "--db", str(env_db), "--json")  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == {"id": 1}
        proc = _cli("deliver", "--db", str(env_db), "--now", "--json")
        assert proc.returncode == 0, proc.stderr
        (out,) = json.loads(proc.stdout)["deliveries"]
        assert (out["subscription"], out["status"]) == (1, "sent")
        listed = _cli("subscriptions", "--db", str(env_db), "--json")
        assert json.loads(listed.stdout)["subscriptions"][0]["recipient"] == "lead@example.com"
        # the link opens the same view: the page at those URL parameters shows the headline
        (_, msg), = box.messages
        text = _text_part(msg)
        url = re.search(r"Ouvrir cette vue dans trustdash: (\S+)", text).group(1)
        params = parse_qs(urlsplit(url).query)
        view = AppTest.from_file(str(ROOT / "pages/5_Brief.py"), default_timeout=120)
        for k, v in params.items():
            view.query_params[k] = v if len(v) > 1 else v[0]
        view.run()
        assert not view.exception, [e.value for e in view.exception]
        assert view.radio(key="br_lang").value == "fr"
        metric = view.metric[0]
        headline = re.search(r"Score de confiance de la marque\u202f?: (\d+)", text)
        assert headline and metric.value.split()[0] == headline.group(1)
        # the read commands are handed to the app too, with the same numbers
        proc = _cli("trust", "--by", "channel", "--since", params["from"][0], "--until",
                    params["to"][0], "--db", str(env_db), "--json")  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        shown = {m[0]: int(m[1]) for m in CHANNEL.findall(text)}
        rows = json.loads(proc.stdout)
        assert {r["group"] for r in rows} == set(shown) == {"facebook", "x"}
        for r in rows:
            assert abs(shown[r["group"]] - r["trust"]) <= 0.51
        proc = _cli("report", "--out", str(tmp_path / "brief.html"), "--lang", "fr",
                    "--since", params["from"][0], "--until", params["to"][0],
                    "--db", str(env_db))  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        report_html = (tmp_path / "brief.html").read_text(encoding="utf-8")
        assert f"id='trust-headline'>{headline.group(1)}<" in report_html
        proc = _cli("export", "--table", "comments", "--out", str(tmp_path / "c.csv"),
                    "--db", str(env_db))  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        import polars as pl

        exported = pl.read_csv(tmp_path / "c.csv", infer_schema=False).height
        assert f"Exported {exported:,} rows of comments" in proc.stdout and exported >= 580
    finally:
        ctl.stop()
        close_all()


# -- the Settings page ---------------------------------------------------------------------
def _settings(db: Path, user: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages/8_Settings.py"), default_timeout=120)
    if user:
        at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                              "cookie_secret": "x" * 32, "client_id": "c",
                              "client_secret": "s",
                              "server_metadata_url": "https://id.example/.well-known/x"}  # fmt: skip
        at.secrets["trustdash"] = {"editors": ["ana@agency.example"],
                                   "viewers": ["@brand.example"]}  # fmt: skip
        at.user = user
    return at.run()


def _frames(at) -> str:
    return "\n".join(d.value.to_csv() for d in at.dataframe)


def test_settings_page_adds_pauses_and_logs_subscriptions(env_db: Path) -> None:
    from trustdash.store import close_all

    store = _brief_store(env_db)
    secret_hook = "https://hooks.slack.com/services/T000/B000/topsecrettoken"
    store.add_subscription(secret_hook, "alerts")
    store.claim_delivery(1, secret_hook, "alert", "alert:k", "x: negative spike 2026-05-25")
    store.finish_delivery(1, "alert:k", "retry", error="cannot reach https://hooks.slack.com")
    store.close()
    try:
        at = _settings(env_db)
        assert not at.exception, [e.value for e in at.exception]
        assert secret_hook in _frames(at)  # an editor sees what they manage
        log = next(d.value for d in at.dataframe if "attempts" in d.value.columns)
        assert log["recipient"].to_list() == ["https://hooks.slack.com/…"]
        assert log["status"].to_list() == ["retry"]
        at.text_input(key="set_sub_to").set_value("not an address")
        at.button(key="FormSubmitter:sub_form-Add subscription").click().run()
        assert any("Not added" in e.value for e in at.error)
        at.text_input(key="set_sub_to").set_value("ceo@brand.example")
        at.selectbox(key="set_sub_lang").set_value("fr")
        at.selectbox(key="set_sub_day").set_value("Friday")
        at.button(key="FormSubmitter:sub_form-Add subscription").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("Subscription 2 added" in s.value for s in at.success)
        at.selectbox(key="set_sub_pick").set_value(2).run()
        at.toggle(key="set_sub_paused_2").set_value(True)
        at.number_input(key="set_sub_cool_2").set_value(6.0)
        at.multiselect(key="set_sub_ch_2").set_value(["x"])
        at.button(key="set_sub_save").click().run()
        assert not at.exception, [e.value for e in at.exception]
    finally:
        close_all()
    store = Store(env_db)
    try:
        sub = store.subscription(2)
        assert (sub["recipient"], sub["lang"], sub["weekday"], sub["paused"]) == (
            "ceo@brand.example", "fr", 4, True)  # fmt: skip
        assert (sub["cooldown_hours"], sub["channels"]) == (6.0, ("x",))
        assert store.delete_subscription(1) and not store.delete_subscription(1)
        assert run(store, force=True) == []  # paused: nothing for it (and no SMTP needed)
    finally:
        store.close()


def test_viewers_never_see_webhook_urls(env_db: Path) -> None:
    from trustdash.store import close_all

    store = _brief_store(env_db)
    secret_hook = "https://hooks.slack.com/services/T000/B000/topsecrettoken"
    store.add_subscription(secret_hook, "alerts")
    store.close()
    try:
        at = _settings(env_db, {"is_logged_in": True, "email": "vera@brand.example",
                                "email_verified": True})
        assert not at.exception, [e.value for e in at.exception]
        assert any("your role is viewer" in i.value for i in at.info)  # signed in as a viewer
        frames = _frames(at)
        assert "hooks.slack.com/…" in frames and "topsecrettoken" not in frames
        assert len(at.get("form")) == 0 or not any(
            "sub_form" in str(getattr(f, "id", "")) for f in at.get("form"))  # fmt: skip
        assert not any("attempts" in d.value.columns for d in at.dataframe)  # no log
        assert not any(b.key == "set_sub_save" for b in at.button)
    finally:
        close_all()


def test_deliver_watch_sends_as_due_and_stops_cleanly(tmp_path: Path) -> None:
    import os
    import signal
    import time

    db = tmp_path / "b.duckdb"
    store = _brief_store(db)
    store.add_subscription("lead@example.com", "brief", every="daily")
    store.close()
    box = Mailbox()
    ctl = smtp_server(box)
    env = {**os.environ, "TRUSTDASH_SMTP_URL": f"smtp://127.0.0.1:{ctl.port}",
           "TRUSTDASH_MAIL_FROM": "trustdash@example.com"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "trustdash", "deliver", "--watch", "--json", "--interval", "1",
         "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        first = json.loads(proc.stdout.readline())
        assert [d["status"] for d in first["deliveries"]] == ["sent"]
        second = json.loads(proc.stdout.readline())
        assert second == {"deliveries": []}
        # between runs the store is free: the app (or anyone) can open it
        deadline = time.monotonic() + 30
        while True:
            try:
                Store(db, wait_seconds=0.5).close()
                break
            except Exception:
                assert time.monotonic() < deadline
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        ctl.stop()
    assert len(box.messages) == 1


# -- the store's delivery log, on both backends -----------------------------------------------
def test_a_delivery_is_claimed_once(store: Store) -> None:
    at = dt.datetime(2026, 8, 3, 7)
    sub = store.add_subscription("lead@example.com", "brief", channels=["x"])
    assert store.subscription(sub)["channels"] == ("x",)
    assert store.claim_delivery(sub, "lead@example.com", "brief", "k", "s", at=at) == 1
    # claimed and not reported: another run keeps off it, until the claim is stale
    assert store.claim_delivery(sub, "lead@example.com", "brief", "k", "s", at=at) is None
    assert store.claim_delivery(sub, "lead@example.com", "brief", "k", "s",
                                at=at + dt.timedelta(minutes=20)) == 2  # fmt: skip
    store.finish_delivery(sub, "k", "retry", error="down", next_attempt_at=at + backoff(2),
                          at=at)  # fmt: skip
    assert store.claim_delivery(sub, "lead@example.com", "brief", "k", "s", at=at) is None
    assert store.claim_delivery(sub, "lead@example.com", "brief", "k", "s", at=at,
                                force=True) == 3  # fmt: skip
    store.finish_delivery(sub, "k", "sent", at=at)
    assert store.claim_delivery(sub, "lead@example.com", "brief", "k", "s", at=at,
                                force=True) is None  # fmt: skip
    assert not store.record_skipped(sub, "lead@example.com", "brief", "k", "s", "why")
    assert store.record_skipped(sub, "lead@example.com", "alert", "a", "x: spike", "cool")
    assert store.delivered_keys(sub) == {"k", "a"}
    log = store.delivery_log(subscription_id=sub)
    (row,) = log.filter(log["item_key"] == "k").iter_rows(named=True)
    assert (row["status"], row["attempts"], row["sent_at"]) == ("sent", 3, at)


def test_cli_refuses_bad_subscriptions_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trustdash.cli import main

    db = str(tmp_path / "s.duckdb")
    for argv, message in (
        (["--to", "not-an-address", "--kind", "brief"], "neither an email address"),
        (["--to", "http://hooks.example.com/x", "--kind", "alerts"], "must use https://"),
        (["--to", "a@example.com", "--kind", "alerts", "--cooldown-hours", "-1"], "negative"),
    ):
        assert main(["subscribe", *argv, "--db", db, "--json"]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert main(["subscribe", "--to", "a@example.com", "--kind", "brief", "--every", "daily",
                 "--weekday", "fri", "--channel", "x", "--channel", "x", "--db", db,
                 "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out) == {"id": 1}
    assert main(["pause", "1", "--db", db]) == 0
    assert main(["subscriptions", "--db", db, "--json"]) == 0
    (sub,) = json.loads(capsys.readouterr().out.splitlines()[-1])["subscriptions"]
    assert (sub["every"], sub["weekday"], sub["channels"], sub["paused"]) == (
        "daily", 4, ["x"], True)  # fmt: skip
    assert main(["deliver", "--db", db, "--json"]) == 0  # paused: nothing to send
    assert json.loads(capsys.readouterr().out) == {"deliveries": []}
    assert main(["unsubscribe", "1", "--db", db]) == 0
    assert main(["unsubscribe", "1", "--db", db]) == 1
    assert "no subscription 1" in capsys.readouterr().err


def test_a_run_sends_once_on_both_backends(store: Store, hooks: ThreadingHTTPServer) -> None:
    rows = make_rows(200, channel="x", start=dt.datetime(2026, 5, 4, 9), prefix="x")
    (res,) = import_files(store, [("x.csv", comments_csv(rows))])
    assert res.ok, res.errors
    sub = store.add_subscription(f"http://127.0.0.1:{hooks.server_port}/b", "brief",
                                 every="daily")  # fmt: skip
    (out,) = run(store, force=True)
    assert (out.subscription, out.status, out.error) == (sub, "sent", None)
    assert run(store, force=True) == []
    ((path, body),) = hooks.received  # type: ignore[attr-defined]
    assert (path, body["type"], body["from"], body["to"]) == ("/b", "brief", out.item[6:16],
                                                              out.item[17:])  # fmt: skip


@pytest.mark.ducklake
def test_two_processes_delivering_at_once_send_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hooks: ThreadingHTTPServer
) -> None:
    """Two writers of one DuckLake (two connections, as two processes have) claim the same
    brief at the same moment: one sends it, the other finds it claimed."""
    from tests.conftest import new_lake

    target = new_lake(tmp_path, monkeypatch)
    first, second = Store(target), Store(target)
    try:
        rows = make_rows(120, channel="x", start=dt.datetime(2026, 5, 4, 9), prefix="x")
        (res,) = import_files(first, [("x.csv", comments_csv(rows))])
        assert res.ok, res.errors
        first.add_subscription(f"http://127.0.0.1:{hooks.server_port}/b", "brief",
                               every="daily")  # fmt: skip
        results: list[list] = []
        threads = [threading.Thread(target=lambda s=s: results.append(run(s, force=True)))
                   for s in (first, second)]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        first.close()
        second.close()
    sent = [o for outs in results for o in outs if o.status == "sent"]
    assert len(sent) == 1 and len(hooks.received) == 1  # type: ignore[attr-defined]
