"""Creates on the embedded AWS (moto server) everything the wiring declares.

The same declaration CDK reads: the table and its indexes, buckets with their notifications and
lifecycle, queues with their dead-letter queues, topics with their subscriptions, the Cognito pool
with its `organisers` group and two users, and the SES sender identity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from infra.wiring import Wiring
from local.totp import fresh_code

ORGANISERS = "organisers"


@dataclass
class Provisioned:
    table_name: str
    bucket_names: dict[str, str]
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)
    topic_arns: dict[str, str] = field(default_factory=dict)
    stream_arn: str = ""  # the table's stream (the outbox consumer reads it)
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    # every local user's authenticator app (moto hands out one fixed secret to all)
    totp_secrets: dict[str, str] = field(default_factory=dict)
    # SES sends name it, as in the cloud (bounces and complaints go to the feedback topic there)
    ses_configuration_set: str = "techognition-mail"


def provision(wiring: Wiring, session: Any, *, sender_email: str) -> Provisioned:
    out = Provisioned(
        table_name=wiring.table.name,
        bucket_names={b.name: b.name for b in wiring.buckets},
    )
    out.stream_arn = _table(wiring, session.client("dynamodb"))
    _queues(wiring, session.client("sqs"), out)
    _buckets(wiring, session.client("s3"), out)
    _topics(wiring, session.client("sns"), out)
    ses = session.client("ses")
    ses.verify_email_identity(EmailAddress=sender_email)
    ses.create_configuration_set(ConfigurationSet={"Name": out.ses_configuration_set})
    return out


def _table(wiring: Wiring, ddb: Any) -> str:
    spec = wiring.table
    attributes = [{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk")]
    indexes = []
    for name in spec.indexes:
        attributes += [{"AttributeName": f"{name}{k}", "AttributeType": "S"} for k in ("pk", "sk")]
        indexes.append(
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": f"{name}pk", "KeyType": "HASH"},
                    {"AttributeName": f"{name}sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        )
    stream = (
        {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": spec.stream}}
        if spec.stream
        else {}
    )
    created = ddb.create_table(
        **stream,
        TableName=spec.name,
        AttributeDefinitions=attributes,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=indexes,
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_time_to_live(
        TableName=spec.name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
    )
    return str(created["TableDescription"].get("LatestStreamArn", ""))


def _queues(wiring: Wiring, sqs: Any, out: Provisioned) -> None:
    for queue in wiring.queues:
        attributes: dict[str, str] = {"VisibilityTimeout": str(queue.visibility_timeout_s)}
        if queue.dead_letter:
            dlq_url = sqs.create_queue(QueueName=queue.dlq_name)["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            out.queue_urls[queue.dlq_name], out.queue_arns[queue.dlq_name] = dlq_url, dlq_arn
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}
            )
        url = sqs.create_queue(QueueName=queue.name, Attributes=attributes)["QueueUrl"]
        out.queue_urls[queue.name] = url
        out.queue_arns[queue.name] = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]


def _buckets(wiring: Wiring, s3: Any, out: Provisioned) -> None:
    for bucket in wiring.buckets:
        s3.create_bucket(
            Bucket=bucket.name,
            CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name},
        )
        if bucket.expire_prefixes:
            s3.put_bucket_lifecycle_configuration(
                Bucket=bucket.name,
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "ID": f"expire-{prefix.strip('/')}",
                            "Status": "Enabled",
                            "Filter": {"Prefix": prefix},
                            "Expiration": {"Days": days},
                        }
                        for prefix, days in bucket.expire_prefixes
                    ]
                },
            )
        if bucket.notify_queue:
            s3.put_bucket_notification_configuration(
                Bucket=bucket.name,
                NotificationConfiguration={
                    "QueueConfigurations": [
                        {
                            "QueueArn": out.queue_arns[bucket.notify_queue],
                            "Events": ["s3:ObjectCreated:*"],
                            "Filter": {
                                "Key": {
                                    "FilterRules": [
                                        {"Name": "prefix", "Value": bucket.notify_prefix or ""}
                                    ]
                                }
                            },
                        }
                    ]
                },
            )


def _topics(wiring: Wiring, sns: Any, out: Provisioned) -> None:
    for topic in wiring.topics:
        arn = sns.create_topic(Name=topic.name)["TopicArn"]
        out.topic_arns[topic.name] = arn
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=out.queue_arns[topic.queue])


@dataclass(frozen=True)
class User:
    username: str
    password: str
    email: str


def provision_users(cognito: Any, out: Provisioned, *, organiser: User, member: User) -> None:
    """The organisers' pool as CDK declares it: admin-created users only, a strong policy, an
    authenticator app (TOTP) required, a client without OAuth that may write the name only.

    Both users have enrolled their app already (`out.totp_secrets`), so they sign in as an
    enrolled organiser does in the cloud: password, then SOFTWARE_TOKEN_MFA. moto checks the
    codes only with MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true (local/stack.py sets it).
    """
    pool = cognito.create_user_pool(
        PoolName="techognition-organisers",
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 12,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
            }
        },
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        UsernameAttributes=[],
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
        MfaConfiguration="OPTIONAL",  # ON once the users below have enrolled their app
    )["UserPool"]
    out.user_pool_id = pool["Id"]
    out.user_pool_client_id = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="site",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        GenerateSecret=False,
        AllowedOAuthFlowsUserPoolClient=False,
        WriteAttributes=["name"],
    )["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=pool["Id"], GroupName=ORGANISERS)
    for user in (organiser, member):
        cognito.admin_create_user(
            UserPoolId=pool["Id"],
            Username=user.username,
            UserAttributes=[
                {"Name": "email", "Value": user.email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool["Id"], Username=user.username, Password=user.password, Permanent=True
        )
        out.totp_secrets[user.username] = _enrol_authenticator(
            cognito, out.user_pool_client_id, user
        )
    cognito.admin_add_user_to_group(
        UserPoolId=pool["Id"], Username=organiser.username, GroupName=ORGANISERS
    )
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool["Id"],
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="ON",
    )


def _enrol_authenticator(cognito: Any, client_id: str, user: User) -> str:
    """What an organiser does once: add an authenticator app, prove it with a code, prefer it."""
    tokens = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.username, "PASSWORD": user.password},
    )["AuthenticationResult"]
    secret = str(cognito.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"])
    cognito.verify_software_token(AccessToken=tokens["AccessToken"], UserCode=fresh_code(secret))
    cognito.set_user_mfa_preference(
        AccessToken=tokens["AccessToken"],
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    return secret
