"""SES sender identity and configuration set; bounces and complaints go to the feedback topic."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from constructs import Construct


class Email(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sender_email: str,
        feedback_topic: sns.ITopic | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            reputation_metrics=True,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        )
        if feedback_topic is not None:
            self.configuration_set.add_event_destination(
                "BounceAndComplaint",
                destination=ses.EventDestination.sns_topic(feedback_topic),
                events=[ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
            )
        # An email-address identity (verified by the link SES mails on deploy); a domain identity
        # with DKIM is better for deliverability once the domain's DNS is in reach.
        self.identity = ses.EmailIdentity(
            self,
            "Sender",
            identity=ses.Identity.email(sender_email),
            configuration_set=self.configuration_set,
        )
        stack = Stack.of(self)
        self.configuration_set_arn = stack.format_arn(
            service="ses",
            resource="configuration-set",
            resource_name=self.configuration_set.configuration_set_name,
        )

    def grant_send(self, grantee: iam.IGrantable) -> None:
        """ses:SendEmail / SendRawEmail as the sender identity, with its configuration set only."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=[self.identity.email_identity_arn, self.configuration_set_arn],
            )
        )
