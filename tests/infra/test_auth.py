"""The organisers' user pool and its app client, as synthesized."""

from __future__ import annotations

from .conftest import of_type


def _pool(resources):
    (pool,) = of_type(resources, "AWS::Cognito::UserPool").values()
    return pool["Properties"]


def _client(resources):
    (client,) = of_type(resources, "AWS::Cognito::UserPoolClient").values()
    return client["Properties"]


def test_organisers_must_sign_in_with_an_authenticator_app(resources):
    pool = _pool(resources)
    # MFA is required (not optional), by TOTP only: no SMS (neither free nor needed)
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert "SmsConfiguration" not in pool
    assert pool["UserPoolTier"] == "LITE"  # TOTP needs no paid plan


def test_an_organisers_new_email_counts_only_once_verified(resources):
    settings = _pool(resources)["UserAttributeUpdateSettings"]
    assert settings["AttributesRequireVerificationBeforeUpdate"] == ["email"]


def test_the_app_client_has_no_oauth_flows_or_callback_urls(resources):
    client = _client(resources)
    assert client["AllowedOAuthFlowsUserPoolClient"] is False
    for key in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "LogoutURLs"):
        assert key not in client, key


def test_an_organiser_can_change_only_their_name_through_the_app_client(resources):
    # Without WriteAttributes every attribute is writable, email included
    assert _client(resources)["WriteAttributes"] == ["name"]


def test_the_app_client_signs_in_without_a_secret_and_hides_who_exists(resources):
    client = _client(resources)
    assert client["GenerateSecret"] is False
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
