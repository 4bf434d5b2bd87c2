"""The template is built from the wiring: routes, event sources, schedules."""

from __future__ import annotations

from infra.constructs.functions import logical_id
from infra.wiring import WIRING

from .conftest import EXTRA_ROUTE, ORGANISER, of_type


def _route_keys(resources):
    return {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in of_type(resources, "AWS::ApiGatewayV2::Route").values()
    }


def test_every_wiring_route_is_an_api_route_with_its_authorization(resources):
    routes = _route_keys(resources)
    assert len(routes) == len(WIRING.routes())
    for route, _fn in WIRING.routes():
        props = routes[route.route_key]
        expected = "JWT" if route.auth == "organiser" else "NONE"
        assert props["AuthorizationType"] == expected, route.route_key
        if route.auth == "organiser":
            assert "AuthorizerId" in props


def test_each_route_integrates_the_function_the_wiring_names(synthesized, resources):
    _, stack, _ = synthesized
    integrations = of_type(resources, "AWS::ApiGatewayV2::Integration")
    functions = stack.node.find_child("Functions")
    for route, fn in WIRING.routes():
        props = _route_keys(resources)[route.route_key]
        integration_id = props["Target"]["Fn::Join"][1][1]["Ref"]
        uri = integrations[integration_id]["Properties"]["IntegrationUri"]
        fn_id = logical_id(functions.node.find_child(fn.name).node.find_child("Function"))
        assert uri == {"Fn::GetAtt": [fn_id, "Arn"]}, route.route_key


def test_jwt_authorizer_trusts_the_user_pool_and_its_client(resources):
    (authorizer,) = of_type(resources, "AWS::ApiGatewayV2::Authorizer").values()
    jwt = authorizer["Properties"]["JwtConfiguration"]
    issuer = jwt["Issuer"]["Fn::Join"][1]
    assert issuer[0] == "https://cognito-idp."
    assert any(isinstance(p, dict) and "Ref" in p for p in issuer[1:])
    assert len(jwt["Audience"]) == 1


def test_adding_a_route_to_the_wiring_adds_it_to_the_template(resources, modified_resources):
    # Given the session synth of WIRING and one of a copy with EXTRA_ROUTE added (conftest)
    before = _route_keys(resources)
    # When
    after = _route_keys(modified_resources)
    # Then exactly that route appears, behind the JWT authorizer
    assert set(after) - set(before) == {EXTRA_ROUTE.route_key}
    assert after[EXTRA_ROUTE.route_key]["AuthorizationType"] == "JWT"


def test_every_queue_source_is_an_event_source_mapping_reporting_item_failures(resources):
    mappings = {
        k: m
        for k, m in of_type(resources, "AWS::Lambda::EventSourceMapping").items()
        if "StreamArn" not in str(m["Properties"]["EventSourceArn"])
    }  # the outbox's
    expected = [(fn, src) for fn in WIRING.functions for src in fn.queue_sources]
    assert len(mappings) == len(expected)
    by_batch = sorted(m["Properties"]["BatchSize"] for m in mappings.values())
    assert by_batch == sorted(src.batch_size for _, src in expected)
    for mapping in mappings.values():
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_queues_with_dead_letter_have_redrive_and_visibility_from_wiring(resources):
    queues = of_type(resources, "AWS::SQS::Queue")
    redriven = {
        q["Properties"]["VisibilityTimeout"]: q["Properties"]["RedrivePolicy"]
        for q in queues.values()
        if "RedrivePolicy" in q["Properties"]
    }
    with_dlq = [q for q in WIRING.queues if q.dead_letter]
    assert len(redriven) == len(with_dlq)
    for spec in with_dlq:
        assert redriven[spec.visibility_timeout_s]["maxReceiveCount"] == spec.max_receive_count
    dlqs = [
        q for q in queues.values() if q["Properties"].get("MessageRetentionPeriod") == 14 * 86400
    ]
    assert len(dlqs) == len(with_dlq)
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_schedule_runs_in_event_timezone_between_event_dates(resources):
    schedules = of_type(resources, "AWS::Scheduler::Schedule")
    expected = [(fn, s) for fn in WIRING.functions for s in fn.schedules]
    assert len(schedules) == len(expected)
    for schedule in schedules.values():
        props = schedule["Properties"]
        assert props["ScheduleExpressionTimezone"] == "Europe/London"
        assert props["ScheduleExpression"] == "cron(5 * * * ? *)"
        # 2027-03-08 00:00 GMT; 2027-03-14 + 3 grace days ends at 2027-03-18 00:00 GMT
        assert props["StartDate"] == "2027-03-08T00:00:00Z"
        assert props["EndDate"] == "2027-03-18T00:00:00Z"
        assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert '"schedule": "draw-hourly"' in props["Target"]["Input"]
        assert props["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 3


def test_schedule_role_may_invoke_only_its_function(resources):
    roles = {
        k: r
        for k, r in of_type(resources, "AWS::IAM::Role").items()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
        == "scheduler.amazonaws.com"
    }
    assert len(roles) == 1
    (role_id,) = roles
    policies = [
        p
        for p in of_type(resources, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert len(statements) == 1
    assert statements[0]["Action"] == "lambda:InvokeFunction"
    assert "Fn::GetAtt" in statements[0]["Resource"]


def test_organiser_emails_become_users_in_the_organisers_group(resources, modified_resources):
    assert not of_type(resources, "AWS::Cognito::UserPoolUser")
    (user,) = of_type(modified_resources, "AWS::Cognito::UserPoolUser").values()
    assert user["Properties"]["DesiredDeliveryMediums"] == ["EMAIL"]
    attributes = user["Properties"]["UserAttributes"]
    assert {"Name": "email", "Value": ORGANISER} in attributes
    groups = of_type(modified_resources, "AWS::Cognito::UserPoolUserToGroupAttachment")
    (attachment,) = groups.values()
    assert attachment["Properties"]["GroupName"] == "organisers"
    assert attachment["Properties"]["Username"] == user["Properties"]["Username"]
