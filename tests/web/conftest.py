"""The pages in a real browser: Debian's chromium, driven by Playwright's Python API, against a
local stack started for the module (tests/local_stack.py).

No browser is ever downloaded (``playwright install`` is never run): the tests use the
system's /usr/bin/chromium, which `.ci/run` installs when it is missing, and fail — never
skip — without it. Screenshots go to .artifacts/web/ (kept by CI as artifacts): the steps
the tests name, and every open page of a test that failed. A script error on any page
(an uncaught exception) fails the test that opened it.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.local_stack import local_stack
from tests.web.pages import ARTIFACTS, DESKTOP, artifact

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (containers), no GPU, and nothing that would reach the internet on its own.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("the browser tests need Debian's chromium: apt-get install chromium (.ci/run installs it)")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # this run's screenshots only
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with local_stack(tmp_path_factory.mktemp("web-stack")) as running:
        yield running


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def open_page(browser, request):
    """open_page(viewport, **context options) → a new page in a context of its own (its own storage)."""
    opened = []

    def make(viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        context.set_default_timeout(10_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        opened.append((context, page, errors))
        return page

    yield make
    call = getattr(request.node, "report_call", None)
    for n, (context, page, errors) in enumerate(opened):
        if call is not None and call.failed:
            page.screenshot(path=str(artifact(f"{request.node.name}-failed-{n}")), full_page=True)
        context.close()
    if call is not None and call.passed:
        assert [e for _, _, found in opened for e in found] == [], "a page raised a script error"


@pytest.fixture(scope="session")
def photo(browser, tmp_path_factory) -> Path:
    """A real JPEG photo, made by the browser itself (a rendered scene, screenshotted)."""
    page = browser.new_page(viewport={"width": 320, "height": 240})
    page.set_content(
        "<body style='margin:0;background:linear-gradient(#9cc3e6,#e8d9b0)'>"
        "<div style='position:absolute;left:60px;top:120px;width:200px;height:90px;background:#5b4a3a'></div>"
        "<p style='position:absolute;left:70px;top:20px;font:32px sans-serif'>垃圾堆</p></body>"
    )
    path = tmp_path_factory.mktemp("photo") / "垃圾堆.jpg"
    path.write_bytes(page.screenshot(type="jpeg", quality=80))
    page.close()
    return path
