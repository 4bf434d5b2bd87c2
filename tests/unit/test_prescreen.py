"""Pre-screening: the Rekognition adapter (botocore Stubber on a real client) and the stand-in."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from shared.config import PrescreenConfig
from shared.prescreen import (
    MAY_SHOW_PUPILS,
    UNAVAILABLE,
    CaptionScreener,
    RekognitionScreener,
    needs_attention,
    prescreen,
)

IMAGE = b"\xff\xd8\xff\xe0 not really a jpeg"


@pytest.fixture
def rekognition() -> Any:
    return boto3.client(
        "rekognition", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x"
    )


def _labels(stub: Stubber, labels: list[dict[str, Any]], min_confidence: float = 60.0) -> None:
    stub.add_response(
        "detect_moderation_labels",
        {"ModerationLabels": labels},
        {"Image": {"Bytes": IMAGE}, "MinConfidence": min_confidence},
    )


def _faces(stub: Stubber, lows: list[int]) -> None:
    faces = [{"AgeRange": {"Low": low, "High": low + 8}, "Confidence": 99.0} for low in lows]
    stub.add_response(
        "detect_faces", {"FaceDetails": faces}, {"Image": {"Bytes": IMAGE}, "Attributes": ANY}
    )


def _screen(rekognition: Any, min_confidence: float = 60.0, checks: Any = "all") -> dict[str, Any]:
    return RekognitionScreener(
        lambda: rekognition, min_confidence=min_confidence, checks=checks
    ).screen(IMAGE, "any caption")


def test_faces_only_makes_one_call_and_still_routes_pupils_to_a_human(rekognition):
    # Given the default checks (faces): no DetectModerationLabels is stubbed, so one would fail
    with Stubber(rekognition) as stub:
        _faces(stub, [12, 35])
        result = _screen(rekognition, checks="faces")
        stub.assert_no_pending_responses()
    assert result["status"] == "flagged"
    assert result["flags"] == [MAY_SHOW_PUPILS]
    assert needs_attention(result)


def test_checks_off_call_nothing_and_put_no_photo_ahead(rekognition):
    with Stubber(rekognition) as stub:  # any call would raise: nothing is stubbed
        result = _screen(rekognition, checks="off")
        stub.assert_no_pending_responses()
    assert result == {"status": "off", "flags": [], "labels": [], "faces_under_18": 0}
    assert not needs_attention(result)


def test_the_default_checks_are_faces():
    assert PrescreenConfig.model_fields["prescreen_checks"].default == "faces"
    assert RekognitionScreener(lambda: None, min_confidence=60).checks == "faces"


def test_a_clean_photo_of_adults_is_ok(rekognition):
    with Stubber(rekognition) as stub:
        _labels(stub, [])
        _faces(stub, [25, 41])
        result = _screen(rekognition)
        stub.assert_no_pending_responses()
    assert result == {"status": "ok", "flags": [], "labels": [], "faces_under_18": 0}
    assert not needs_attention(result)


def test_moderation_labels_over_the_confidence_flag_the_photo(rekognition):
    with Stubber(rekognition) as stub:
        _labels(stub, [{"Name": "Weapons", "Confidence": 91.24, "ParentName": "Violence"}], 80.0)
        _faces(stub, [])
        result = _screen(rekognition, 80.0)
    assert result["status"] == "flagged"
    assert result["labels"] == [{"name": "Weapons", "confidence": 91.2}]
    assert result["flags"] == ["moderation label: Weapons (91%)"]
    assert needs_attention(result)


def test_labels_below_the_confidence_are_ignored_even_if_returned(rekognition):
    with Stubber(rekognition) as stub:
        _labels(stub, [{"Name": "Suggestive", "Confidence": 55.0}])
        _faces(stub, [])
        result = _screen(rekognition)
    assert result["status"] == "ok"


def test_any_face_that_may_be_under_18_flags_pupils(rekognition):
    with Stubber(rekognition) as stub:
        _labels(stub, [])
        _faces(stub, [30, 13, 16])
        result = _screen(rekognition)
    assert result["status"] == "flagged"
    assert result["flags"] == [MAY_SHOW_PUPILS]
    assert result["faces_under_18"] == 2


@pytest.mark.parametrize(
    "code",
    [
        "InvalidImageFormatException",
        "ImageTooLargeException",
        "ThrottlingException",
        "AccessDeniedException",
    ],
)
def test_a_refused_image_or_failing_rekognition_is_unavailable_never_an_error(rekognition, code):
    with Stubber(rekognition) as stub:
        stub.add_client_error(
            "detect_moderation_labels", service_error_code=code, http_status_code=400
        )
        result = _screen(rekognition)
    assert result["status"] == "unavailable"
    assert result["flags"] == [UNAVAILABLE]
    assert needs_attention(result)


def test_a_failure_of_the_face_call_keeps_the_labels_found_and_is_unavailable(rekognition):
    with Stubber(rekognition) as stub:
        _labels(stub, [{"Name": "Smoking", "Confidence": 97.0}])
        stub.add_client_error(
            "detect_faces", service_error_code="InternalServerError", http_status_code=500
        )
        result = _screen(rekognition)
    assert result["status"] == "unavailable"
    assert result["flags"] == ["moderation label: Smoking (97%)", UNAVAILABLE]


def test_no_connection_at_all_is_unavailable(rekognition):
    from botocore.exceptions import EndpointConnectionError

    def broken() -> Any:
        raise EndpointConnectionError(endpoint_url="https://rekognition.invalid")

    result = RekognitionScreener(broken, min_confidence=60).screen(IMAGE, "")
    assert result["status"] == "unavailable"


@pytest.mark.parametrize(
    ("caption", "status", "flags"),
    [
        ("Our prep room after the big clean", "ok", []),
        ("Year 9 pupils building circuits", "flagged", [MAY_SHOW_PUPILS]),
        ("The KIDS loved it!", "flagged", [MAY_SHOW_PUPILS]),
        ("flag this one please", "flagged", ["moderation label: Unsafe (local stand-in) (99%)"]),
        ("prescreen-error on students", "unavailable", [UNAVAILABLE]),
    ],
)
def test_the_caption_stand_in_flags_by_words(caption, status, flags):
    result = prescreen(IMAGE, caption, mode="caption", min_confidence=60)
    assert (result["status"], result["flags"]) == (status, flags)
    assert result == CaptionScreener().screen(IMAGE, caption)


def test_an_unknown_mode_is_a_configuration_error():
    with pytest.raises(ValueError, match="unknown pre-screen mode"):
        prescreen(IMAGE, "", mode="magic", min_confidence=60)


def test_rekognition_mode_uses_the_shared_client_with_the_configured_confidence(rekognition):
    from shared.aws import set_client

    set_client("rekognition", rekognition)
    try:
        with Stubber(rekognition) as stub:
            _labels(stub, [], min_confidence=75.0)
            _faces(stub, [8])
            result = prescreen(
                IMAGE, "no words matter here", mode="rekognition", min_confidence=75.0, checks="all"
            )
            stub.assert_no_pending_responses()
    finally:
        set_client("rekognition", None)
    assert result["flags"] == [MAY_SHOW_PUPILS]
