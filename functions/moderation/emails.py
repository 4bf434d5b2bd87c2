"""Every word moderation says to a technician: the decision emails and the rejection reasons.

Short and kind: these are volunteers who took the trouble to share their work.
"""

from __future__ import annotations

import html
from typing import Literal

from shared.mail import Email
from shared.share import share_url

# What the technician reads for each preset reason (on GET /uploads/{id} and in the email).
# The site's console offers the same codes (site/js/admin.js).
ReasonCode = Literal[
    "pupil_without_consent", "not_technician_work", "inappropriate", "poor_quality", "duplicate"
]
REASONS: dict[ReasonCode, str] = {
    "pupil_without_consent": (
        "it may show pupils, and we can only publish photos of pupils when we know their "
        "school agreed"
    ),
    "not_technician_work": (
        "it doesn't seem to show technicians' work, which is what the gallery celebrates"
    ),
    "inappropriate": "it isn't suitable for a public gallery seen by schools",
    "poor_quality": "the image isn't clear enough to show your work at its best",
    "duplicate": "it looks like a photo already in the gallery",
}


GENERAL_REASON = "it didn't meet the gallery guidelines"


def _sentence(code: str | None) -> str | None:
    """The preset sentence of a stored code (a plain string), if it is one."""
    return next((sentence for preset, sentence in REASONS.items() if preset == code), None)


def public_reason(code: str | None) -> str:
    """What anyone holding the upload's id reads on GET /uploads/{id}: a preset sentence only.

    An organiser's own words may name a pupil or a school ("pupil Tom visible..."): they reach
    the uploader by email and nobody else.
    """
    return _sentence(code) or GENERAL_REASON


def preset_code(text: str) -> ReasonCode | None:
    """The preset an organiser's reason names: its code, or its sentence word for word."""
    wanted = text.strip().rstrip(".").casefold()
    return next(
        (code for code, sentence in REASONS.items() if wanted in (code, sentence.casefold())), None
    )


def technician_reason(code: str | None, text: str | None) -> str:
    """The kind reason the uploader's email gives: the preset sentence and/or the organiser's
    words."""
    preset = _sentence(code)
    parts = [preset] if preset else []
    if text:
        parts.append(text)
    return "; ".join(parts) or GENERAL_REASON


def approved(*, to: str, display_name: str, caption: str, site_url: str, photo_id: str) -> Email:
    """Links the photo's share page: it shows the photo, and its link previews it wherever the
    technician posts it."""
    page = share_url(site_url, photo_id)
    subject = "Your photo is live on the #TECHOGNITION gallery"
    text = (
        f"Hello {display_name},\n\n"
        f'Thank you for sharing your work! Your photo "{caption}" is now live on the '
        f"#TECHOGNITION gallery. See it, and share it with colleagues and friends:\n{page}\n\n"
        "With thanks from the #TECHOGNITION team\n"
    )
    body = (
        f"<p>Hello {html.escape(display_name)},</p>"
        f"<p>Thank you for sharing your work! Your photo &ldquo;{html.escape(caption)}&rdquo; "
        "is now live on the #TECHOGNITION gallery.</p>"
        f'<p><a href="{html.escape(page)}">See it, and share it</a> with colleagues and '
        "friends.</p>"
        "<p>With thanks from the #TECHOGNITION team</p>"
    )
    return Email(to=to, subject=subject, text=text, html=body)


def rejected(*, to: str, reason: str, site_url: str) -> Email:
    """No name or caption: a rejected photo's words were never approved by anyone, and the
    address may not be the uploader's (anyone can type any address), so echoing them would let
    a stranger put their text into our mail to someone else."""
    subject = "Your #TECHOGNITION photo wasn't published"
    text = (
        "Hello,\n\n"
        "Thank you for sharing your photo. We're sorry: it wasn't published "
        f"because {reason}.\n\n"
        f"You're very welcome to upload another photo at {site_url}\n\n"
        "With thanks from the #TECHOGNITION team\n"
    )
    body = (
        "<p>Hello,</p>"
        "<p>Thank you for sharing your photo. We're sorry: "
        f"it wasn't published because {html.escape(reason)}.</p>"
        f'<p>You\'re very welcome to <a href="{html.escape(site_url)}">upload another '
        "photo</a>.</p>"
        "<p>With thanks from the #TECHOGNITION team</p>"
    )
    return Email(to=to, subject=subject, text=text, html=body)
