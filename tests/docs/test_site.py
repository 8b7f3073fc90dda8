"""The documentation site: a strict build, then every page in a real headless Chromium.

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` installs it) and
is driven by Playwright, whose wheel brings its own driver and no browser. Without
Chromium the test is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import contextlib
import os
import pkgutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: How often, and how long each time, the search test waits for the index to answer.
SEARCH_ATTEMPTS = 12
SEARCH_WAIT_MS = 15_000

pytestmark = pytest.mark.slow


def _chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs the Debian package chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built with warnings as errors (``strict: true`` and ``--strict``)."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    return out


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The built site over HTTP on 127.0.0.1, as a browser sees it, from a server process
    of its own (so nothing else in the test process can slow its answers)."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def playwright() -> Iterator[object]:
    """One Playwright driver for the module (a second one cannot start inside the first)."""
    _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@contextlib.contextmanager
def _browser(playwright: object, profile: Path) -> Iterator[object]:
    """A fresh headless Chromium with a profile of its own; yields its first page."""
    from playwright.sync_api import Playwright

    assert isinstance(playwright, Playwright)
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
    )
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def browser_page(
    served: str, playwright: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    with _browser(playwright, tmp_path_factory.mktemp("chromium-profile")) as page:
        yield page


def _pages(site: Path) -> list[str]:
    """Every page of the site, as a path relative to its root."""
    pages = sorted(
        path.relative_to(site).parent.as_posix() + "/"
        for path in site.rglob("index.html")
        if "assets" not in path.parts
    )
    return ["" if page == "./" else page for page in pages]


def _public_modules() -> list[str]:
    """Every module of aioproton whose dotted path has no private part."""
    import aioproton

    names = ["aioproton"]
    for info in pkgutil.walk_packages(aioproton.__path__, prefix="aioproton."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


def test_the_site_has_a_page_for_every_public_module(site: Path) -> None:
    pages = _pages(site)
    modules = [*_public_modules(), "aioproton.models"]
    assert "aioproton.workflow.rollout" in modules
    missing = [module for module in modules if f"reference/{module}/" not in pages]
    assert missing == []
    for page in ("tour/", "cli/", "emulator/", "migration/", "production/", "pytest-plugin/"):
        assert page in pages
    # Every model, the enums and union aliases too (made at run time, not by statements).
    from aioproton import models

    reference = (site / "reference" / "aioproton.models" / "index.html").read_text()
    undocumented = [
        name for name in models.__all__ if f'id="aioproton.models.{name}"' not in reference
    ]
    assert undocumented == []
    assert 'id="aioproton.models.DeploymentStatus.SUCCEEDED"' in reference
    cli = (site / "cli" / "index.html").read_text()
    assert "aioproton rollout" in cli
    assert "--deploy-seconds" in cli


def test_search_finds_create_environment(served: str, playwright: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    # A browser of its own: in the one that walked every page (each page starts a search
    # worker that builds the whole index), search was seen never to answer.
    with _browser(playwright, tmp_path / "profile") as page:
        assert isinstance(page, Page)
        page.goto(served, wait_until="load")
        search = page.locator("input.md-search__input")
        results = page.locator(".md-search-result__item")
        # The index (every operation, every model) is built in a web worker after the page
        # loads; on a busy machine that takes a while. A query typed before it is ready
        # finds nothing, so type it again until results come, within a generous bound.
        for attempt in range(SEARCH_ATTEMPTS):
            if attempt >= 2:
                # Under load the page's search was seen never to become ready, however
                # long it waited: a reload starts its worker afresh.
                page.reload(wait_until="load")
            search.click()
            search.fill("")
            search.fill("create_environment")
            try:
                results.first.wait_for(timeout=SEARCH_WAIT_MS)
                break
            except PlaywrightTimeoutError:
                continue
        texts = results.all_inner_texts()
        assert any("create_environment" in text for text in texts), texts
        links = [
            link.get_attribute("href") or ""
            for link in page.locator(".md-search-result__link").all()
        ]
        # The method itself, on the reference page of the package that exports ProtonClient.
        assert any(
            "/reference/aioproton/" in link and link.endswith(".create_environment")
            for link in links
        ), links


def test_every_page_renders_without_console_errors(
    site: Path, served: str, browser_page: object
) -> None:
    from playwright.sync_api import ConsoleMessage, Error, Page, Request

    assert isinstance(browser_page, Page)
    page = browser_page
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"{page.url}: console error: {message.text}")

    def on_page_error(error: Error) -> None:
        problems.append(f"{page.url}: uncaught {error}")

    def on_request(request: Request) -> None:
        # The site must render offline: no fonts, scripts or styles from elsewhere.
        if not request.url.startswith((served, "data:", "blob:")):
            problems.append(f"{page.url}: requested {request.url}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("request", on_request)
    paths = _pages(site)
    assert len(paths) > 30
    for path in paths:
        response = page.goto(served + path, wait_until="load")
        assert response is not None
        assert response.status == 200, path
        heading = page.locator("article h1").first
        assert heading.inner_text().strip(), f"{path} has no title"
    assert problems == []
