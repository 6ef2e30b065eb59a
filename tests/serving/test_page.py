from __future__ import annotations

import shutil
import subprocess
import threading
import time

import pytest
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender

pytestmark = pytest.mark.browser


def test_page_shows_the_api_ranking_in_headless_chromium():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("needs chromium (apt-get install -y chromium)")
    import uvicorn

    from recsys.serving.api import create_app

    rec = Recommender.load(tiny_bundle())
    role = some_role(rec)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(recommender=rec, api_keys=["page-key"]),
            host="127.0.0.1",
            port=8797,
            log_level="error",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        url = f"http://127.0.0.1:8797/?role={role}&k=5&key=page-key"
        dom = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=15000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    want = rec.shortlist(role_id=role, k=5).to_frame()["candidate_id"].tolist()
    positions = [dom.find(f"<td>{c}</td>") for c in want]
    assert all(p > 0 for p in positions), dom[-2000:]
    assert positions == sorted(positions)
    assert "required" in dom or "missing" in dom
