"""Browser tests drive Debian's Chromium through Playwright (never a downloaded one).

Without Chromium they skip with a message, unless REQUIRE_BROWSER=1 (CI sets
it), where a missing browser is a failure.
"""

import os
from pathlib import Path

import pytest

from tools.screens import ARGS as CHROMIUM_ARGS
from tools.screens import find_chromium

# Playwright's sync API runs an event loop in this thread; Django's ORM calls
# from the test body are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    path = find_chromium()
    if path is None:
        message = (
            "Chromium was not found on PATH: install Debian's `chromium` package "
            "(apt-get install chromium) to run the browser tests."
        )
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def admin_page(page, django_user_model):
    """A page logged in to the admin as a superuser."""
    django_user_model.objects.create_superuser(
        "chief", "chief@example.com", "pw-for-tests-1"
    )
    page.goto("/admin/login/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return page


@pytest.fixture
def docshot(page):
    """Screenshots of the page as it stands, for the guides in docs/ and for looking.

    `docshot("editor-brief")` saves `<name>-<width>-<scheme>.png` for each width
    and colour scheme into SCREENSHOT_DIR (test-artifacts/screens by default;
    `make docs-screens` points it at docs/images, so the guides' pictures are
    made by the tests that check those screens and stay current). The viewport
    and scheme are put back afterwards, so a test can go on.
    """
    out = Path(os.environ.get("SCREENSHOT_DIR", "test-artifacts/screens"))

    def shoot(
        name,
        *,
        widths=(390, 1280),
        schemes=("light", "dark"),
        full_page=True,
        tall=False,
    ):
        """`tall=True` grows the window to the page's height first, so a bar
        that sticks to the foot of the window is drawn at the page's foot
        rather than across the middle of a full-page picture."""
        out.mkdir(parents=True, exist_ok=True)
        viewport = page.viewport_size
        saved = []
        for scheme in schemes:
            page.emulate_media(color_scheme=scheme)
            for width in widths:
                page.set_viewport_size({"width": width, "height": viewport["height"]})
                page.wait_for_timeout(50)  # let layout settle after the resize
                if tall:
                    height = page.evaluate("document.documentElement.scrollHeight")
                    page.set_viewport_size({"width": width, "height": height})
                    page.wait_for_timeout(50)
                path = out / f"{name}-{width}-{scheme}.png"
                page.screenshot(path=str(path), full_page=full_page)
                saved.append(path)
        page.set_viewport_size(viewport)
        page.emulate_media(color_scheme="light")
        return saved

    return shoot
