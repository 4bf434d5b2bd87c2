"""Prints the hand-drawn SVG posters and leaflets in site/downloads/ to PDF beside them, with the
Debian Chromium the browser tests use. The site's build does not make them: run this by hand after
editing an SVG and commit both files.

    .venv/bin/python scripts/print_downloads.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DOWNLOADS = ROOT / "site" / "downloads"


def page_size(svg: str) -> tuple[str, str]:
    """The SVG's printed size: its root width and height in millimetres."""
    found = re.search(r'<svg[^>]*\bwidth="([\d.]+mm)"[^>]*\bheight="([\d.]+mm)"', svg)
    if not found:
        raise ValueError("the root <svg> needs width and height in mm")
    return found.group(1), found.group(2)


def main() -> None:
    from tests.e2e.site_helpers import chromium

    with chromium() as browser:
        page = browser.new_page()
        for source in sorted(DOWNLOADS.glob("*.svg")):
            svg = source.read_text()
            width, height = page_size(svg)
            # Inline, not <img>: the PDF keeps the text as text (searchable, sharp at any size).
            title = re.search(r"<title[^>]*>([^<]*)</title>", svg)
            page.set_content(
                f"<!doctype html><title>{title.group(1) if title else source.stem}</title>"
                f"<style>@page{{margin:0}}html,body{{margin:0}}svg{{display:block}}</style>{svg}"
            )
            page.pdf(
                path=str(source.with_suffix(".pdf")),
                width=width,
                height=height,
                print_background=True,
                margin={"top": "0", "right": "0", "bottom": "0", "left": "0"},
            )
            print(source.with_suffix(".pdf").relative_to(ROOT))


if __name__ == "__main__":
    main()
