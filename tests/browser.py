"""Headless Chromium against a live server, for the page tests (pytest.mark.browser)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest


def chromium_or_skip() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("needs chromium (apt-get install -y chromium; `make test-browser` installs it)")
    return chromium


@contextlib.contextmanager
def served(app, port: int) -> Iterator[str]:
    """``app`` served by uvicorn on a thread; yields its base URL, stops it on exit."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def dump_dom(chromium: str, url: str, budget_ms: int = 20000) -> str:
    """The page's DOM after its scripts ran (virtual time: fetches complete before the dump)."""
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--virtual-time-budget={budget_ms}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
