"""The campaign's pages (about, press, sponsors, resources) in a real browser: they load with no
console error, are linked from every page, their links work, the sponsors come from the data
file, the downloads are what they say, and a page stays small enough for a phone."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
import requests

from tests.e2e.site_helpers import PHONE, ROOT, chromium, page_of, screenshot

pytestmark = pytest.mark.e2e

SITE = ROOT / "site"
CAMPAIGN = {
    "/about.html": "About #TECHOGNITION",
    "/press.html": "Press",
    "/sponsors.html": "Sponsors and associates",
    "/resources.html": "Posters and leaflets",
}
# What a phone downloads for one page (HTML, CSS, scripts, images, data), all told.
PAGE_BUDGET_BYTES = 64 * 1024


@pytest.fixture(scope="module")
def browser(stack: dict[str, Any]) -> Iterator[Any]:
    with chromium() as b:
        yield b


def watched(page: Any) -> dict[str, Any]:
    """Records console errors (a CSP refusal is one), failed requests and bytes received."""
    seen: dict[str, Any] = {"errors": [], "failed": [], "bytes": 0, "fonts": []}

    def on_response(response: Any) -> None:
        if response.status >= 400:
            seen["failed"].append(f"{response.status} {response.url}")
        if response.request.resource_type == "font":
            seen["fonts"].append(response.url)
        seen["bytes"] += len(response.body()) if response.status == 200 else 0

    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("requestfailed", lambda r: seen["failed"].append(f"failed {r.url}"))
    page.on("response", on_response)
    return seen


@pytest.mark.parametrize(("path", "title"), CAMPAIGN.items(), ids=list(CAMPAIGN))
def test_a_campaign_page_loads_cleanly_and_is_small_enough_for_a_phone(browser, stack, path, title):
    with page_of(browser, PHONE) as page:
        seen = watched(page)
        page.goto(stack["api_url"] + path)
        page.wait_for_load_state("networkidle")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images too
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text() == title
        assert page.errors == [] and seen["errors"] == [] and seen["failed"] == []
        assert seen["fonts"] == []  # system fonts only
        assert 0 < seen["bytes"] < PAGE_BUDGET_BYTES, seen["bytes"]
        # No horizontal scrolling on a phone
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # One main landmark, and the first Tab stop is the skip link to it
        assert page.locator("main#main").count() == 1
        page.evaluate("window.scrollTo(0, 0)")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        screenshot(page, path.strip("/").removesuffix(".html"))


def test_every_page_links_to_the_campaign_pages_and_the_home_page_lists_them(browser, stack):
    with page_of(browser, PHONE) as page:
        for path in ("/", "/upload.html", "/about.html"):
            page.goto(stack["api_url"] + path)
            footer = page.get_by_role("navigation", name="About the campaign")
            hrefs = footer.get_by_role("link").evaluate_all("links => links.map(a => a.pathname)")
            assert set(hrefs) == set(CAMPAIGN), path
        page.goto(stack["api_url"] + "/")
        main_links = page.locator("main a").evaluate_all("links => links.map(a => a.pathname)")
        assert set(CAMPAIGN) <= set(main_links)
        # About is in the header's navigation too
        page.get_by_role("navigation", name="Main").get_by_role("link", name="About").click()
        page.wait_for_url("**/about.html")
        assert page.locator("h1").inner_text() == CAMPAIGN["/about.html"]


def test_every_link_on_the_campaign_pages_works(browser, stack):
    origin = stack["api_url"]
    checked: set[str] = set()
    with page_of(browser, PHONE) as page:
        for path in CAMPAIGN:
            page.goto(origin + path)
            page.wait_for_load_state("networkidle")
            hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
            for href in hrefs:
                target = urlsplit(href)
                if href.startswith("mailto:"):
                    assert re.fullmatch(r"mailto:[\w.+-]+@techognition\.org\.uk", href), href
                    continue
                if f"{target.scheme}://{target.netloc}" != origin:
                    assert target.scheme == "https", href  # outside links: https, not followed
                    continue
                url = origin + target.path
                if url in checked:
                    continue
                checked.add(url)
                answer = requests.get(url, timeout=10)
                assert answer.status_code == 200, f"{path} links to {href}: {answer.status_code}"
    assert {origin + p for p in CAMPAIGN} <= checked


def test_the_sponsors_page_renders_each_edition_from_the_data_file(browser, stack):
    data = json.loads((SITE / "data" / "sponsors.json").read_text())
    assert [p["name"] for p in data["2019"]] == ["Preproom.org", "UNISON", "Gratnells"]
    with page_of(browser, PHONE) as page:
        page.goto(stack["api_url"] + "/sponsors.html")
        page.locator("#sponsors[data-loaded]").wait_for()
        section = page.get_by_role("region", name="2019 sponsors and associates")
        logos = section.get_by_role("img")
        assert logos.evaluate_all("imgs => imgs.map(i => i.alt)") == [
            p["name"] for p in data["2019"]
        ]
        # Every logo is a file in the site that loads, and links to the organisation
        assert logos.evaluate_all("imgs => imgs.every(i => i.complete && i.naturalWidth > 0)")
        for partner in data["2019"]:
            assert (SITE / partner["logo"].lstrip("/")).is_file()
            link = section.get_by_role("link", name=partner["name"])
            assert link.get_attribute("href") == partner["url"]
            assert section.get_by_text(partner["about"]).is_visible()
        assert page.errors == []


def test_the_sponsors_page_follows_the_data_file_and_refuses_what_it_should_not_load(
    browser, stack
):
    # Given next year's file, hand-edited with a typo'd logo and a javascript: link
    edited = {
        "2019": [
            {
                "name": "Gratnells",
                "url": "https://www.gratnells.com/",
                "logo": "/img/sponsors/gratnells.svg",
                "about": "Trays.",
            }
        ],
        "2027": [
            {
                "name": "Lab Kit Ltd",
                "url": "javascript:alert(1)",
                "logo": "https://elsewhere.example/logo.svg",
                "about": "Prizes.",
            }
        ],
        "2028": [],
    }
    with page_of(browser, PHONE) as page:
        page.route(
            "**/data/sponsors.json",
            lambda route: route.fulfill(
                status=200, content_type="application/json", body=json.dumps(edited)
            ),
        )
        page.goto(stack["api_url"] + "/sponsors.html")
        page.locator("#sponsors[data-loaded]").wait_for()
        # Then the newest edition comes first, an empty one says so
        headings = page.locator("#sponsors h2").all_inner_texts()
        assert headings == [
            "2028 sponsors and associates",
            "2027 sponsors and associates",
            "2019 sponsors and associates",
        ]
        assert (
            page.get_by_role("region", name="2028 sponsors and associates")
            .get_by_text("To be announced.")
            .is_visible()
        )
        # And the bad entry shows its name as text: no outside image, no script link
        newest = page.get_by_role("region", name="2027 sponsors and associates")
        assert newest.get_by_text("Lab Kit Ltd").is_visible()
        assert newest.locator("img").count() == 0
        assert newest.locator("a").count() == 0
        assert page.errors == []


def test_the_sponsors_page_says_so_when_the_data_file_is_missing(browser, stack):
    with page_of(browser, PHONE) as page:
        page.route("**/data/sponsors.json", lambda route: route.fulfill(status=404, body=""))
        page.goto(stack["api_url"] + "/sponsors.html")
        status = page.locator("#sponsors-status")
        page.wait_for_function("document.querySelector('#sponsors-status').textContent !== ''")
        assert "could not load" in status.inner_text()
        assert page.errors == []


def test_the_poster_downloads_as_an_a3_svg_with_the_week_s_message(browser, stack):
    with page_of(browser, PHONE) as page:
        page.goto(stack["api_url"] + "/resources.html")
        link = page.get_by_role("link", name=re.compile(r"^Poster as SVG"))
        with page.expect_download() as started:
            link.click()
        download = started.value
        assert download.suggested_filename == "techognition-poster-a3.svg"
        saved = download.path()
        assert saved is not None
        svg = ElementTree.parse(saved).getroot()  # noqa: S314 - the site's own file
    answer = requests.get(stack["api_url"] + "/downloads/techognition-poster-a3.svg", timeout=10)
    assert answer.headers["content-type"] == "image/svg+xml"
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert (svg.get("width"), svg.get("height")) == ("297mm", "420mm")
    text = " ".join(t.strip() for t in svg.itertext())
    assert "#TECHOGNITION" in text and "technicians" in text
    # An image is only an image: no scripts, no outside references
    raw = (SITE / "downloads" / "techognition-poster-a3.svg").read_text()
    assert "<script" not in raw and "http://" not in raw.replace("http://www.w3.org/2000/svg", "")


@pytest.mark.parametrize(("name", "size"), [("poster-a3", (842, 1191)), ("leaflet-a5", (420, 596))])
def test_the_printable_pdfs_are_one_page_of_the_right_size(stack, name, size):
    answer = requests.get(f"{stack['api_url']}/downloads/techognition-{name}.pdf", timeout=10)
    assert answer.status_code == 200
    assert answer.content.startswith(b"%PDF-")
    assert answer.headers["content-type"] == "application/pdf"
    pages = re.findall(rb"/Type\s*/Page\b", answer.content)
    assert len(pages) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", answer.content)
    assert box and (round(float(box.group(1))), round(float(box.group(2)))) == size
