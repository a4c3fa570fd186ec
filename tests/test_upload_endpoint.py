"""Against a running server: a visitor who never signs in gets a session id and an XSRF
cookie from the sign-in page, yet the upload endpoint refuses their files (403) instead
of keeping them in memory."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.browser_support import auth_secrets, free_port, make_app_dir, run_streamlit

pytestmark = pytest.mark.browser  # a real server (skipped with the browser tests)

XSRF = "2|a1b2c3d4|0123456789abcdef0123456789abcdef|1700000000"


async def _upload_as_anonymous(url: str) -> tuple[int, str, bool]:
    """Open a session like the browser does, run the page, then PUT 5 MB to it."""
    async with httpx.AsyncClient(base_url=url) as http:
        page = await http.get("/")
        xsrf = page.cookies.get("_streamlit_xsrf") or XSRF
        async with websockets.connect(
            url.replace("http", "ws") + "/_stcore/stream",
            subprotocols=["streamlit", xsrf],  # type: ignore[list-item]
            additional_headers={"Cookie": f"_streamlit_xsrf={xsrf}", "Origin": url},
        ) as ws:
            back = BackMsg()
            back.rerun_script.query_string = ""
            await ws.send(back.SerializeToString())
            session_id, signed_out_page = "", False
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(await asyncio.wait_for(ws.recv(), 60))
                if msg.HasField("new_session"):
                    session_id = msg.new_session.initialize.session_id
                if msg.HasField("delta") and "Sign in to see" in str(msg.delta):
                    signed_out_page = True
                if msg.HasField("script_finished"):
                    break
            resp = await http.put(
                f"/_stcore/upload_file/{session_id}/f1",
                files={"file": ("big.csv", b"x" * 5_000_000, "text/csv")},
                headers={"X-Xsrftoken": xsrf},
                cookies={"_streamlit_xsrf": xsrf},
            )
            return resp.status_code, resp.text, signed_out_page


def test_anonymous_upload_is_refused(tmp_path: Path, demo_db: Path) -> None:
    port = free_port()
    app_dir = make_app_dir(
        tmp_path / "app", auth_secrets(port, 9, editors=["ana@agency.example"], viewers=[])
    )
    db = tmp_path / "store.duckdb"
    shutil.copy2(demo_db, db)
    with run_streamlit(app_dir, tmp_path, db=db, port=port) as server:
        status, body, signed_out_page = asyncio.run(_upload_as_anonymous(server.url))
    assert signed_out_page, "the session did not reach the sign-in page"
    assert status == 403, (status, body)
    assert "signed-in editor" in body  # refused by the app's guard, not by XSRF
