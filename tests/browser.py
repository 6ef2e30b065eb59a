"""Headless Chromium against a live server, for the page tests (pytest.mark.browser).

The page is driven with Playwright (the ``browser`` extra, from PyPI) through Debian's
``/usr/bin/chromium`` (``executable_path``): Playwright's own browser download is never needed, so
the tests install offline from the package registries.  Playwright is used rather than raw
DevTools Protocol calls because it waits for elements, clicks like a user (focus, keyboard) and
captures downloads.  axe-core's ``axe.min.js`` comes from npm (``make test-browser`` installs it
under ``.cache/browser``; ``RECSYS_AXE_JS`` may name another copy).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / ".cache" / "browser" / "node_modules" / "axe-core" / "axe.min.js"


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


@contextlib.contextmanager
def browser() -> Iterator[object]:
    """A Playwright Chromium browser (Debian's binary, headless)."""
    chromium = chromium_or_skip()
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs playwright (pip install -e '.[browser]')"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


def new_page(b, key: str | None = None, errors: list[str] | None = None):
    """A page in a fresh context; ``key`` is put in sessionStorage before any script runs (a user
    who entered it earlier in this tab), ``errors`` collects the page's script errors."""
    context = b.new_context(accept_downloads=True)
    if key is not None:
        context.add_init_script(f"sessionStorage.setItem('recsys-key', {json.dumps(key)})")
    page = context.new_page()
    page.set_default_timeout(60_000)
    if errors is not None:
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of ``impacts`` on the page as it is (WCAG 2.x A/AA rules)."""
    path = Path(os.environ.get("RECSYS_AXE_JS", AXE))
    if not path.is_file():
        pytest.fail(
            f"axe-core not found at {path}: run `make test-browser` (npm install axe-core) or set "
            "RECSYS_AXE_JS"
        )
    page.add_script_tag(content=path.read_text("utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]
