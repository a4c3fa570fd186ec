"""Real-browser end-to-end tests (Playwright + Debian chromium): sharing with leadership.

Run with ``pytest -m browser``; skipped when ``/usr/bin/chromium`` is missing. One open-access
server serves the Overview, upload and share-link tests; the login tests start their own
servers against a local OpenID Connect provider (``oidc-provider-mock``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_PATHS,
    READY,
    ROOT,
    Server,
    auth_secrets,
    demo_comments_csv,
    free_port,
    make_app_dir,
    run_streamlit,
    wait_healthy,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]

# Playwright is only needed here; keep collection clean where it is missing.
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
Page = playwright_api.Page

PAGE_TIMEOUT_MS = 60_000
CAMPAIGN = "Summer Sale 2026"
VIEWER = "vera@brand.example"
EDITOR = "ana@agency.example"
OUTSIDER = "mallory@elsewhere.example"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(autouse=True)
def _timeouts(page: Page) -> None:
    page.set_default_timeout(PAGE_TIMEOUT_MS)


@pytest.fixture(scope="module")
def open_server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app with no login (local use) on a copy of the demo store."""
    work = tmp_path_factory.mktemp("open_server")
    db = work / "store.duckdb"
    shutil.copy2(demo_db, db)
    with run_streamlit(Path(__file__).resolve().parent.parent, work, db=db) as server:
        yield server


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[str]:
    """A real OpenID Connect provider on localhost (accepts any client id and secret)."""
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    oidc = pytest.importorskip("oidc_provider_mock")
    with oidc.run_server_in_thread(port=0) as srv:
        yield f"http://localhost:{srv.server_port}"


def _auth_server(provider: str, demo_db: Path, work: Path) -> tuple[Path, Path, int]:
    port = free_port()
    provider_port = int(provider.rsplit(":", 1)[1])
    secrets = auth_secrets(
        port, provider_port, editors=[EDITOR], viewers=[VIEWER, "@board.example"]
    )
    app_dir = make_app_dir(work / "app", secrets)
    db = work / "store.duckdb"
    shutil.copy2(demo_db, db)
    return app_dir, db, port


def _start_auth_server(provider: str, demo_db: Path, work: Path):
    app_dir, db, port = _auth_server(provider, demo_db, work)
    return run_streamlit(
        app_dir, work, db=db, port=port,
        env={"AUTHLIB_INSECURE_TRANSPORT": "1", "TRUSTDASH_PUBLIC": "1"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def auth_server(
    oidc_provider: str, demo_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with _start_auth_server(oidc_provider, demo_db, tmp_path_factory.mktemp("auth")) as server:
        yield server


# --------------------------------------------------------------------------- helpers


def goto(page: Page, url: str) -> None:
    page.goto(url)
    ready(page)


def ready(page: Page) -> None:
    """Wait until the script run is over (a rerun may start right after: wait twice)."""
    page.wait_for_timeout(300)
    page.locator(READY).wait_for(timeout=PAGE_TIMEOUT_MS)
    page.wait_for_timeout(300)
    page.locator(READY).wait_for(timeout=PAGE_TIMEOUT_MS)


def trust_headline(page: Page) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text="Brand Trust Score").first
    value = metric.get_by_test_id("stMetricValue").inner_text().strip()
    assert re.fullmatch(r"\d{1,3}( ⚠)?", value), f"trust headline is {value!r}"
    return value


def sidebar_multiselect(page: Page, label: str):
    return page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text=label)


def dropdown_options(page: Page, label: str) -> list[str]:
    box = sidebar_multiselect(page, label)
    box.locator("input").click()
    options = page.get_by_role("option")
    options.first.wait_for()
    names = [o.strip() for o in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return names


def shot(page: Page, name: str, height: int = 2400) -> Path:
    """Screenshot of the whole page: Streamlit scrolls inside its main block, so the viewport
    is made tall enough instead of relying on ``full_page``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    size = page.viewport_size or {"width": 1400, "height": 1000}
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_timeout(1500)  # plotly redraws at the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def login(page: Page, server: Server, email: str) -> None:
    """Sign in through the provider's authorise form as ``email``."""
    goto(page, server.url + "/")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(rf"^{re.escape(server.url)}/?(\?.*)?$"))
    ready(page)


def assert_no_data(page: Page) -> None:
    """Nothing from the store on screen: no metric, no table, no chart, no filters."""
    for test_id in ("stMetric", "stDataFrame", "stPlotlyChart", "stTable", "stFileUploader"):
        assert page.get_by_test_id(test_id).count() == 0, f"{test_id} shown without access"
    assert page.get_by_text("Brand Trust Score").count() == 0
    assert page.get_by_text("Copy share link").count() == 0


# --------------------------------------------------------------------------- open access


def test_overview_shows_trust_and_channels(page: Page, open_server: Server) -> None:
    goto(page, open_server.url + "/")
    expect(page.get_by_role("heading", name="Trust overview")).to_be_visible()
    value = int(trust_headline(page).split()[0])
    assert 0 <= value <= 100
    # Channel names are drawn as SVG text in the per-channel chart.
    chart_text = page.get_by_test_id("stPlotlyChart").first.text_content() or ""
    for channel in ("facebook", "instagram", "linkedin", "youtube"):
        assert channel in chart_text, f"{channel} missing from the channel chart"
    assert "facebook" in dropdown_options(page, "Channels")
    shot(page, "overview.png", height=2600)


def test_brief_screenshot(page: Page, open_server: Server) -> None:
    goto(page, open_server.url + "/Brief")
    expect(page.get_by_role("heading", name="Leadership brief")).to_be_visible()
    trust_headline(page)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2)
    shot(page, "brief.png", height=2000)


def test_upload_adds_a_channel(page: Page, open_server: Server, tmp_path: Path) -> None:
    csv = tmp_path / "mastodon_comments.csv"
    csv.write_bytes(demo_comments_csv(30, channel="mastodon"))
    goto(page, open_server.url + "/Import")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))
    ready(page)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("1 file(s) imported.")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    ready(page)
    goto(page, open_server.url + "/")
    assert "mastodon" in dropdown_options(page, "Channels")
    chart_text = page.get_by_test_id("stPlotlyChart").first.text_content() or ""
    assert "mastodon" in chart_text


def test_share_link_reopens_same_numbers(page: Page, open_server: Server) -> None:
    goto(page, open_server.url + "/")
    before = trust_headline(page)
    box = sidebar_multiselect(page, "Campaigns")
    box.locator("input").click()
    page.get_by_role("option", name=CAMPAIGN).click()
    # Close the dropdown (it hides the rest of the page from role queries), then click
    # elsewhere: right after Escape the next click on the sidebar is swallowed.
    page.keyboard.press("Escape")
    ready(page)
    page.get_by_role("heading", name="Trust overview").click()
    ready(page)
    # The URL follows the rerun: on a loaded host that takes longer than expect()'s 5 s.
    expect(page).to_have_url(re.compile(r"campaign=Summer\+Sale\+2026"), timeout=PAGE_TIMEOUT_MS)
    filtered = trust_headline(page)

    code = page.get_by_test_id("stSidebar").get_by_test_id("stCode")
    link = code.first.inner_text().strip()
    assert link.startswith(open_server.url), link
    assert "campaign=Summer+Sale+2026" in link

    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        fresh = other.new_page()
        fresh.set_default_timeout(PAGE_TIMEOUT_MS)
        goto(fresh, link)
        assert trust_headline(fresh) == filtered, (before, filtered)
        chips = sidebar_multiselect(fresh, "Campaigns").inner_text()
        assert CAMPAIGN in chips
    finally:
        other.close()


def test_copy_button_puts_the_share_link_on_the_clipboard(
    page: Page, open_server: Server
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=open_server.url)
    goto(page, open_server.url + "/Conversations?sentiment=negative&q=remboursement")
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    shown = page.get_by_test_id("stSidebar").get_by_test_id("stCode").first.inner_text().strip()
    assert shown.startswith(open_server.url + "/Conversations?"), shown
    assert "sentiment=negative" in shown and "q=remboursement" in shown
    button = page.get_by_test_id("stSidebar").frame_locator("iframe").first
    button.get_by_role("button", name="Copy share link").click()
    expect(button.get_by_role("status")).to_have_text("Link copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == shown, (copied, shown)
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_test_id("stSidebar").screenshot(path=str(ARTIFACTS / "share-link.png"))


# --------------------------------------------------------------------------- login


def test_deep_links_without_login_are_refused(
    page: Page, oidc_provider: str, demo_db: Path, tmp_path: Path
) -> None:
    # A freshly started server: no session has run app.py yet (legacy pages/ router window).
    with _start_auth_server(oidc_provider, demo_db, tmp_path) as server:
        for path in PAGE_PATHS:
            goto(page, server.url + path)
            expect(page.get_by_text("Sign in to see this dashboard.")).to_be_visible()
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            assert_no_data(page)
            # Query parameters must not reveal anything either.
        goto(page, server.url + "/Campaigns?campaign=Summer+Sale+2026&channel=x")
        assert_no_data(page)


def test_viewer_sees_pages_but_not_import(page: Page, auth_server: Server) -> None:
    login(page, auth_server, VIEWER)
    expect(page.get_by_role("heading", name="Trust overview")).to_be_visible()
    trust_headline(page)
    expect(page.get_by_text(f"Signed in as {VIEWER} · viewer")).to_be_visible()
    goto(page, auth_server.url + "/Campaigns")
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    goto(page, auth_server.url + "/Import")
    expect(page.get_by_text("Your role is read-only (viewer)")).to_be_visible()
    assert page.get_by_test_id("stFileUploader").count() == 0


def test_editor_can_import(page: Page, auth_server: Server) -> None:
    login(page, auth_server, EDITOR)
    goto(page, auth_server.url + "/Import")
    expect(page.get_by_test_id("stFileUploader")).to_be_visible()


def test_disallowed_user_is_refused(page: Page, auth_server: Server) -> None:
    login(page, auth_server, OUTSIDER)
    expect(page.get_by_text(f"{OUTSIDER} is not allowed to see this dashboard.")).to_be_visible()
    assert_no_data(page)
    goto(page, auth_server.url + "/Brief")
    expect(page.get_by_text("is not allowed to see this dashboard")).to_be_visible()
    assert_no_data(page)


# --------------------------------------------------------------------------- Docker command line


def _dockerfile() -> tuple[list[str], dict[str, str]]:
    """The image's ENTRYPOINT (JSON form) and ENV settings, read from the Dockerfile."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    entry = json.loads(re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", text, re.M).group(1))
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV\s+(.*)$", text, re.M):
        env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return entry, env


def test_docker_command_line(page: Page, oidc_provider: str, demo_db: Path, tmp_path: Path) -> None:
    """No Docker engine here: run the image's exact command line and ENV outside Docker."""
    entry, image_env = _dockerfile()
    assert entry[:3] == ["streamlit", "run", "app.py"]
    assert "--server.address=0.0.0.0" in entry and "--server.headless=true" in entry
    assert image_env["TRUSTDASH_PUBLIC"] == "1"
    assert image_env["TRUSTDASH_DB"] == "/app/data/trustdash.duckdb"

    def command(port: int) -> list[str]:
        args = [a.replace("--server.port=8501", f"--server.port={port}") for a in entry[1:]]
        return [sys.executable, "-m", "streamlit", *args, "--server.fileWatcherType=none"]

    env = {k: v for k, v in image_env.items() if k.startswith("TRUSTDASH_") and k != "TRUSTDASH_DB"}
    # The image's default (hosted mode) without any secrets: refuses, shows nothing.
    bare = make_app_dir(tmp_path / "bare")
    port = free_port()
    with run_streamlit(
        bare, tmp_path / "w1", db=tmp_path / "bare.duckdb", env=env, command=command(port),
        port=port,
    ) as server:  # fmt: skip
        wait_healthy(server)
        goto(page, server.url + "/")
        expect(page.get_by_text("hosted mode (TRUSTDASH_PUBLIC=1)")).to_be_visible()
        assert_no_data(page)
    # With [auth] in the mounted secrets: the sign-in prompt.
    app_dir, db, port = _auth_server(oidc_provider, demo_db, tmp_path / "w2")
    with run_streamlit(
        app_dir, tmp_path / "w2", db=db, command=command(port), port=port,
        env={**env, "AUTHLIB_INSECURE_TRANSPORT": "1"},
    ) as server:  # fmt: skip
        goto(page, server.url + "/Brief")
        expect(page.get_by_text("Sign in to see this dashboard.")).to_be_visible()
        assert_no_data(page)


# --------------------------------------------------------------------------- offline brief


def test_offline_brief_renders_without_network(page: Page, demo_db: Path, tmp_path: Path) -> None:
    """The HTML brief opened from disk draws its charts and requests nothing else."""
    out = tmp_path / "brief.html"
    db = tmp_path / "demo.duckdb"
    shutil.copy2(demo_db, db)
    proc = subprocess.run(
        [sys.executable, "-m", "trustdash", "report", "--db", str(db), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())
    page.goto(out.as_uri())
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    assert page.locator("#trust-headline").inner_text().strip().isdigit()
    page.wait_for_timeout(500)
    assert [u for u in requests if not u.startswith("file:")] == []
