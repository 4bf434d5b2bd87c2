"""Moderation logic with in-memory fakes: decisions, races, convergence, emails, the body model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from functions.effects import settle
from functions.moderation import emails, logic
from functions.moderation.models import REASON_CODES, PhotoDecisionIn
from shared import outbox
from shared.dynamo import ConditionFailed
from shared.errors import Conflict, Forbidden, NotFound
from shared.mail import Email
from shared.photo_records import PhotoRecord
from shared.photos import DECIDABLE, Status

NOW = datetime(2027, 3, 9, 12, 0, tzinfo=UTC)
RETENTION_TTL = 1_805_000_000  # the photo's TTL: the retention horizon


def clock() -> datetime:
    return NOW


class FakeStore:
    """Photos, their audit and the effects decisions owe, in memory, with the same version and
    state conditions."""

    def __init__(self, photo: dict[str, Any]) -> None:
        self.photos = {photo["photo_id"]: dict(photo)}
        self.audit: list[dict[str, Any]] = []
        self.owed: list[outbox.Effect] = []
        self.before_write: Callable[[], None] | None = None  # to let a rival write first
        self.live: set[str] = set()  # archive items listed in the gallery
        self.reads = 0

    def get(self, photo_id: str) -> PhotoRecord | None:
        self.reads += 1
        found = self.photos.get(photo_id)
        return PhotoRecord.of(dict(found)) if found else None

    def decide(self, photo: PhotoRecord, decision: logic.Decision) -> None:
        if self.before_write:
            hook, self.before_write = self.before_write, None
            hook()
        current = self.photos[photo.photo_id]
        if current["status"] not in DECIDABLE or current["version"] != photo.version:
            raise ConditionFailed(current)
        if decision.to != Status.APPROVED:
            self.live.discard(photo.photo_id)  # the archive item goes in the transaction
        current.update(
            decision.set_fields, status=decision.to.value, version=current["version"] + 1
        )
        for attr in decision.remove:
            current.pop(attr, None)
        self.audit.append(decision.audit)
        self.owed.append(
            outbox.settle_photo(
                photo.photo_id,
                version=current["version"],
                announce=decision.announce,
                person=photo.person,
            )
        )

    def page(
        self, status: str, *, limit: int, cursor: str | None
    ) -> tuple[list[PhotoRecord], str | None]:
        found = [p for p in self.photos.values() if p["status"] == status][:limit]
        return [PhotoRecord.of(p) for p in found], None

    def trail(self, photo_id: str) -> list[dict[str, Any]]:
        return [{k: a[k] for k in ("at", "actor", "action", "detail")} for a in self.audit]

    # what the outbox consumer's photo port does
    def go_live(self, photo: PhotoRecord) -> None:
        current = self.photos.get(photo.photo_id)
        if (
            current is None
            or current["status"] != "approved"
            or current["version"] != photo.version
        ):
            raise ConditionFailed(current)
        self.live.add(photo.photo_id)


class FakeMedia:
    def __init__(self) -> None:
        self.public: set[str] = set()
        self.calls: list[str] = []

    def publish(self, photo_id: str) -> None:
        self.calls.append("publish")
        self.public.add(photo_id)

    def unpublish(self, photo_id: str) -> bool:
        self.calls.append("unpublish")
        had = photo_id in self.public
        self.public.discard(photo_id)
        return had

    def restore(self, photo_id: str) -> None:
        self.calls.append("restore")

    def public_urls(self, photo_id: str) -> tuple[str, str]:
        return f"public/{photo_id}", f"public-thumb/{photo_id}"

    def signed_urls(self, photo_id: str) -> tuple[str, str]:
        return f"u/{photo_id}", f"t/{photo_id}"


class FakeDraw:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def enter(self, photo: PhotoRecord) -> bool:
        key = (photo.day, str(photo.person))
        if key in self.entries:
            return False
        self.entries[key] = photo.photo_id
        return True

    def withdraw(self, photo: PhotoRecord) -> None:
        key = (photo.day, str(photo.person))
        if self.entries.get(key) == photo.photo_id:
            del self.entries[key]


class FakeCdn:
    def __init__(self) -> None:
        self.invalidated: list[str] = []
        self.references: list[str] = []

    def invalidate(self, photo_id: str, *, reference: str) -> None:
        self.invalidated.append(photo_id)
        self.references.append(reference)


class FakeOwed:
    """The outbox items the consumer writes: one per id, however often it is put."""

    def __init__(self) -> None:
        self.effects: dict[str, outbox.Effect] = {}

    def owe(self, effect: outbox.Effect) -> None:
        self.effects.setdefault(effect.effect_id, effect)


def a_photo(**overrides: Any) -> dict[str, Any]:
    return {
        "photo_id": "p1",
        "status": "pending_moderation",
        "version": 3,
        "caption": "Prep room",
        "display_name": "Tess",
        "school": "Hill School",
        "email": "tess@school.test",
        "person": "abcd",
        "day": "2027-03-09",
        "uploaded_at": "2027-03-09T10:00:00Z",
        "ttl": RETENTION_TTL,
        **overrides,
    }


@pytest.fixture
def world() -> Any:
    class World:
        store = FakeStore(a_photo())
        media = FakeMedia()
        draw = FakeDraw()
        cdn = FakeCdn()
        owed = FakeOwed()
        performed = 0

        @property
        def ports(self) -> logic.Ports:
            return logic.Ports(store=self.store, media=self.media, site_url="https://site.test")

        @property
        def settle_ports(self) -> settle.Ports:
            return settle.Ports(
                photos=self.store, copies=self.media, cdn=self.cdn, draw=self.draw, owed=self.owed
            )

        def settle(self) -> None:
            """What the outbox consumer does with the effects decisions owed (in order)."""
            pending, self.performed = self.store.owed[self.performed :], len(self.store.owed)
            for effect in pending:
                settle.settle(self.settle_ports, effect)

        @property
        def mails(self) -> list[Email]:
            return [
                Email(
                    to=e.payload["to"],
                    subject=e.payload["subject"],
                    text=e.payload["text"],
                    html=e.payload.get("html"),
                )
                for e in self.owed.effects.values()
                if e.kind == "email"
            ]

    return World()


def decide(
    world: Any,
    body: dict[str, Any],
    *,
    actor: str = "org-ann",
    actor_email: str | None = "ann@organisers.test",
    settled: bool = True,
) -> Any:
    view = logic.decide(
        world.ports,
        "p1",
        PhotoDecisionIn(**body),
        actor=actor,
        actor_email=actor_email,
        clock=clock,
    )
    if settled:
        world.settle()
    return view


def rival_rejects(world: Any) -> None:
    """Another organiser's rejection, written through the store."""
    audit = {"at": "t0", "actor": "org-bob", "action": "rejected", "detail": "r"}
    world.store.decide(
        world.store.get("p1"),
        logic.Decision(
            Status.REJECTED, {"decided_by": "org-bob", "reason": "r"}, (), audit, None, NOW
        ),
    )


# -- the body --------------------------------------------------------------------------------
def test_reject_without_reason_or_code_is_invalid():
    with pytest.raises(ValidationError, match="reason is required"):
        PhotoDecisionIn(decision="reject")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_blank_or_overlong_reason_is_invalid(reason):
    with pytest.raises(ValidationError):
        PhotoDecisionIn(decision="reject", reason=reason)


def test_a_preset_code_sent_as_the_reason_counts_as_the_code():
    body = PhotoDecisionIn(decision="reject", reason="duplicate")
    assert (body.reason_code, body.reason) == ("duplicate", None)


def test_an_unknown_reason_code_is_invalid():
    with pytest.raises(ValidationError):
        PhotoDecisionIn.model_validate({"decision": "reject", "reason_code": "ugly"})


def test_approve_needs_no_reason():
    assert PhotoDecisionIn(decision="approve").reason is None


# -- technician-facing words -----------------------------------------------------------------
def test_the_technician_reads_a_kind_sentence_for_a_code_and_the_organisers_words():
    assert emails.technician_reason("poor_quality", None).startswith("the image isn't clear")
    assert emails.technician_reason(None, "it's sideways") == "it's sideways"
    both = emails.technician_reason("duplicate", "see the earlier one")
    assert both.endswith("; see the earlier one")


def test_decision_emails_are_plain_text_with_simple_html_escaped():
    mail = emails.approved(
        to="t@s.test",
        display_name="<Tess>",
        caption="c",
        site_url="https://site.test",
        photo_id="p1",
    )
    assert "<Tess>" in mail.text
    assert mail.html is not None
    assert "&lt;Tess&gt;" in mail.html


def test_a_rejection_echoes_none_of_the_uploaders_words():
    # Given a photo whose words nobody approved, sent to an address anyone could have typed
    mail = emails.rejected(
        to="victim@s.test", reason="it shows no science work", site_url="https://site.test"
    )
    # Then the mail carries the organisers' reason and no name or caption
    assert mail.text.startswith("Hello,\n")
    assert "it shows no science work" in mail.text
    assert mail.html is not None and "<p>Hello,</p>" in mail.html


# -- decisions -------------------------------------------------------------------------------
def test_approval_publishes_enters_and_emails_once(world):
    view = decide(world, {"decision": "approve"}, settled=False)
    assert view.status == "approved"
    assert view.decided_by == "org-ann"
    assert view.decided_at == "2027-03-09T12:00:00Z"
    # the decision only owes its effects: nothing public until the outbox settles it
    (owed,) = world.store.owed
    assert (owed.kind, owed.payload["version"], owed.person) == ("settle_photo", 4, "abcd")
    assert world.media.public == set() and world.store.live == set()
    world.settle()
    assert world.media.public == {"p1"}
    assert world.store.live == {"p1"}
    assert world.draw.entries == {("2027-03-09", "abcd"): "p1"}
    assert [m.subject for m in world.mails] == ["Your photo is live on the #TECHOGNITION gallery"]
    assert [(a["actor"], a["action"]) for a in world.store.audit] == [("org-ann", "approved")]


def test_takedown_unpublishes_invalidates_the_cdn_and_withdraws_the_entry(world):
    decide(world, {"decision": "approve"})
    decide(world, {"decision": "reject", "reason_code": "inappropriate"})
    assert world.media.public == set()
    assert world.cdn.invalidated == ["p1"]
    assert world.draw.entries == {}
    stored = world.store.photos["p1"]
    assert stored["reason"].startswith("it isn't suitable")
    assert stored["decision_reason"] == "inappropriate"
    assert [a["action"] for a in world.store.audit] == ["approved", "rejected"]


def test_pressing_the_same_decision_again_records_nothing_and_answers_the_photo(world):
    first = decide(world, {"decision": "approve"})
    again = decide(world, {"decision": "approve"}, actor="org-bob")
    assert (again.status, again.decided_by) == ("approved", first.decided_by)
    assert len(world.mails) == 1
    assert [a["action"] for a in world.store.audit] == ["approved"]
    assert len(world.store.owed) == 1
    assert world.store.photos["p1"]["version"] == 4


def test_the_same_rejection_again_records_nothing_but_another_reason_is_recorded(world):
    decide(world, {"decision": "reject", "reason_code": "duplicate"})
    decide(world, {"decision": "reject", "reason_code": "duplicate"})
    assert [a["action"] for a in world.store.audit] == ["rejected"]
    decide(world, {"decision": "reject", "reason_code": "poor_quality"})
    assert [a["detail"] for a in world.store.audit] == ["duplicate", "poor_quality"]
    assert world.store.photos["p1"]["reason_code"] == "poor_quality"
    assert len(world.mails) == 1  # the state did not change: the uploader was told


def test_approving_again_answers_the_reports_flagged_since(world):
    world.store = FakeStore(
        a_photo(
            status="approved",
            report_count=1,
            cleared_after_report=True,
            flagged_reports=2,
            decision="approve",
            published=True,
        )
    )
    decide(world, {"decision": "approve"})
    assert [a["action"] for a in world.store.audit] == ["approved"]
    assert "flagged_reports" not in world.store.photos["p1"]
    assert world.mails == []


def test_rejecting_a_never_published_photo_does_not_touch_the_cdn(world):
    decide(world, {"decision": "reject", "reason": "blurry"})
    assert world.cdn.invalidated == []


def test_rejecting_a_reported_photo_invalidates_the_cdn_the_report_could_not(world):
    world.store = FakeStore(a_photo(status="reported", report_count=1))
    decide(world, {"decision": "reject", "reason_code": "inappropriate"})
    assert world.cdn.invalidated == ["p1"]


def test_a_lost_race_rereads_and_the_last_decision_wins(world):
    # Given another organiser's rejection lands between our read and our write
    world.store.before_write = lambda: rival_rejects(world)
    # When our approval is written
    view = decide(world, {"decision": "approve"})
    # Then it was retried on the new version: it stands, both are audited, version +2
    assert view.status == "approved"
    assert world.store.photos["p1"]["version"] == 5
    assert [a["actor"] for a in world.store.audit] == ["org-bob", "org-ann"]
    assert "reason" not in world.store.photos["p1"]


def test_endless_races_end_in_a_409_not_a_lost_update(world):
    class AlwaysRaced(FakeStore):
        def decide(self, *args: Any, **kwargs: Any) -> None:
            raise ConditionFailed(None)

    world.store = AlwaysRaced(a_photo())
    with pytest.raises(Conflict):
        decide(world, {"decision": "approve"})
    assert world.mails == []


def test_effects_follow_the_state_that_stands_when_superseded_meanwhile(world):
    # Given our approval is written, but a rejection lands while the outbox publishes it
    original_publish = world.media.publish

    def publish_then_rival(photo_id: str) -> None:
        original_publish(photo_id)
        if world.store.photos["p1"]["decided_by"] == "org-ann":
            rival_rejects(world)

    world.media.publish = publish_then_rival
    view = decide(world, {"decision": "approve"})
    # Then our request saw its own decision; the images end up private, never listed, the
    # entry withdrawn, and our (stale) email never owed: only the rejection's
    assert view.status == "approved"
    assert world.store.photos["p1"]["status"] == "rejected"
    assert world.media.public == set()
    assert world.store.live == set()
    assert world.draw.entries == {}
    assert world.mails == []
    world.settle()  # the rival's own settle
    assert world.media.public == set()


def test_a_settle_retried_after_a_fault_owes_the_email_once(world):
    # Given an approval whose settle fails after owing its email (the done mark lost)
    decide(world, {"decision": "approve"}, settled=False)
    (effect,) = world.store.owed
    settle.settle(world.settle_ports, effect)
    # When the stream delivers it again
    settle.settle(world.settle_ports, effect)
    # Then one email effect exists, with an id derived from the settle's
    assert list(world.owed.effects) == [f"{effect.effect_id}-email"]
    assert world.owed.effects[f"{effect.effect_id}-email"].person == "abcd"
    assert world.media.public == {"p1"}


def test_a_settle_for_an_erased_photo_does_nothing(world):
    decide(world, {"decision": "approve"}, settled=False)
    world.store.photos.clear()
    world.settle()
    assert world.media.public == set()
    assert world.mails == []


def test_a_photo_that_keeps_changing_fails_its_settle_to_be_retried(world):
    decide(world, {"decision": "approve"}, settled=False)
    world.store.go_live = lambda photo: (_ for _ in ()).throw(ConditionFailed(None))
    with pytest.raises(settle.Unsettled):
        world.settle()
    assert world.mails == []


def test_a_takedown_invalidation_is_referenced_by_its_effect(world):
    decide(world, {"decision": "approve"})
    decide(world, {"decision": "reject", "reason_code": "inappropriate"})
    assert world.cdn.references == [f"outbox-{world.store.owed[1].effect_id}"]


@pytest.mark.parametrize("state", ["awaiting_upload", "processing", "failed"])
def test_undecidable_states_are_a_conflict(world, state):
    world.store = FakeStore(a_photo(status=state))
    with pytest.raises(Conflict):
        decide(world, {"decision": "approve"})
    assert world.store.audit == []


def test_own_photo_is_forbidden_whatever_the_spelling(world):
    with pytest.raises(Forbidden):
        decide(world, {"decision": "approve"}, actor_email="  TESS@School.Test ")
    assert world.store.photos["p1"]["status"] == "pending_moderation"


def test_missing_photo_is_not_found(world):
    world.store = FakeStore(a_photo(photo_id="other"))
    with pytest.raises(NotFound):
        decide(world, {"decision": "approve"})
    with pytest.raises(NotFound):
        logic.audit_trail(world.ports, "p1")


def test_the_audit_of_an_erased_photo_is_still_readable(world):
    decide(world, {"decision": "approve"})
    world.store.photos.clear()
    assert [i["action"] for i in logic.audit_trail(world.ports, "p1")] == ["approved"]


def test_the_queue_view_carries_prescreen_reports_and_the_organiser_reason(world):
    world.store = FakeStore(
        a_photo(
            prescreen={
                "status": "flagged",
                "flags": ["may show pupils: check consent"],
                "labels": [],
                "faces_under_18": 1,
            },
            reports=[{"reason": "my child is in this", "at": "2027-03-09T13:00:00Z"}],
            decision_reason="duplicate",
        )
    )
    (item,), cursor = logic.queue(world.ports, "pending_moderation", limit=20, cursor=None)
    assert cursor is None
    assert item.prescreen is not None
    assert item.prescreen.flags == ["may show pupils: check consent"]
    assert item.reports[0].reason == "my child is in this"
    assert item.reason == "duplicate"
    assert (item.image_url, item.thumbnail_url) == ("u/p1", "t/p1")


# -- rejection reasons: preset sentences in public, the organiser's words by email only ---------
def test_free_text_reasons_reach_the_uploader_by_email_only(world):
    # When an organiser rejects in their own words, naming a pupil
    decide(world, {"decision": "reject", "reason": "pupil Tom visible by the fume cupboard"})
    stored = world.store.photos["p1"]
    # Then the public reason (GET /uploads/{id} shows `reason`) is a general preset sentence
    assert stored["reason"] == emails.GENERAL_REASON
    assert "Tom" not in stored["reason"]
    # while the uploader's email and the organisers' view carry the words
    (mail,) = world.mails
    assert "pupil Tom visible" in mail.text
    assert stored["decision_reason"] == "pupil Tom visible by the fume cupboard"


def test_a_preset_with_words_shows_only_the_preset_sentence_in_public(world):
    decide(
        world,
        {
            "decision": "reject",
            "reason_code": "duplicate",
            "reason": "same as Mr Patel's upload this morning",
        },
    )
    stored = world.store.photos["p1"]
    assert stored["reason"] == emails.REASONS["duplicate"]
    assert "Patel" in world.mails[0].text


@pytest.mark.parametrize(
    "text",
    [
        "duplicate",
        "It looks like a photo already in the gallery.",
        "  it looks like a photo already in the gallery ",
    ],
)
def test_a_reason_naming_a_preset_counts_as_that_preset(text):
    body = PhotoDecisionIn(decision="reject", reason=text)
    assert (body.reason_code, body.reason) == ("duplicate", None)


def test_every_preset_code_has_its_sentence():
    assert set(emails.REASONS) == set(REASON_CODES)


def test_approval_forgets_the_rejection_reasons(world):
    decide(world, {"decision": "reject", "reason_code": "duplicate", "reason": "see 10am"})
    decide(world, {"decision": "approve"})
    stored = world.store.photos["p1"]
    assert not {"reason", "reason_code", "reason_note"} & set(stored)


# -- re-invalidation and reports ----------------------------------------------------------------
def test_every_decision_leaving_a_once_public_photo_private_invalidates_the_cdn_again(world):
    # Given a photo approved (public) then rejected (invalidated once)
    decide(world, {"decision": "approve"})
    decide(world, {"decision": "reject", "reason_code": "inappropriate"})
    # When another organiser rejects it again (the copies are already gone)
    decide(world, {"decision": "reject", "reason_code": "duplicate"})
    # Then the CDN is told again: an invalidation lost earlier can't leave it cached
    assert world.cdn.invalidated == ["p1", "p1"]


def test_approving_a_reported_photo_clears_it_so_later_reports_only_flag_it(world):
    world.store = FakeStore(a_photo(status="reported", report_count=2, flagged_reports=1))
    decide(world, {"decision": "approve"})
    stored = world.store.photos["p1"]
    assert stored["cleared_after_report"] is True
    assert "flagged_reports" not in stored  # the organiser has seen them


def test_approving_a_never_reported_photo_does_not_clear_it(world):
    decide(world, {"decision": "approve"})
    assert "cleared_after_report" not in world.store.photos["p1"]


def test_the_queue_view_counts_flagged_reports(world):
    world.store = FakeStore(a_photo(status="approved", flagged_reports=3))
    (item,), _ = logic.queue(world.ports, "approved", limit=20, cursor=None)
    assert item.flagged_reports == 3


def test_a_decision_audit_keeps_the_photos_retention_ttl(world):
    decide(world, {"decision": "approve"})
    (item,) = world.store.audit
    assert item["ttl"] == RETENTION_TTL


def test_an_organisers_reason_keeps_its_lines_and_refuses_bidi_overrides_and_controls():
    from pydantic import ValidationError

    from functions.moderation.models import PhotoDecisionIn

    kept = PhotoDecisionIn(decision="reject", reason="Blurred.\nPlease try again.")
    assert kept.reason == "Blurred.\nPlease try again."
    for char in ("\u202e", "\u2066", "\x00", "\x1b"):
        with pytest.raises(ValidationError):
            PhotoDecisionIn(decision="reject", reason=f"Blurred{char}photo")
