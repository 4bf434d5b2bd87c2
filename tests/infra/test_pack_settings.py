"""The free event packs' settings (cdk.json): validated at synth, given to the functions."""

from __future__ import annotations

from typing import Any

import pytest

from infra.settings import SettingsError, load_settings
from infra.wiring import WIRING

from .conftest import of_type


def test_the_defaults_promise_1000_packs_until_the_week_ends():
    env = load_settings(None).function_environment()
    assert env["PACK_STOCK"] == "1000"
    assert "PACKS_OPEN" not in env and "PACKS_CLOSE" not in env  # shared.config: open


def test_pack_dates_reach_the_functions():
    env = load_settings(
        {"packs_open": "2027-01-11", "packs_close": "2027-02-26", "pack_stock": 770}
    ).function_environment()
    assert (env["PACKS_OPEN"], env["PACKS_CLOSE"], env["PACK_STOCK"]) == (
        "2027-01-11",
        "2027-02-26",
        "770",
    )


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"packs_open": "2027-02-26", "packs_close": "2027-01-11"}, "before packs_open"),
        ({"packs_close": "2027-03-20"}, "after event_end"),
        # Last year's dates left in cdk.json when the week moved on
        (
            {"event_start": "2028-03-06", "event_end": "2028-03-12", "packs_open": "2027-01-11"},
            "more than a year before",
        ),
        ({"pack_stock": -1}, "pack_stock"),
    ],
)
def test_pack_settings_that_cannot_work_are_refused_at_synth(context, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(context)


def test_the_campaign_function_has_the_pack_settings_and_owes_its_email(resources):
    handler = WIRING.function("campaign-api").handler
    (props,) = [
        f["Properties"]
        for f in of_type(resources, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == handler
    ]
    assert props["Environment"]["Variables"]["PACK_STOCK"] == "1000"
    role = props["Role"]["Fn::GetAtt"][0]
    actions: set[str] = set()
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                listed: Any = statement["Action"]
                actions.update([listed] if isinstance(listed, str) else listed)
    # The confirmation is an outbox item of the pack's commit: the outbox sends it.
    assert "dynamodb:PutItem" in actions and "ses:SendEmail" not in actions
    assert not {a for a in actions if a.startswith(("s3:", "cloudfront:"))}
