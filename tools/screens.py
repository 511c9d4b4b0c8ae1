"""Screenshots of running pages at phone and desktop width, light and dark.

For looking at screens while working on them (the guide's rule: every screen
touched is seen at 390 and 1280 px in both colour schemes):

    .venv/bin/python tools/screens.py /newsletter/ /admin/ \
        --login admin:PASSWORD --out test-artifacts/screens

It drives Debian's Chromium through Playwright (never a downloaded browser)
against a server that is already running (`make run`, or any BASE URL).
Each path gives four PNGs named after the path, width and scheme.
"""

import argparse
import re
import shutil
import sys
from pathlib import Path

WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")
# How Chromium runs here and in the browser tests (tests/browser/conftest.py
# imports these): one place to change a flag for both.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    """Debian's Chromium on PATH (never a browser Playwright downloads)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="paths such as /admin/")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--login", help="USER:PASSWORD for the admin")
    parser.add_argument("--out", default="test-artifacts/screens", type=Path)
    parser.add_argument("--full", action="store_true", help="whole page, not viewport")
    args = parser.parse_args(argv)

    chromium = find_chromium()
    if chromium is None:
        sys.stderr.write("Chromium not found: apt-get install chromium\n")
        return 1
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        for scheme in SCHEMES:
            for width in WIDTHS:
                context = browser.new_context(
                    base_url=args.base,
                    viewport={"width": width, "height": 900},
                    color_scheme=scheme,
                )
                page = context.new_page()
                if args.login:
                    user, _, password = args.login.partition(":")
                    page.goto("/admin/login/")
                    page.fill("#id_username", user)
                    page.fill("#id_password", password)
                    page.click("input[type=submit]")
                    page.wait_for_load_state()
                for path in args.paths:
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    name = args.out / f"{slug(path)}-{width}-{scheme}.png"
                    page.screenshot(path=str(name), full_page=args.full)
                    sys.stdout.write(f"{name}\n")
                context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
