"""Evaluating recorded AWS calls against each function's policy in the synthesized template.

What IAM does for an identity policy within one account: a request is allowed when some Allow
statement matches it and no Deny statement does; a statement matches when its Action (or
NotAction) and Resource (or NotResource) patterns match, `*` and `?` being wildcards, and every
condition holds. Conditions are evaluated as IAM does, including the trap that
`ForAllValues:` over a key the request lacks (a Scan has no `dynamodb:LeadingKeys`) is true.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from local.iam import ACCOUNT, NAMED_BY_ENV

REGION = "eu-west-2"
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "TechognitionStack",
    "AWS::NoValue": "",
}
# Used by Lambda itself (logs, traces, event source mappings), never by the function's code.
RUNTIME_PREFIXES = (
    "logs:",
    "xray:",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:DescribeStream",
    "dynamodb:ListStreams",
)


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)


def matches(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    return _pattern(glob, ignore_case).fullmatch(value) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---- the template: names resolved as the recorder writes them --------------------------------


class Unresolvable(ValueError):
    pass


@dataclass
class Names:
    """What each logical resource's Ref and Arn resolve to in recorded terms."""

    ref: dict[str, str] = field(default_factory=dict)
    arn: dict[str, str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str | int | float | bool):
            return value
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict) or len(value) != 1:
            raise Unresolvable(repr(value))
        ((fn, arg),) = value.items()
        intrinsic = getattr(self, "_" + fn.removeprefix("Fn::").lower(), None)
        if intrinsic is None:
            raise Unresolvable(fn)
        return intrinsic(arg)

    def _ref(self, arg: str) -> str:
        return PSEUDO[arg] if arg in PSEUDO else self.ref.get(arg, f"<{arg}>")

    def _getatt(self, arg: Any) -> str:
        logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
        if attribute == "Arn":
            return self.arn.get(logical, f"<{logical}.Arn>")
        return f"<{logical}.{attribute}>"

    def _join(self, arg: Any) -> str:
        separator, parts = arg
        return str(separator).join(str(self.resolve(p)) for p in parts)

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else arg

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            return self._getatt(name) if "." in name else self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", sub, text)

    def _select(self, arg: Any) -> Any:
        index, items = arg
        return self.resolve(items)[int(index)]

    def _split(self, arg: Any) -> list[str]:
        separator, text = arg
        return str(self.resolve(text)).split(separator)


def names_of(template: dict[str, Any], paths: dict[str, str]) -> Names:
    resources = template["Resources"]
    env_names: dict[str, str] = {}
    literal: dict[str, str] = {}
    for res in resources.values():
        if res["Type"] == "AWS::Lambda::Function":
            variables = res["Properties"].get("Environment", {}).get("Variables", {})
            for var in NAMED_BY_ENV:
                value = variables.get(var)
                if isinstance(value, dict) and "Ref" in value:
                    env_names[value["Ref"]] = "${" + var + "}"
                elif isinstance(value, str):
                    literal[value] = "${" + var + "}"
    names = Names()
    for logical, res in resources.items():
        _name_resource(names, logical, res, paths.get(logical, ""), env_names.get(logical), literal)
    return names


def _name_resource(
    names: Names,
    logical: str,
    res: dict[str, Any],
    path: str,
    name: str | None,
    literal: dict[str, str],
) -> None:
    kind, props = res["Type"], res.get("Properties", {})
    if kind in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
        names.ref[logical] = name = name or f"<{logical}>"
        names.arn[logical] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    elif kind == "AWS::S3::Bucket":
        names.ref[logical] = name = name or f"<{logical}>"
        names.arn[logical] = f"arn:aws:s3:::{name}"
    elif kind == "AWS::SQS::Queue":
        # Locally each queue is named as the wiring names it: Messaging/Queue-<name>.
        match = re.search(r"/Queue-([^/]+)/Resource$", path)
        queue = match.group(1) if match else f"<{logical}>"
        names.ref[logical] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{queue}"
        names.arn[logical] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"
    elif kind == "AWS::SES::EmailIdentity":
        identity = props.get("EmailIdentity", "")
        names.ref[logical] = literal.get(identity, identity)
    elif kind == "AWS::SNS::Topic":
        names.ref[logical] = f"arn:aws:sns:{REGION}:{ACCOUNT}:<{logical}>"
    elif kind == "AWS::SSM::Parameter" and isinstance(props.get("Name"), str):
        names.ref[logical] = props["Name"]
    elif name:
        names.ref[logical] = name


@dataclass(frozen=True)
class Statement:
    function: str
    index: int  # position in the function's statements, for the report
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    condition: Any  # the resolved Condition block (a dict), or None


def _path_function(path: str) -> str | None:
    match = re.fullmatch(r"[^/]+/Functions/([^/]+)/Function/Resource", path)
    return match.group(1) if match else None


def function_policies(
    template: dict[str, Any], paths: dict[str, str]
) -> dict[str, list[Statement]]:
    """{wiring function name: every statement of its role's policies, resolved}."""
    names = names_of(template, paths)
    resources = template["Resources"]
    roles: dict[str, str] = {}
    for logical, res in resources.items():
        fn = _path_function(paths.get(logical, ""))
        if fn and res["Type"] == "AWS::Lambda::Function":
            role = res["Properties"]["Role"]
            roles[role["Fn::GetAtt"][0]] = fn
    documents: dict[str, list[Any]] = {fn: [] for fn in roles.values()}
    for logical, res in resources.items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::IAM::Role" and logical in roles:
            if props.get("ManagedPolicyArns"):
                raise Unresolvable(f"{roles[logical]}: managed policies can't be evaluated here")
            for policy in props.get("Policies", []):
                documents[roles[logical]].append(policy["PolicyDocument"])
        if res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for role in props.get("Roles", []):
                if isinstance(role, dict) and role.get("Ref") in roles:
                    documents[roles[role["Ref"]]].append(props["PolicyDocument"])
    out: dict[str, list[Statement]] = {}
    for fn, docs in documents.items():
        statements: list[Statement] = []
        for doc in docs:
            for raw in _as_list(doc["Statement"]):

                def strings(key: str, raw: dict[str, Any] = raw) -> tuple[str, ...]:
                    return tuple(str(v) for v in _as_list(names.resolve(raw.get(key, []))))

                statements.append(
                    Statement(
                        fn,
                        len(statements),
                        raw["Effect"],
                        strings("Action"),
                        strings("NotAction"),
                        strings("Resource"),
                        strings("NotResource"),
                        {
                            operator: {key: names.resolve(value) for key, value in keys.items()}
                            for operator, keys in raw["Condition"].items()
                        }
                        if "Condition" in raw
                        else None,
                    )
                )
        out[fn] = statements
    return out


# ---- evaluation ------------------------------------------------------------------------------

_BASE_OPERATORS = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), False),
    "StringLike": (matches, False),
    "StringNotLike": (matches, True),
}


def condition_holds(condition: dict[str, Any] | None, context: dict[str, list[str]]) -> bool:
    for operator, keys in (condition or {}).items():
        qualifier, _, base = operator.rpartition(":")
        if_exists = base.endswith("IfExists")
        base = base.removesuffix("IfExists")
        if base not in _BASE_OPERATORS:
            raise NotImplementedError(f"condition operator {operator} is not modelled")
        compare, negated = _BASE_OPERATORS[base]
        for key, wanted in keys.items():
            policy_values = [str(v) for v in _as_list(wanted)]
            present = next((v for k, v in context.items() if k.lower() == key.lower()), None)

            def hit(
                value: str, policy_values: list[str] = policy_values, compare: Any = compare
            ) -> bool:
                return any(compare(p, value) for p in policy_values)

            if qualifier == "ForAllValues":
                # True for an empty or missing set: IAM's own rule, and why Scan must not be
                # granted beside a LeadingKeys condition.
                ok = all((not hit(v)) if negated else hit(v) for v in present or [])
            elif qualifier == "ForAnyValue":
                ok = any((not hit(v)) if negated else hit(v) for v in present or [])
            elif present is None:
                ok = negated or if_exists
            else:
                ok = any((not hit(v)) if negated else hit(v) for v in present)
            if not ok:
                return False
    return True


def statement_matches(
    statement: Statement, action: str, resource: str, context: dict[str, list[str]]
) -> bool:
    if statement.actions and not any(
        matches(a, action, ignore_case=True) for a in statement.actions
    ):
        return False
    if statement.not_actions and any(
        matches(a, action, ignore_case=True) for a in statement.not_actions
    ):
        return False
    if statement.resources and not any(matches(r, resource) for r in statement.resources):
        return False
    if statement.not_resources and any(matches(r, resource) for r in statement.not_resources):
        return False
    return condition_holds(statement.condition, context)


@dataclass(frozen=True)
class Call:
    """One recorded request, as `local.iam.Recorder` writes it."""

    function: str
    action: str
    resource: str
    context: dict[str, list[str]]
    operation: str = ""
    test: str = ""

    @classmethod
    def of(cls, record: dict[str, Any]) -> Call:
        return cls(
            record["function"],
            record["action"],
            record["resource"],
            record.get("context", {}),
            record.get("operation", ""),
            record.get("test", ""),
        )

    def describe(self) -> str:
        context = "".join(f" {k}={v}" for k, v in sorted(self.context.items()))
        origin = f" ({self.operation}, first in {self.test})" if self.test else ""
        return f"{self.function}: {self.action} on {self.resource}{context}{origin}"


@dataclass
class Verdict:
    denied: list[tuple[Call, str]] = field(default_factory=list)
    # (function, statement index) -> the (action, resource) patterns some allowed call used
    used: dict[tuple[str, int], set[tuple[str, str]]] = field(default_factory=dict)


def evaluate(policies: dict[str, list[Statement]], calls: Iterable[Call]) -> Verdict:
    verdict = Verdict()
    for call in calls:
        statements = policies.get(call.function)
        if statements is None:
            verdict.denied.append((call, "no such function in the template"))
            continue
        deny = [
            s
            for s in statements
            if s.effect == "Deny" and statement_matches(s, call.action, call.resource, call.context)
        ]
        allow = [
            s
            for s in statements
            if s.effect == "Allow"
            and statement_matches(s, call.action, call.resource, call.context)
        ]
        if deny:
            verdict.denied.append((call, f"explicitly denied by statement {deny[0].index}"))
        elif not allow:
            verdict.denied.append((call, "no statement allows it"))
        else:
            for s in allow:
                used = verdict.used.setdefault((s.function, s.index), set())
                used.update(
                    (a, r)
                    for a in s.actions or ("*",)
                    for r in s.resources or ("*",)
                    if matches(a, call.action, ignore_case=True) and matches(r, call.resource)
                )
    return verdict


def unexercised(
    policies: dict[str, list[Statement]], verdict: Verdict
) -> dict[str, list[tuple[str, str, Any]]]:
    """{function: [(action pattern, resource pattern, condition)] no allowed call used}."""
    out: dict[str, list[tuple[str, str, Any]]] = {}
    for fn, statements in sorted(policies.items()):
        for s in statements:
            if s.effect != "Allow":
                continue
            used = verdict.used.get((fn, s.index), set())
            for action in s.actions:
                if action.startswith(RUNTIME_PREFIXES):
                    continue
                for resource in s.resources:
                    if (action, resource) not in used:
                        out.setdefault(fn, []).append((action, resource, s.condition))
    return out


def report(policies: dict[str, list[Statement]], verdict: Verdict, calls: list[Call]) -> str:
    """docs/IAM.md: what each function was seen to do, and the grants nothing exercised."""
    lines = [
        "# IAM: grants the tests exercised, and those they did not",
        "",
        "Generated by the IAM check (`tests/iam/`) from one run of the integration and "
        "end-to-end tests: every AWS call a function made while a handler ran was evaluated "
        "against that function's policy in the synthesized template. Regenerate with "
        "`UPDATE_IAM_REPORT=1 .venv/bin/python -m pytest -q -n 2 --dist loadfile "
        "tests/integration tests/e2e`.",
        "",
        "A grant below was not exercised by any test: a candidate for removal, unless a code "
        "path the tests do not reach needs it (say so in `infra/wiring.py`). Grants Lambda "
        "itself uses (logs, traces, its queue and stream pollers) are not listed.",
        "",
        "Known gap in what the tests can exercise: they set no `CDN_DISTRIBUTION_ID` (a fake "
        "CloudFront client stands in), so the distribution's ARN shows as unexercised although "
        "the cloud uses it. Emails name the SES configuration set, as in the cloud.",
        "",
        "How the table is narrowed (`infra/wiring.py` `Keys`): each function may read and "
        "write only the partitions it names, by `dynamodb:LeadingKeys` (`ForAllValues:"
        "StringLike`); an index Query is checked on the index's partition key (`GALLERY`, "
        "`PHOTOS#...`). No function has Scan or Batch* actions: they carry no leading key, and "
        "`ForAllValues` over a missing key is true, so a condition could not limit them. The "
        "server secret is the `CONFIG` partition, listed only by the functions that key "
        "pseudonyms or sign cursors (not the image processor). Draw seeds are the `SEED#<day>` "
        "partitions: only the draw's functions read them; moderation-api, which creates a day's "
        "commitment with its first entry, may write one but not read it (it does see the seeds "
        "it creates, and IAM has no condition key for a failed conditional write's "
        "`ReturnValuesOnConditionCheckFailure`).",
        "",
    ]
    gaps = unexercised(policies, verdict)
    by_function: dict[str, int] = {}
    for call in calls:
        by_function[call.function] = by_function.get(call.function, 0) + 1
    for fn in sorted(policies):
        lines += [f"## {fn}", "", f"Distinct requests recorded: {by_function.get(fn, 0)}.", ""]
        missing = gaps.get(fn, [])
        if not missing:
            lines += ["Every grant was exercised.", ""]
            continue
        lines += ["| action | resource | condition |", "|---|---|---|"]
        for action, resource, condition in missing:
            shown = "" if condition is None else f"`{_compact(condition)}`"
            lines.append(f"| `{action}` | `{resource}` | {shown} |")
        lines.append("")
    return "\n".join(lines)


def _compact(condition: Any) -> str:
    parts = []
    for operator, keys in condition.items():
        for key, values in keys.items():
            parts.append(f"{operator} {key} {', '.join(map(str, _as_list(values)))}")
    return "; ".join(parts).replace("|", "\\|")
