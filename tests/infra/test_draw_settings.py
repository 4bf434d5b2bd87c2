"""The draw's settings (cdk.json): a draw and the emails it owes must fit one transaction."""

from __future__ import annotations

import pytest

from infra.settings import SettingsError, load_settings


def organisers(n: int) -> list[str]:
    return [f"organiser{i}@techognition.test" for i in range(n)]


def test_a_draw_of_up_to_100_items_is_accepted():
    # 2 (record, audit) + 2 x 40 (winner items and emails) + 18 organisers' emails = 100
    settings = load_settings({"winners_per_day": 40, "organiser_emails": organisers(18)})
    assert settings.function_environment()["WINNERS_PER_DAY"] == "40"


def test_a_draw_that_would_not_fit_one_transaction_is_refused_at_synth():
    with pytest.raises(SettingsError, match="more than one DynamoDB transaction"):
        load_settings({"winners_per_day": 40, "organiser_emails": organisers(19)})
    with pytest.raises(SettingsError, match="more than one DynamoDB transaction"):
        load_settings({"winners_per_day": 50})
