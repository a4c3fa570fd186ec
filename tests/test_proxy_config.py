"""The shipped proxy configuration: valid for nginx, and its upload body limit matches
Streamlit's ``server.maxUploadSize``."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT

NGINX = ROOT / "deploy" / "nginx.conf"


def _upload_location() -> str:
    text = NGINX.read_text(encoding="utf-8")
    return text[text.index("location /_stcore/upload_file/") :]


def test_upload_body_limit_matches_streamlit() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    limit = re.search(r"client_max_body_size\s+(\d+)m;", _upload_location())
    assert limit and int(limit.group(1)) == config["server"]["maxUploadSize"]
    assert "limit_req" in _upload_location()


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    conf = NGINX.read_text(encoding="utf-8").replace("server app:8501;", "server 127.0.0.1:9;")
    (tmp_path / "td.conf").write_text(conf.replace("listen 80;", "listen 127.0.0.1:9;"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; "
        f"proxy_temp_path {tmp_path}/proxy; include {tmp_path}/td.conf; }}\n"
    )
    proc = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
