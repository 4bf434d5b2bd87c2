"""Automatic pre-screening of a processed photo: it orders and annotates the organisers' queue.

A port (`Screener`) with two adapters: Amazon Rekognition in the cloud (moderation labels, and
faces that may be under 18), and a caption-driven stand-in for the local stack and tests (moto
does not implement Rekognition). Pre-screening never approves or rejects anything, and it never
raises: when Rekognition fails or refuses an image, the photo is queued "pre-screen unavailable"
for an organiser to look at with no automated help.

Which checks run is a setting (`PRESCREEN_CHECKS`, cdk.json `prescreen`): `faces` (the default:
DetectFaces with age ranges, what routes "may show pupils" to a human), `all` (also
DetectModerationLabels: a second paid call per photo), `off` (no call; every photo is seen by an
organiser before it is public anyway).

Result (stored on the photo as `prescreen`):
`{"status": "ok" | "flagged" | "unavailable" | "off", "flags": [str],
"labels": [{"name", "confidence"}], "faces_under_18": int}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from shared.observability import logger

PrescreenStatus = Literal["ok", "flagged", "unavailable", "off"]
Checks = Literal["all", "faces", "off"]

MAY_SHOW_PUPILS = "may show pupils: check consent"
UNAVAILABLE = "pre-screen unavailable"
ADULT_AGE = 18


@dataclass
class Findings:
    labels: list[dict[str, Any]] = field(default_factory=list)
    faces_under_18: int = 0
    unavailable: bool = False
    off: bool = False  # no automatic check is configured

    def result(self) -> dict[str, Any]:
        flags = [
            f"moderation label: {lab['name']} ({lab['confidence']:.0f}%)" for lab in self.labels
        ]
        if self.faces_under_18:
            flags.append(MAY_SHOW_PUPILS)
        if self.unavailable:
            flags.append(UNAVAILABLE)
        status: PrescreenStatus = (
            "unavailable"
            if self.unavailable
            else "flagged"
            if flags
            else "off"
            if self.off
            else "ok"
        )
        return {
            "status": status,
            "flags": flags,
            "labels": self.labels,
            "faces_under_18": self.faces_under_18,
        }


class Screener(Protocol):
    def screen(self, image: bytes, caption: str) -> dict[str, Any]: ...


class RekognitionScreener:
    """`DetectFaces` with age ranges, and with `all` `DetectModerationLabels` over
    `min_confidence`."""

    def __init__(
        self, rekognition: Callable[[], Any], *, min_confidence: float, checks: Checks = "faces"
    ) -> None:
        self._rekognition = rekognition  # a factory, so that no client exists until needed
        self.min_confidence = min_confidence
        self.checks = checks

    def screen(self, image: bytes, caption: str) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        findings = Findings(off=self.checks == "off")
        if findings.off:
            return findings.result()
        try:
            client = self._rekognition()
            if self.checks == "all":
                labels = client.detect_moderation_labels(
                    Image={"Bytes": image}, MinConfidence=self.min_confidence
                ).get("ModerationLabels", [])
                findings.labels = [
                    {"name": str(lab["Name"]), "confidence": round(float(lab["Confidence"]), 1)}
                    for lab in labels
                    if float(lab.get("Confidence", 0)) >= self.min_confidence
                ]
            faces = client.detect_faces(Image={"Bytes": image}, Attributes=["AGE_RANGE"]).get(
                "FaceDetails", []
            )
            findings.faces_under_18 = sum(
                1 for face in faces if int(face.get("AgeRange", {}).get("Low", 0)) < ADULT_AGE
            )
        except ClientError as exc:  # InvalidImageFormat, ImageTooLarge, throttling, access ...
            findings.unavailable = True
            code = exc.response.get("Error", {}).get("Code", "unknown")
            logger.warning("pre-screen unavailable", error_code=code)
        except BotoCoreError as exc:  # no connection, timeouts, parameter validation
            findings.unavailable = True
            logger.warning("pre-screen unavailable", error_type=type(exc).__name__)
        return findings.result()


_PUPIL_WORDS = {"pupil", "pupils", "student", "students", "kid", "kids", "child", "children"}
_UNSAFE_WORDS = {"unsafe", "flag", "flagged"}
_ERROR_WORD = "prescreen-error"


class CaptionScreener:
    """The local stand-in: words in the caption decide, so the flags can be seen end to end.

    "pupils", "students", "kids" … → a face that may be under 18; "unsafe" or "flag" → a
    moderation label; "prescreen-error" → Rekognition unavailable.
    """

    def screen(self, image: bytes, caption: str) -> dict[str, Any]:
        words = set(re.findall(r"[a-z0-9-]+", caption.casefold()))
        findings = Findings()
        if _ERROR_WORD in words:
            findings.unavailable = True
            return findings.result()
        if words & _UNSAFE_WORDS:
            findings.labels = [{"name": "Unsafe (local stand-in)", "confidence": 99.0}]
        if words & _PUPIL_WORDS:
            findings.faces_under_18 = 1
        return findings.result()


def screener(mode: str, *, min_confidence: float, checks: Checks = "faces") -> Screener:
    if mode == "rekognition":
        from shared.aws import client

        return RekognitionScreener(
            lambda: client("rekognition"), min_confidence=min_confidence, checks=checks
        )
    if mode == "caption":
        return CaptionScreener()
    raise ValueError(f"unknown pre-screen mode: {mode}")


def prescreen(
    image: bytes, caption: str, *, mode: str, min_confidence: float, checks: Checks = "faces"
) -> dict[str, Any]:
    """Screen a display image; never raises for anything Rekognition does."""
    return screener(mode, min_confidence=min_confidence, checks=checks).screen(image, caption)


def needs_attention(result: dict[str, Any] | None) -> bool:
    """Whether a pre-screen result puts a photo first in the queue (flagged, or a check that
    should have run and could not). With checks `off` no photo is ahead of another."""
    return bool(result) and (result or {}).get("status") not in ("ok", "off")
