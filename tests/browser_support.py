"""Helpers for the real-browser tests: free ports, a Streamlit server, an OpenID provider.

Nothing here is collected as tests. ``tests/test_browser.py`` builds its fixtures on these.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trustdash.bench import sessions

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A page has finished its script run (Streamlit sets this attribute on the app root).
READY = "[data-testid=stApp][data-test-script-state=notRunning]"

# Every page of the app, by the path a deep link uses.
PAGE_PATHS = [
    "/Channels",
    "/Campaigns",
    "/Responsiveness",
    "/Conversations",
    "/Brief",
    "/Import",
    "/Import_history",
    "/Settings",
    "/",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (local URL)
        return resp.status, resp.read().decode("utf-8", "replace")


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen
    log: Path

    def output(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-6000:]
        except OSError:
            return ""


def wait_healthy(server: Server, timeout: float = 60.0) -> None:
    """Wait for ``/_stcore/health`` to answer ``ok``; fail with the server's output."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {server.proc.returncode} before it was healthy.\n"
                f"--- server output ---\n{server.output()}"
            )
        try:
            status, body = http_get(server.url + "/_stcore/health")
            if status == 200 and body.strip() == "ok":
                return
            last = f"{status} {body[:100]!r}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise RuntimeError(
        f"streamlit was not healthy after {timeout:.0f} s (last answer: {last}).\n"
        f"--- server output ---\n{server.output()}"
    )


def streamlit_command(port: int, *, address: str = "localhost") -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.address", address,
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip


@contextlib.contextmanager
def run_streamlit(
    app_dir: Path,
    workdir: Path,
    *,
    db: Path,
    env: dict[str, str] | None = None,
    command: list[str] | None = None,
    port: int | None = None,
    timeout: float = 60.0,
) -> Iterator[Server]:
    """``streamlit run app.py`` from ``app_dir`` on a free port with a temporary HOME."""
    port = port or free_port()
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    log = workdir / f"streamlit-{port}.log"
    full_env = {
        **os.environ,
        "HOME": str(home),
        "TRUSTDASH_DB": str(db),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    if "TRUSTDASH_PUBLIC" not in (env or {}):
        full_env.pop("TRUSTDASH_PUBLIC", None)
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(  # noqa: S603 (our own command line)
            command or streamlit_command(port),
            cwd=app_dir, env=full_env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Server(url=f"http://localhost:{port}", port=port, proc=proc, log=log)
    try:
        wait_healthy(server, timeout)
        yield server
    finally:
        sessions.stop(proc)


def make_app_dir(dest: Path, secrets_toml: str | None = None) -> Path:
    """A copy of the app (pages copied, the package symlinked) with its own secrets file."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "app.py", dest / "app.py")
    shutil.copytree(ROOT / "pages", dest / "pages", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "trustdash").symlink_to(ROOT / "trustdash", target_is_directory=True)
    (dest / ".streamlit").mkdir(exist_ok=True)
    shutil.copy2(ROOT / ".streamlit" / "config.toml", dest / ".streamlit" / "config.toml")
    if secrets_toml is not None:
        (dest / ".streamlit" / "secrets.toml").write_text(secrets_toml, encoding="utf-8")
    return dest


def auth_secrets(
    app_port: int, provider_port: int, *, editors: list[str], viewers: list[str]
) -> str:
    """``secrets.toml`` text: ``[auth]`` against the local provider plus the allow-list."""

    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(f'"{i}"' for i in items) + "]"

    return (
        "[auth]\n"
        f'redirect_uri = "http://localhost:{app_port}/oauth2callback"\n'
        'cookie_secret = "test-cookie-secret-0123456789abcdef"\n'
        'client_id = "trustdash-test"\n'
        'client_secret = "trustdash-test-secret"\n'
        f'server_metadata_url = "http://localhost:{provider_port}/.well-known/openid-configuration"\n'
        "\n[trustdash]\n"
        f"editors = {toml_list(editors)}\n"
        f"viewers = {toml_list(viewers)}\n"
        # The mock provider sends no email_verified claim: the documented allowance.
        "accept_missing_email_verified = true\n"
    )


def demo_comments_csv(n: int = 30, *, channel: str = "mastodon") -> bytes:
    """A small comments CSV of a channel the demo does not have."""
    import csv
    import datetime as dt
    import io

    header = [
        "comment_id", "post_id", "parent_id", "author", "is_brand", "created_at", "text",
        "likes", "campaign", "channel",
    ]  # fmt: skip
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    start = dt.datetime(2026, 8, 3, 9)
    for i in range(n):
        text = (
            "Love the new range, great quality and friendly support!"
            if i % 3
            else "My order is late again and nobody answers, very disappointing."
        )
        created = start + dt.timedelta(hours=11 * i)
        w.writerow(
            [f"{channel}-c{i}", f"{channel}-p{i % 4}", "", f"toot{i}", "false",
             created.isoformat(), text, i % 5, "", channel]
        )  # fmt: skip
    return buf.getvalue().encode("utf-8")
