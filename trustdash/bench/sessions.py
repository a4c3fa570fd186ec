"""``python -m trustdash bench sessions [--sessions 1,10,25,50]``: how a crowd opening the
brief's link is served.

Starts ``streamlit run app.py`` on a copy of the demo store, then for each crowd size opens
that many sessions at once, as websocket clients speaking Streamlit's protocol (the
messages a browser sends: a rerun with the page's query string and the browser's
context), waits for each session's first complete render (``script_finished``), and then
changes the campaign filter in every session and waits for that render too.

It reports, per crowd size: the server's CPU-seconds per session (opening, and the
campaign change), the median and worst wall time until a session's render is complete,
and the server's resident memory before, at its peak, and its growth per session held
open. CPU and memory are read from ``/proc`` (Linux). One warm-up session runs first:
the server's first render fills the process-wide caches once, which no later visitor
pays.

Targets: ≤ 0.10 CPU-seconds per Overview session, 50 sessions opening at once served
within 6 s on 2 cores, ≤ 3 MB of resident memory per session.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
RENDER_TIMEOUT = 120.0
SETTLE = 0.5  # seconds waited after a crowd's last render before reading CPU and memory
CAMPAIGNS_LABEL = "Campaigns"
# The pages a crowd opens: the Overview, and the Brief the emailed brief links to
# (Streamlit's page name, the title the page draws).
PAGES = {"overview": ("", "Trust overview"), "brief": ("Brief", "Leadership brief")}
XSRF = "2|a1b2c3d4|0123456789abcdef0123456789abcdef|1700000000"


@dataclass
class Render:
    """One session's render: wall time until ``script_finished`` and what it drew."""

    seconds: float
    messages: int = 0
    bytes: int = 0
    ok: bool = True
    page: bool = False  # the page's title was drawn (not a sign-in or error page)


@dataclass
class Session:
    ws: Any
    page: str = "overview"
    session_id: str = ""
    campaigns_widget: str = ""
    campaign_options: list[str] = field(default_factory=list)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from ``/proc``."""
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * PAGE_SIZE / 1e6


class PeakRss:
    """Samples a process's resident memory every 20 ms while active."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_app(db: Path, workdir: Path, env: dict[str, str] | None = None) -> Iterator[Any]:
    """``streamlit run app.py`` on a free port, as deployed (headless, no file watcher)."""
    port = _free_port()
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "HOME": str(home), "TRUSTDASH_DB": str(db), **(env or {})}
    full_env.pop("TRUSTDASH_PUBLIC", None)
    log = (workdir / "streamlit.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(  # noqa: S603 (our own command line)
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the app stopped at start (see {log.name})")
            try:
                if httpx.get(url + "/_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not answer within 60 s")
            time.sleep(0.2)
        yield proc, url
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen) -> None:
    """Stop a server process: politely, then for good after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _rerun(page: str, widgets: list[Any] | None = None) -> bytes:
    """The BackMsg a browser sends to run a page (with its context and widget states)."""
    back = BackMsg()
    cs = back.rerun_script
    cs.page_name = PAGES[page][0]
    cs.context_info.timezone = "Europe/Paris"
    cs.context_info.timezone_offset = -60
    cs.context_info.locale = "en-GB"
    cs.context_info.url = "http://127.0.0.1/"
    cs.context_info.is_embedded = False
    cs.context_info.color_scheme = "light"
    if widgets:
        cs.widget_states.widgets.extend(widgets)
    return back.SerializeToString()


async def _wait_render(sess: Session, started: float) -> Render:
    """Read ForwardMsgs until the run is finished; note the campaign widget on the way."""
    render = Render(seconds=0.0)
    while True:
        raw = await asyncio.wait_for(sess.ws.recv(), RENDER_TIMEOUT)
        render.messages += 1
        render.bytes += len(raw)
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            sess.session_id = msg.new_session.initialize.session_id
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            if el.WhichOneof("type") == "multiselect" and el.multiselect.label == CAMPAIGNS_LABEL:
                sess.campaigns_widget = el.multiselect.id
                sess.campaign_options = list(el.multiselect.options)
            elif el.WhichOneof("type") == "exception":
                render.ok = False
            elif el.WhichOneof("type") == "heading" and el.heading.body == PAGES[sess.page][1]:
                render.page = True
        elif kind == "script_finished":
            # A rerun request ends a run early and another run follows: only a complete
            # run counts as the render.
            if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue
            render.ok = render.ok and msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
            render.seconds = time.perf_counter() - started
            return render


async def _open(url: str, xsrf: str, page: str) -> tuple[Session, Render]:
    started = time.perf_counter()
    ws = await websockets.connect(
        url.replace("http", "ws") + "/_stcore/stream",
        subprotocols=["streamlit", xsrf],  # type: ignore[list-item]
        additional_headers={"Cookie": f"_streamlit_xsrf={xsrf}", "Origin": url},
        max_size=None,
    )
    sess = Session(ws=ws, page=page)
    await ws.send(_rerun(page))
    return sess, await _wait_render(sess, started)


async def _change_campaign(sess: Session) -> Render:
    started = time.perf_counter()
    if not sess.campaigns_widget or not sess.campaign_options:
        return Render(seconds=0.0, ok=False)
    state = WidgetState(id=sess.campaigns_widget)
    state.string_array_value.data.extend(sess.campaign_options[:1])
    await sess.ws.send(_rerun(sess.page, widgets=[state]))
    return await _wait_render(sess, started)


async def _xsrf(url: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        page = await http.get("/")
        # Streamlit accepts a well-formed token it did not set when the cookie matches it.
        return page.cookies.get("_streamlit_xsrf") or XSRF


async def crowd(url: str, pid: int, n: int, page: str = "overview") -> dict[str, Any]:
    """Open ``n`` sessions of ``page`` at once, then change the campaign in each; figures
    for both."""
    xsrf = await _xsrf(url)
    rss_before = rss_mb(pid)
    with PeakRss(pid) as peak:
        cpu0 = cpu_seconds(pid)
        opened = await asyncio.gather(*(_open(url, xsrf, page) for _ in range(n)))
        # The server's work after the last message (its housekeeping) counts too.
        await asyncio.sleep(SETTLE)
        cpu1 = cpu_seconds(pid)
        rss_open = rss_mb(pid)
        changed = await asyncio.gather(*(_change_campaign(s) for s, _ in opened))
        await asyncio.sleep(SETTLE)
        cpu2 = cpu_seconds(pid)
    for s, _ in opened:
        await s.ws.close()
    first = [r.seconds for _, r in opened]
    change = [r.seconds for r in changed]
    renders = [r for _, r in opened] + changed
    return {
        "sessions": n,
        "ok": all(r.ok and r.page for r in renders),
        "cpu_open": (cpu1 - cpu0) / n,
        "cpu_change": (cpu2 - cpu1) / n,
        "first_median": statistics.median(first),
        "first_worst": max(first),
        "change_median": statistics.median(change),
        "change_worst": max(change),
        "rss_before": rss_before,
        "rss_peak": peak.peak,
        "rss_per_session": (rss_open - rss_before) / n,
        "kb_per_render": statistics.mean(r.bytes for _, r in opened) / 1e3,
        "messages_per_render": statistics.mean(r.messages for _, r in opened),
    }


def _in_own_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on an event loop of its own thread: the caller may already run a
    loop (a notebook, a browser test's sync API)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _demo_store(workdir: Path) -> Path:
    db = workdir / "demo.duckdb"
    proc = subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, "-m", "trustdash", "demo", "--db", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"the demo store could not be built: {proc.stderr.strip()}")
    return db


def run(
    sessions: tuple[int, ...] = (1, 10, 25, 50),
    db: str | None = None,
    page: str = "overview",
    out: Callable[[str], Any] = print,
) -> list[dict[str, Any]]:
    """Run the benchmark and print its table; returns one row per crowd size."""
    workdir = Path(tempfile.mkdtemp(prefix="trustdash-sessions-"))
    try:
        if db:  # a copy: the app may migrate or re-derive the store it opens
            store = workdir / "store.duckdb"
            shutil.copy2(db, store)
        else:
            store = _demo_store(workdir)
        rows: list[dict[str, Any]] = []
        with running_app(store, workdir) as (proc, url):
            out(f"server pid {proc.pid} on {url}; cores: {os.cpu_count()}")
            out(f"page: {page}")
            warm = _in_own_loop(crowd(url, proc.pid, 1, page))
            out(f"warm-up session: {warm['cpu_open']:.2f} CPU-s, "
                f"{warm['first_median']:.2f} s to the first render")  # fmt: skip
            for n in sessions:
                row = _in_own_loop(crowd(url, proc.pid, n, page))
                rows.append(row)
        _print(rows, out)
        return rows
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _print(rows: list[dict[str, Any]], out: Callable[[str], Any]) -> None:
    out("")
    out(
        f"{'sessions':>8} {'CPU-s/open':>10} {'CPU-s/change':>12} {'first med':>9} "
        f"{'first worst':>11} {'chg med':>7} {'chg worst':>9} {'RSS peak MB':>11} "
        f"{'MB/session':>10} {'kB/render':>9} {'msgs/render':>11}"
    )
    for r in rows:
        out(
            f"{r['sessions']:>8} {r['cpu_open']:>10.3f} {r['cpu_change']:>12.3f} "
            f"{r['first_median']:>8.2f}s {r['first_worst']:>10.2f}s {r['change_median']:>6.2f}s "
            f"{r['change_worst']:>8.2f}s {r['rss_peak']:>11.0f} {r['rss_per_session']:>10.2f} "
            f"{r['kb_per_render']:>9.0f} {r['messages_per_render']:>11.0f}"
            + ("" if r["ok"] else "  (some runs failed)")
        )
    out("targets: CPU-s/open ≤ 0.10; 50 sessions' worst first render ≤ 6 s; MB/session ≤ 3")
