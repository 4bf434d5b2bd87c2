"""Every route that takes an email, against moto: plain `local@domain` addresses only.

Each other spelling of a mailbox (a display name, brackets, a comment, `mailto:`, stray
punctuation, invisible characters) would be a new person with a new pseudonym: round
one-pledge-per-email, the upload limit, one entry per person in the draw and erasure by email.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from infra.wiring import WIRING
from tests.events import ORGANISER_CLAIMS, body_of, http_event
from tests.settings import AllSettings

# Each route that takes an email, with a body that is valid apart from the email.
ROUTES: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any] | None]] = {
    ("POST", "/uploads"): (
        {
            "caption": "Setting up the titration practical",
            "display_name": "Crieff High Techies",
            "school": "Crieff High School",
            "content_type": "image/jpeg",
            "size_bytes": 2_000_000,
            "consent": True,
        },
        None,
    ),
    ("POST", "/pledges"): (
        {
            "name": "Ada Lovelace",
            "role": "teacher",
            "organisation": "Hill School",
            "show_on_wall": True,
        },
        None,
    ),
    ("POST", "/signups"): ({"name": "Sam", "role": "other", "consent": True}, None),
    ("POST", "/admin/erasure"): ({}, ORGANISER_CLAIMS),
    ("POST", "/packs"): (
        {
            "school": "Crieff High School",
            "contact_name": "Sam Technician",
            "address_line1": "Bridgend",
            "town": "Crieff",
            "postcode": "PH7 4DT",
            "consent": True,
        },
        None,
    ),
}

# The forms the review found accepted as "new people" (issue 13), and their relatives.
REFUSED = [
    '"x"<a@b.com>',
    "x <a@b.com>",
    "<a@b.com>",
    "a@b.com>",
    "<a@b.com",
    "a,b@c.com",
    "a@b.com,c@d.com",
    "a@b.com;c@d.com",
    "mailto:a@b.com",
    "MAILTO:a@b.com",
    "jdoe@one.test;",
    "(c)a@b.com",
    "a(c)@b.com",
    "a@b.com(c)",
    '"a"@b.com',
    '"a b"@c.com',
    ".a@b.com",
    "a.@b.com",
    "a..b@c.com",
    "a@.b.com",
    "a@b.com.",
    "a@b..com",
    "a@[192.0.2.1]",
    "a b@c.com",
    "a@b",
    "@b.com",
    "a@",
    "a\x00@b.com",
    "a\t@b.com",
    "a@b.com\n",
    "a\r\n@b.com",
    "a@b.com\r\nBcc: c@d.com",
    "a\x7f@b.com",
    "a\x85@b.com",
    "a\u2028@b.com",
    "a\u200b@b.com",
    "a@b\u200c.com",
    "a\u200d@b.com",
    "\ufeffa@b.com",
    "a\u00ad@b.com",
    "a\u202e@b.com",
    "a@b.com\u202c",
    "\u2066a@b.com\u2069",
    "a\u200f@b.com",
]

# Ordinary addresses (given as people type them) that must keep working, as their one spelling.
ORDINARY = [
    "tech.team@crieff-high.sch.uk",
    "  Tech.Team@Crieff-High.SCH.uk ",
    "j.smith+techognition@school.sch.uk",
    "tech+photos+2027@school.sch.uk",
    "o'brien@stmarys.sch.uk",
    "d'arcy.o'connor@hill-school.org.uk",
    "mary-jane.smith@academy-trust.org",
    "ms.o-neil@stjohns.lancs.sch.uk",
    "first_last@school.ac.uk",
    "lab.technician@science.faculty.school.sch.uk",
    "technician1@school123.sch.uk",
    "2019leaver@trust.org.uk",
    "a@b.co",
    "SCIENCE.Tech@Outlook.COM",
    "jo.bloggs@btinternet.com",
    "someone@gmail.com",
    "tech@school.wales",
    "tech@school.scot",
    "head@school.london",
    "x_y-z.1@e.f.g.uk",
    "prep.room@school.test",
    "t@t.io",
]


def _call(
    method: str, path: str, lambda_context: Any, body: dict[str, Any], claims: dict[str, Any] | None
) -> dict[str, Any]:
    handler = next(
        fn.handler for route, fn in WIRING.routes() if (route.method, route.path) == (method, path)
    )
    module, attribute = handler.rsplit(".", 1)
    result: dict[str, Any] = getattr(importlib.import_module(module), attribute)(
        http_event(method, path, body=body, claims=claims), lambda_context
    )
    return result


def test_the_routes_covered_here_are_every_route_whose_body_takes_an_email():
    # Given the spec generated from the handlers
    from local.openapi import build_spec

    spec = build_spec()
    schemas = spec["components"]["schemas"]

    def takes_email(schema: dict[str, Any]) -> bool:
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        return any(
            p.get("format") == "email"
            or any(o.get("format") == "email" for o in p.get("anyOf", []))
            for p in schema.get("properties", {}).values()
        )

    # Then the routes whose request body has an email field are exactly the ones tested here
    found = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if takes_email(
            operation.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema", {})
        )
    }
    assert found == set(ROUTES)


@pytest.mark.parametrize(("method", "path"), list(ROUTES), ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_other_spelling_of_a_mailbox_is_a_422_naming_the_email(
    aws_env, lambda_context, method, path
):
    body, claims = ROUTES[(method, path)]
    wrong = []
    for address in REFUSED:
        # When the route gets an address that is not a plain local@domain
        response = _call(method, path, lambda_context, {**body, "email": address}, claims)
        # Then it is a 422 problem about the email, which does not echo the address
        problem = body_of(response)
        if (
            response["statusCode"] != 422
            or response["headers"]["Content-Type"] != "application/problem+json"
            or [e["loc"][-1] for e in problem.get("errors", [])] != ["email"]
            or address.strip() in response["body"]
        ):
            wrong.append((address, response["statusCode"], response.get("body", "")[:200]))
    assert wrong == []


@pytest.mark.parametrize("address", ORDINARY)
def test_ordinary_addresses_pass_every_route_as_their_one_spelling(
    aws_env, lambda_context, address
):
    from shared.config import load
    from shared.dynamo import Table
    from shared.photos import get_photo

    for (method, path), (body, claims) in ROUTES.items():
        # When each route gets the address
        response = _call(method, path, lambda_context, {**body, "email": address}, claims)
        # Then it is accepted
        assert 200 <= response["statusCode"] < 300, (path, response)
        if path == "/uploads":
            # and kept trimmed and case-folded, the spelling that keys the person
            photo = get_photo(
                Table(load(AllSettings).table_name), body_of(response)["photo_id"], consistent=True
            )
            assert photo is not None and photo["email"] == address.strip().casefold()


def test_an_international_domain_is_one_person_in_either_spelling(aws_env, lambda_context):
    # Given a pledge with an internationalised domain, as typed
    from shared.config import load
    from shared.people import person_id

    body, _ = ROUTES[("POST", "/uploads")]
    typed = _call(
        "POST", "/uploads", lambda_context, {**body, "email": "tech@Bücher.example"}, None
    )
    # Then it is kept in the ASCII form SES delivers to, so both spellings are one person
    from shared.dynamo import Table
    from shared.photos import get_photo

    config = load(AllSettings)
    photo = get_photo(Table(config.table_name), body_of(typed)["photo_id"], consistent=True)
    assert photo is not None and photo["email"] == "tech@xn--bcher-kva.example"
    assert photo["person"] == person_id(config, "tech@xn--bcher-kva.example")


def test_a_refused_address_never_reaches_the_logs(aws_env, lambda_context, caplog):
    # When a pledge comes with a display-name address
    body, _ = ROUTES[("POST", "/pledges")]
    response = _call(
        "POST",
        "/pledges",
        lambda_context,
        {**body, "email": '"Head" <head.teacher@hill.sch.uk>'},
        None,
    )
    # Then it is refused, and no log line holds the address
    assert response["statusCode"] == 422
    logged = json.dumps([r.getMessage() + str(vars(r)) for r in caplog.records])
    assert "head.teacher" not in logged
