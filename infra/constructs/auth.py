"""Cognito user pool for organisers (no self sign-up) and the API's JWT authorizer."""

from __future__ import annotations

import re

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.constants import ORGANISERS_GROUP, PASSWORD_MIN_LENGTH
from infra.constructs.nag import acknowledge


def organiser_username(email: str, index: int) -> str:
    """A username derived from the email: Cognito refuses email-shaped usernames when email is
    a sign-in alias, and organisers still sign in with their email (alias) or this name."""
    local = re.sub(r"[^a-z0-9._-]", "-", email.split("@", 1)[0].lower())
    return f"organiser{index + 1}-{local}"


class Auth(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, organiser_emails: tuple[str, ...]
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=PASSWORD_MIN_LENGTH,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
            ),
            # Organisers export every subscriber's email and erase data: an authenticator app
            # (TOTP, free on the Lite plan) is required; SMS is neither needed nor free.
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            # A changed email takes effect only once the new address is verified.
            keep_original=cognito.KeepOriginalAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.LITE,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.user_pool,
            "COG8",
            "The Plus feature plan is billed per active user; the Lite plan covers a few "
            "invited organisers with TOTP MFA.",
        )
        group = cognito.CfnUserPoolGroup(
            self,
            "Organisers",
            user_pool_id=self.user_pool.user_pool_id,
            group_name=ORGANISERS_GROUP,
            description="May moderate, draw and export",
        )
        self.client = self.user_pool.add_client(
            "Client",
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            # The console signs in through the API, not the hosted UI: no OAuth flows, no
            # callback URLs (CDK's default would allow implicit grants to https://example.com).
            disable_o_auth=True,
            # Organisers may change their name only; their email is their identity (the
            # self-moderation check, the audit) and is changed by ops.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        )
        for index, email in enumerate(organiser_emails):
            username = organiser_username(email, index)
            user = cognito.CfnUserPoolUser(
                self,
                f"Organiser{index}",
                user_pool_id=self.user_pool.user_pool_id,
                username=username,
                desired_delivery_mediums=["EMAIL"],
                user_attributes=[
                    cognito.CfnUserPoolUser.AttributeTypeProperty(name="email", value=email),
                    cognito.CfnUserPoolUser.AttributeTypeProperty(
                        name="email_verified", value="true"
                    ),
                ],
            )
            attachment = cognito.CfnUserPoolUserToGroupAttachment(
                self,
                f"Organiser{index}InGroup",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=ORGANISERS_GROUP,
                username=username,
            )
            attachment.add_dependency(user)
            attachment.add_dependency(group)

        region = Stack.of(self).region
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool.user_pool_id}"
        self.authorizer = authorizers.HttpJwtAuthorizer(
            "OrganiserJwt",
            self.issuer,
            jwt_audience=[self.client.user_pool_client_id],
            authorizer_name="organiser-jwt",
        )
