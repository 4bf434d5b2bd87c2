"""Erasure's rules with a fake store: each kind of personal item erased its own way, a photo
once however many items it has, the counts audited by pseudonym."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from functions.people import logic

NOW = datetime(2027, 3, 10, 12, tzinfo=UTC)


def found(kind: str, ident: str = "x", published: bool = False) -> Any:
    return SimpleNamespace(kind=kind, ident=ident, published=published)


class FakeStore:
    def __init__(self, items: list[Any]) -> None:
        self.items, self.calls, self.audits = items, list[tuple[str, str]](), list[Any]()

    def personal(self, person: str) -> list[Any]:
        assert person == "pseudo:ann@x.test"
        return self.items

    def erase_photo(self, item: Any, *, actor: str, now: datetime) -> int:
        self.calls.append(("photo", item.ident))
        return 3

    def erase_pledge(self, item: Any) -> int:
        self.calls.append(("pledge", item.ident))
        return 1

    def erase_entry(self, item: Any) -> int:
        self.calls.append(("entry", item.ident))
        return 1

    def erase_published(self, item: Any) -> int:
        self.calls.append(("published", item.ident))
        return 1

    def erase_pack(self, item: Any) -> int:
        self.calls.append(("pack", item.ident))
        return 1

    def erase_item(self, item: Any, *, now: datetime) -> tuple[bool, int]:
        self.calls.append(("item", item.kind))
        return item.ident != "gone", 0

    def scrub_winners(self, person: str) -> None:
        self.calls.append(("winners", person))

    def audit(self, subject: str, **kwargs: Any) -> None:
        self.audits.append((subject, kwargs["action"], kwargs["detail"]))


def test_each_kind_is_erased_its_own_way_and_a_photo_counts_once():
    store = FakeStore(
        [
            found("PHOTO", "p1"),
            found("PHOTO", "p1"),
            found("PLEDGE"),
            found("ENTRY"),
            found("MESSAGE", published=True),
            found("MESSAGE"),
            found("SIGNUP"),
            found("TOKEN"),
            found("RATE", "gone"),
            found("PACK"),
        ]
    )
    ports = logic.Ports(store=cast(logic.PeoplePort, store), person=lambda email: f"pseudo:{email}")
    counts = logic.erase(ports, "ann@x.test", actor="org-ann", now=NOW)
    assert counts.model_dump() == {
        "photos": 1,
        "files": 3,
        "pledges": 1,
        "signups": 1,
        "messages": 2,
        "draw_entries": 1,
        "rate_limits": 0,
        "packs": 1,
    }
    assert store.calls.count(("photo", "p1")) == 1
    assert ("published", "x") in store.calls and ("item", "MESSAGE") in store.calls
    assert ("pack", "x") in store.calls and ("item", "PACK") not in store.calls
    assert store.calls[-1] == ("winners", "pseudo:ann@x.test")
    assert store.audits == [("PERSON#pseudo:ann@x.test", "erasure", counts.model_dump())]
