"""The site builder: every page in its layout, every other file as it is, nothing inline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.site_build import LAYOUT, PAGES, SITE_DIR, build_site


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("site") / "out")


def test_every_page_is_rendered_in_the_one_layout(built: Path) -> None:
    sources = sorted(p.relative_to(SITE_DIR / PAGES) for p in (SITE_DIR / PAGES).rglob("*.html"))
    assert sorted(p.relative_to(built) for p in built.rglob("*.html")) == sources
    for name in sources:
        html = (built / name).read_text()
        source = (SITE_DIR / PAGES / name).read_text()
        assert html.startswith('<!doctype html>\n<html lang="en-GB">\n<head>\n'), name
        assert html.endswith('<footer class="site-footer"></footer>\n</body>\n</html>\n'), name
        assert html.count("<title>") == html.count('<header class="site-header">') == 1, name
        # its own lines: head lines in the head, scripts after the stylesheet, its main
        head, body = html.split("</head>\n")
        for line in source[: source.index("<main")].splitlines():
            assert line in head, (name, line)
        assert head.index('href="/css/site.css"') < head.index("<script")
        assert source[source.index("<main") :] in body


def test_pages_have_no_inline_script_or_style(built: Path) -> None:
    """The CSP allows scripts and styles only from files ('self')."""
    for page in built.rglob("*.html"):
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page
        assert not re.search(r"<style|<[^>]*\s(style|on[a-z]+)=", html), page


def test_every_other_file_is_copied_as_it_is_and_the_sources_are_not(built: Path) -> None:
    others = {
        p.relative_to(SITE_DIR)
        for p in SITE_DIR.rglob("*")
        if p.is_file() and p.relative_to(SITE_DIR).parts[0] not in (PAGES, LAYOUT)
    }
    assert others
    for name in others:
        assert (built / name).read_bytes() == (SITE_DIR / name).read_bytes(), name
    assert not (built / PAGES).exists() and not (built / LAYOUT).exists()


def test_a_rebuild_replaces_what_was_there(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "gone.html").parent.mkdir(parents=True)
    (out / "gone.html").write_text("stale")
    build_site(out)
    assert not (out / "gone.html").exists() and (out / "index.html").is_file()


def test_the_site_is_never_built_into_its_sources() -> None:
    with pytest.raises(ValueError, match="outside its sources"):
        build_site(SITE_DIR / "out")
    with pytest.raises(ValueError, match="outside its sources"):
        build_site(SITE_DIR.parent)
