"""The built documentation as a reader sees it: headless Chromium renders the pages, then we inspect the DOM.

Needs the built site (``python -m sphinx -W -b html docs docs/_build/html``) and Debian's ``chromium``;
skips cleanly without either (``.ci/run`` runs this file right after building the site).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

BUILD = Path(__file__).resolve().parents[1] / "docs" / "_build" / "html"
PAGES = {
    "index.html": {"min_math": 1, "min_images": 0},
    "tutorials/market_frontier.html": {"min_math": 3, "min_images": 1},
    "guide/loertscher_marx.html": {"min_math": 5, "min_images": 0},
}


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _Page(HTMLParser):
    """Visible text (outside scripts, styles and MathJax's own output), MathJax containers and images."""

    SKIP = frozenset({"script", "style", "mjx-container", "noscript", "pre"})

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.text: list[str] = []
        self.math = 0
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mjx-container":
            self.math += 1
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.text.append(data)


def _render(browser: str, page: Path) -> str:
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
         "--virtual-time-budget=20000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and "<html" in result.stdout, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_renders_math_and_images(name: str) -> None:
    browser = _browser()
    if browser is None:
        pytest.skip("no headless Chromium (Debian package `chromium`)")
    page = BUILD / name
    if not page.exists():
        pytest.skip(f"the site is not built ({page} is missing)")
    parser = _Page()
    parser.feed(_render(browser, page))
    text = " ".join(parser.text)
    assert parser.math >= PAGES[name]["min_math"], f"MathJax rendered {parser.math} formulas on {name}"
    leftovers = [m for m in (r"$$", r"\(", r"\[", ":math:") if m in text]
    assert not leftovers, f"raw math markup left on {name}: {leftovers}"
    assert not re.search(r"\$[^$\s][^$]*\$", text), f"raw $...$ left on {name}"
    assert len(parser.images) >= PAGES[name]["min_images"], f"{name}: {len(parser.images)} images"
    for src in parser.images:
        if src.startswith("data:"):
            continue
        image = (page.parent / src.split("#")[0]).resolve()
        assert image.is_file() and image.stat().st_size > 1000, f"{name}: missing or empty image {src}"
