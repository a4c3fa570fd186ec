"""The shipped proxy configuration: valid for nginx, and its upload body limit matches
Streamlit's ``server.maxUploadSize``."""

from __future__ import annotations

import asyncio
import concurrent.futures
import getpass
import re
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import httpx
import pytest
from conftest import ROOT

from tests.browser_support import free_port
from trustdash.bench import sessions

NGINX = ROOT / "deploy" / "nginx.conf"


def _upload_location() -> str:
    text = NGINX.read_text(encoding="utf-8")
    return text[text.index("location /_stcore/upload_file/") :]


def test_upload_body_limit_matches_streamlit() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    limit = re.search(r"client_max_body_size\s+(\d+)m;", _upload_location())
    assert limit and int(limit.group(1)) == config["server"]["maxUploadSize"]
    assert "limit_req" in _upload_location()


def _nginx_conf(tmp_path: Path, *, upstream: str, port: int) -> Path:
    """The shipped configuration, runnable without root: upstream, port and paths moved."""
    conf = NGINX.read_text(encoding="utf-8").replace("server app:8501;", f"server {upstream};")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{port};")
    conf = conf.replace("/var/cache/nginx/trustdash", str(tmp_path / "cache"))
    (tmp_path / "td.conf").write_text(conf)
    main = tmp_path / "nginx.conf"
    main.write_text(
        # Workers run as this user (nginx ignores it for a non-root master): they write the cache.
        f"user {getpass.getuser()};\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events { worker_connections 512; }\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; "
        f"proxy_temp_path {tmp_path}/proxy; include {tmp_path}/td.conf; }}\n"
    )
    return main


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    main = _nginx_conf(tmp_path, upstream="127.0.0.1:9", port=9)
    proc = subprocess.run(["nginx", "-t", "-c", str(main)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.browser  # a real app behind a real nginx
@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_the_proxy_serves_a_crowd_static_files_from_its_cache(
    tmp_path: Path, demo_db: Path
) -> None:
    """A page's ~130 static files, fetched at once by a new visitor, all arrive (none is
    refused by the request limit); the second visitor's copies come from nginx's cache, not
    from the app; the page's websocket session renders the Overview through the proxy."""
    db = tmp_path / "store.duckdb"
    shutil.copy2(demo_db, db)
    with sessions.running_app(db, tmp_path) as (app, app_url):
        port = free_port()
        main = _nginx_conf(tmp_path, upstream=app_url.removeprefix("http://"), port=port)
        nginx = subprocess.Popen(["nginx", "-c", str(main), "-g", "daemon off;"])
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_for(url)
            index = httpx.get(url + "/", timeout=10).text
            assets = sorted(set(re.findall(r'(?:src|href)="\.?/?(static/[^"]+)"', index)))
            assert assets, "the page names no static file"
            # Every file the entry script imports, as the browser then asks for them.
            entry = httpx.get(f"{url}/{assets[0]}", timeout=10).text
            assets += sorted(set(re.findall(r'"\.?/?(static/js/[^"]+\.js)"', entry)))[:120]

            def fetch(path: str) -> httpx.Response:
                return httpx.get(f"{url}/{path}", timeout=30)

            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                first = list(pool.map(fetch, assets))
                second = list(pool.map(fetch, assets))
            assert [r.status_code for r in first] == [200] * len(assets)
            assert {r.headers.get("x-cache-status") for r in second} == {"HIT"}
            assert [r.content for r in second] == [r.content for r in first]
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                row = pool.submit(asyncio.run, sessions.crowd(url, app.pid, 2)).result()
            assert row["ok"], row
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


def _wait_for(url: str) -> None:
    for _ in range(100):
        try:
            httpx.get(url + "/_stcore/health", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("nginx did not start")
