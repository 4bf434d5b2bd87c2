"""The site as served: every page rendered from one layout, everything else copied as it is.

A page's source (`site/pages/<path>.html`) holds only what is its own: its head lines (title,
description, robots), its `<script type="module">` lines, then its `<main>`. `site/layout.html`
gives every page the same document head, stylesheet, skip link, header and footer around them
(`ui.js` fills the header and footer in). Every other file under `site/` (CSS, JS, images, data,
downloads) is copied byte for byte. No dependencies: the CDK app builds at synth
(`constructs/site.py`), the local stack when it starts (`local/stack.py`).

    python -m infra.site_build OUT_DIR
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from string import Template

from infra.constants import PROJECT_ROOT

SITE_DIR = PROJECT_ROOT / "site"
LAYOUT = "layout.html"  # $head, $scripts and $main, each on a line of its own
PAGES = "pages"
_MAIN = re.compile(r"^<main[ >]", re.MULTILINE)


def render(layout: Template, source: str) -> str:
    """One page: the source's lines before `<main` go into the head (`<script` lines after the
    stylesheet), the rest is its main."""
    found = _MAIN.search(source)
    if found is None or "<title>" not in source[: found.start()]:
        raise ValueError("a page is its <title> and other head lines, its scripts, its <main>")
    lines = source[: found.start()].splitlines()
    scripts = [line for line in lines if line.startswith("<script")]
    head = [line for line in lines if not line.startswith("<script")]
    return layout.substitute(
        head="\n".join(head),
        scripts="\n".join(scripts),
        main=source[found.start() :].rstrip("\n"),
    )


def build_site(out_dir: Path, source: Path = SITE_DIR) -> Path:
    """Writes the site into `out_dir` (replacing what was there) and returns its path."""
    source, out_dir = source.resolve(), out_dir.resolve()
    if source.is_relative_to(out_dir) or out_dir.is_relative_to(source):
        raise ValueError(f"build the site outside its sources, not into {out_dir}")
    if out_dir.exists():
        shutil.rmtree(out_dir)

    def sources(folder: str, names: list[str]) -> set[str]:
        return {LAYOUT, PAGES} & set(names) if Path(folder) == source else set()

    shutil.copytree(source, out_dir, ignore=sources)
    layout = Template((source / LAYOUT).read_text(encoding="utf-8"))
    for page in sorted((source / PAGES).rglob("*.html")):
        target = out_dir / page.relative_to(source / PAGES)
        target.parent.mkdir(parents=True, exist_ok=True)
        html = render(layout, page.read_text(encoding="utf-8"))
        target.write_text(html, encoding="utf-8", newline="\n")
    return out_dir


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m infra.site_build OUT_DIR")
    print(build_site(Path(sys.argv[1])))
