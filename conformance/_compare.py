"""Comparing a target's outcome with the model's result, and describing a divergence (private).

One place for both. :func:`compare` returns the differences on the aspects a
property asks about (``decision`` always; ``message`` for the AccessDenied
text; ``response`` for the assumed-role ARN and id, the key, the expiration and
GetCallerIdentity). :func:`facts` describes a divergence in a few words that
expectation *signatures* match against (expectations.py), so a known
divergence is recognised in any scenario.

A difference on a point the sources leave open (:func:`rolecall.model.open_points`:
the order of validation and authorization, undocumented error codes; and the
AccessDenied text beyond the action, docs/semantics.md §3.6) carries that point in
:attr:`Difference.open_point`; the session reports it as such, never as a new
divergence, unless the run is strict. A strict comparison also compares the whole
AccessDenied text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rolecall import model

from ._world import caller_kind
from .targets.base import Outcome

__all__ = [
    "ASPECTS",
    "CONFIDENCE",
    "CONTESTED_OPTIONS",
    "WORDING",
    "Difference",
    "compare",
    "confidence",
    "decision_class",
    "denial_prefix",
    "facts",
    "message_shape",
    "scenario_tags",
]

ASPECTS = ("decision", "message", "response")

_DENIALS = ("explicitDeny", "implicitDeny", "denied")

WORDING = "wording: AWS does not document the AccessDenied text after the action (docs/semantics.md §3.6, §5.9)"


#: The confidence tag (docs/semantics.md, "Confidence tags") of the fact a model's answer rests on at each
#: open point (the part of :attr:`Difference.open_point` before the colon). A divergence that only such a
#: fact explains is *unverified*: the target's answer may be AWS's. None of these is ``documented`` or
#: ``observed``: a divergence on documented or observed facts alone never carries an open point.
CONFIDENCE: dict[str, str] = {
    "order": "inferred",  # §5.6: AWS documents no order of validation and authorization
    "error-code": "inferred",  # §4.7, R13 [I]: error codes of the tag and source-identity refusals
    "wording": "inferred",  # §5.9: the AccessDenied text after the action varies, undocumented
    "tag-key-case": "contested",  # §1.3 R13: refused, or the last tag kept
    "session-policy-length": "contested",  # §5.4 [C]: 2,048 characters (API reference) or none (service model)
    "contested-option": "contested",  # §5.1-§5.3, §5.5: an option of Semantics, the other reading
}

#: The options of :class:`rolecall.model.Semantics` for contested points of AssumeRole (docs/semantics.md
#: §5, each **[C]**) -> the section: a target that answers as the model does under the option's other
#: reading rests its divergence on a contested fact (``contested-option``).
CONTESTED_OPTIONS: dict[str, str] = {
    "role_direct_needs_identity": "§5.1",
    "user_direct_bypasses_boundary": "§5.2",
    "wildcard_matches_services": "§5.3",
    "session_token_callers_are_chained": "§5.5",
}


def confidence(open_point: str) -> str:
    """The confidence tag of the fact behind an open point (:data:`CONFIDENCE`): ``inferred`` or
    ``contested``; ``established`` for ``""``: no open point and no contested option admits the target's
    answer, so the divergence rests on the facts the semantics tag documented or observed."""
    if not open_point:
        return "established"
    return CONFIDENCE.get(open_point.split(":", 1)[0], "inferred")


def decision_class(result: Mapping[str, Any]) -> str:
    """``allowed``, ``denied`` (explicit or implicit) or ``error:CODE``."""
    d = result.get("decision")
    if d in _DENIALS:
        return "denied"
    if d == "error":
        return f"error:{result.get('error_code')}"
    return str(d)


def _fine(result: Mapping[str, Any]) -> str:
    d = str(result.get("decision"))
    return f"error:{result.get('error_code')}" if d == "error" else d


def denial_prefix(message: str, action: str | None) -> str | None:
    """The part of an AccessDenied text AWS keeps stable, ``User: CALLER is not authorized to perform:
    ACTION`` (docs/semantics.md §3.6), or at the federated doors, where no AWS caller exists to name,
    ``Not authorized to perform ACTION`` (docs/federation.md §2.2); ``None`` for a text without it
    (the root caller's)."""
    if not action:
        return None
    federated = f"Not authorized to perform {action}"
    if message.startswith(federated):
        return federated
    marker = f" is not authorized to perform: {action}"
    at = message.find(marker)
    return None if at < 0 else message[: at + len(marker)]


@dataclass(frozen=True)
class Difference:
    """One way the target differs from the model."""

    aspect: str
    model: str
    target: str
    detail: str
    open_point: str = ""
    """The point the sources leave open that admits the target's answer (see the module docstring), or ``""``."""


def compare(
    expected: model.Result,
    outcome: Outcome,
    aspects: Iterable[str],
    session_name: str,
    scenario: model.Scenario | None = None,
    *,
    strict: bool = False,
) -> list[Difference]:
    """The differences between the model's result and the target's outcome on ``aspects``.

    With ``scenario`` (and not ``strict``), a decision difference that one of the scenario's open points
    admits carries it in :attr:`Difference.open_point`.
    """
    aspects = set(aspects) | {"decision"}
    want, got = expected.to_json(), dict(outcome.result)
    mc, tc = decision_class(want), decision_class(got)
    if mc != tc:
        return [_class_difference(expected, outcome, scenario, strict=strict)]
    out: list[Difference] = []
    if mc == "denied":
        out += _deny_word_difference(want, got, outcome, strict=strict)
    if mc == "denied" and "message" in aspects and got.get("message") != want.get("message"):
        out.append(_message_difference(expected, want, got, strict=strict))
    if mc == "allowed" and "response" in aspects:
        out += _response(expected, outcome, session_name)
    return out


def _class_difference(
    expected: model.Result, outcome: Outcome, scenario: model.Scenario | None, *, strict: bool
) -> Difference:
    """The model and the target decide differently (allowed, denied, error), with the open point that
    admits the target's answer, if any (not under ``strict``)."""
    want, got = expected.to_json(), dict(outcome.result)
    tc = decision_class(got)
    detail = f"the model says {_fine(want)}, the target {_fine(got)}"
    point = ""
    if scenario is not None and not strict and outcome.phase == "assume":
        for p in model.open_points(scenario, expected):
            if p.admits(tc):
                point = f"{p.point}: {p.text} (docs/semantics.md {p.section})"
                break
    return Difference("decision", _fine(want), _fine(got), detail, point)


def _deny_word_difference(
    want: dict[str, Any], got: dict[str, Any], outcome: Outcome, *, strict: bool
) -> list[Difference]:
    """Both deny, but the target's word (explicit or implicit deny) is not the model's: a wording point."""
    told = got.get("decision")
    # an emulator's decision word is read from its message; the model's own text may say "explicit deny" for
    # an implicit one (R7, TRB-AD): the very same text is no difference. A target that states its word
    # (model, solver) is held to it.
    same_text = (
        outcome.decision_from_text and got.get("message") is not None and got.get("message") == want.get("message")
    )
    if told in ("explicitDeny", "implicitDeny") and told != want["decision"] and not same_text:
        return [
            Difference(
                "decision",
                want["decision"],
                got["decision"],
                f"the model says {want['decision']}, the target's message says {got['decision']}",
                "" if strict else WORDING,
            )
        ]
    return []


def _message_difference(
    expected: model.Result, want: dict[str, Any], got: dict[str, Any], *, strict: bool
) -> Difference:
    """Both deny with other messages: only wording when the target keeps AWS's stable prefix."""
    text, wanted = str(got.get("message") or ""), str(want.get("message") or "")
    prefix = denial_prefix(wanted, expected.action)
    # the same prefix, then the end or a space: "…perform: sts:AssumeRoleWithSAML" is another action
    wording_only = not strict and prefix is not None and (text == prefix or text.startswith(prefix + " "))
    return Difference(
        "message",
        "AWS message",
        "other message",
        f"expected {want.get('message')!r}, got {got.get('message')!r}",
        WORDING if wording_only else "",
    )


#: Response fields of AssumeRoleWithWebIdentity / AssumeRoleWithSAML (docs/federation.md F12), by the
#: name of :class:`rolecall.model.AssumedRole`'s field, and AWS's name for the report.
_FEDERATED_FIELDS = {
    "subject": "SubjectFromWebIdentityToken / Subject",
    "subject_type": "SubjectType",
    "provider": "Provider",
    "audience": "Audience",
    "issuer": "Issuer",
    "name_qualifier": "NameQualifier",
    "source_identity": "SourceIdentity",
}


def _response(expected: model.Result, outcome: Outcome, session_name: str) -> list[Difference]:
    a = expected.assumed_role
    out: list[Difference] = []
    if a is None:
        return out
    rid = outcome.role_id
    want_id = f"{rid}:{session_name}" if rid else None
    out += _credential_differences(a, outcome, want_id)
    out += _federated_differences(a, outcome)
    out += _identity_differences(a, outcome, want_id)
    return out


def _credential_differences(a: model.AssumedRole, outcome: Outcome, want_id: str | None) -> list[Difference]:
    """The session's ARN, AssumedRoleId, RoleId, expiration and access key against the model's (R14)."""
    got = outcome.result.get("assumed_role") or {}
    out: list[Difference] = []

    def diff(what: str, detail: str) -> None:
        out.append(Difference("response", what, "differs", detail))

    if got.get("arn") != a.arn:
        diff("assumed-role ARN", f"expected {a.arn!r}, got {got.get('arn')!r}")
    rid = outcome.role_id
    if rid is not None and got.get("assumed_role_id") != want_id:
        diff("AssumedRoleId", f"expected {want_id!r} (RoleId:session), got {got.get('assumed_role_id')!r}")
    if rid is not None and not (rid.startswith("AROA") and len(rid) == 21):
        diff("RoleId", f"expected AROA followed by 17 characters, got {rid!r}")
    duration = got.get("duration_seconds")
    if not isinstance(duration, int) or abs(duration - a.duration_seconds) > 5:
        diff("Expiration", f"expected now + {a.duration_seconds} s, got now + {duration} s")
    key = (outcome.credentials or {}).get("AccessKeyId")
    if key is not None and not (key.startswith("ASIA") and len(key) == 20):
        diff("AccessKeyId", f"expected ASIA followed by 16 characters, got {key!r}")
    return out


def _federated_differences(a: model.AssumedRole, outcome: Outcome) -> list[Difference]:
    """The federated APIs' response fields (F12) the model states and the target answers otherwise."""
    got = outcome.result.get("assumed_role") or {}
    out: list[Difference] = []
    for name, shown in _FEDERATED_FIELDS.items():
        value = getattr(a, name)
        if value is not None and got.get(name) != value:
            out.append(Difference("response", shown, "differs", f"expected {value!r}, got {got.get(name)!r}"))
    return out


def _identity_differences(a: model.AssumedRole, outcome: Outcome, want_id: str | None) -> list[Difference]:
    """GetCallerIdentity with the new credentials: the session's ARN, account and user id."""
    if outcome.identity is None:
        return []
    want = {"Arn": a.arn, "Account": a.arn.split(":")[4], "UserId": want_id or a.assumed_role_id}
    if outcome.role_id is None:
        want.pop("UserId")
    bad = {k: (v, outcome.identity.get(k)) for k, v in want.items() if outcome.identity.get(k) != v}
    if bad:
        detail = "; ".join(f"{k}: expected {w!r}, got {g!r}" for k, (w, g) in bad.items())
        return [Difference("response", "GetCallerIdentity", "differs", detail)]
    return []


# ---------------------------------------------------------------------------------------------- facts

_CANONICAL_ACTIONS = {"assumerole": "AssumeRole", "tagsession": "TagSession", "setsourceidentity": "SetSourceIdentity"}


def _statements(policy: Any) -> list[dict[str, Any]]:
    if not isinstance(policy, dict):
        return []
    st = policy.get("Statement", [])
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, dict)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def scenario_tags(doc: Mapping[str, Any]) -> set[str]:
    """Words for what a scenario contains, for signatures and for the report.

    ``trust-deny`` / ``identity-deny``, ``trust-condition`` / ``identity-condition``,
    ``operator:NAME``, ``no-identity-policy``, ``boundary``, ``session-policy``,
    ``action-case`` (an action spelled in another case than AWS's), ``wildcard-?``,
    ``regex-metacharacter`` (``.`` ``+`` ``(`` … in a pattern), ``principal:account``,
    ``principal:wildcard``, ``path``, ``request:FIELD``, ``role-missing``.
    """
    tags: set[str] = set()
    caller, role, request = doc.get("caller", {}), doc.get("role", {}), doc.get("request", {})
    slots: list[tuple[str, Any]] = [("trust", role.get("trust_policy"))]
    slots += [("identity", p) for p in caller.get("identity_policies", [])]
    slots += [("boundary", caller.get("permissions_boundary")), ("session", caller.get("session_policy"))]
    if "federated_caller" not in doc and not caller.get("identity_policies"):
        tags.add("no-identity-policy")  # a federated caller has no identity at all (F2)
    if caller.get("permissions_boundary"):
        tags.add("boundary")
    if caller.get("session_policy") or "policy" in request:
        tags.add("session-policy")
    for slot, policy in slots:
        for st in _statements(policy):
            tags |= _statement_tags(slot, st)
    if _has_path(caller, role):
        tags.add("path")
    tags.update(f"request:{k}" for k in request if k != "role_session_name")
    if role.get("exists") is False:
        tags.add("role-missing")
    return tags


def _statement_tags(slot: str, st: dict[str, Any]) -> set[str]:
    """The words for one statement of the policy in ``slot``: deny, conditions, actions, principal, patterns."""
    tags: set[str] = set()
    if st.get("Effect") == "Deny":
        tags.add(f"{slot}-deny")
    cond = st.get("Condition")
    if isinstance(cond, dict) and cond:
        tags.add(f"{slot}-condition")
        tags.update(f"operator:{op}" for op in cond)
    for key in ("Action", "NotAction"):
        tags |= _action_tags(_strings(st.get(key)))
    patterns = _strings(st.get("Resource")) + _strings(st.get("NotResource"))
    principal = st.get("Principal")
    if principal == "*":
        tags.add("principal:wildcard")
    elif isinstance(principal, dict):
        for v in _strings(principal.get("AWS")):
            patterns.append(v)
            if v == "*":
                tags.add("principal:wildcard")
            elif v.isdigit() or v.endswith(":root"):
                tags.add("principal:account")
    return tags | _pattern_tags(patterns)


def _action_tags(actions: list[str]) -> set[str]:
    """``action-case`` for an action spelled in another case than AWS's, ``wildcard-?`` for a ``?``."""
    tags: set[str] = set()
    for a in actions:
        service, _, name = a.partition(":")
        if service != service.lower() or _CANONICAL_ACTIONS.get(name.lower(), name) != name:
            tags.add("action-case")
        if "?" in a:
            tags.add("wildcard-?")
    return tags


def _pattern_tags(patterns: list[str]) -> set[str]:
    """``wildcard-?`` and ``regex-metacharacter`` for the resource and principal patterns."""
    tags: set[str] = set()
    for v in patterns:
        if "?" in v:
            tags.add("wildcard-?")
        if any(ch in v for ch in ".+()[]{}^$|\\"):
            tags.add("regex-metacharacter")
    return tags


def _has_path(caller: Mapping[str, Any], role: Mapping[str, Any]) -> bool:
    """Whether the caller's or the role's ARN carries a path."""
    arn = str(caller.get("arn", ""))
    return (
        arn.count("/") > (2 if ":assumed-role/" in arn else 1)
        or caller.get("role_path", "/") != "/"
        or str(role.get("arn", "")).count("/") > 1
    )


_FIELD = re.compile(r"at '([A-Za-z.]+)'")


def _error_field(expected: model.Result) -> str:
    """The request field a ValidationError names (``roleSessionName``, ``durationSeconds``…), or ``""``."""
    if expected.decision != "error" or not expected.message:
        return ""
    m = _FIELD.search(expected.message)
    return m.group(1) if m else ""


_ARN = re.compile(r"arn:[A-Za-z0-9-]+:[^\s'\"]*")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+")


def message_shape(text: str) -> str:
    """A target's message with what varies from one scenario to another masked (ARNs, quoted values,
    numbers), so that one refusal reads the same in every scenario: the words signatures match."""
    text = _ARN.sub("ARN", text)
    text = _QUOTED.sub("'…'", text)
    return " ".join(_NUMBER.sub("N", text).split())[:200]


def facts(
    doc: Mapping[str, Any], expected: model.Result, diff: Difference, outcome: Outcome | None = None
) -> dict[str, Any]:
    """What a divergence is, in the words signatures use (see expectations.py).

    ``phase`` is where the target answered (``assume``; ``provision`` when it refused to store the
    scenario's policies; ``target-error`` when it failed), and for the last two ``target_message``
    the shape of its message (:func:`message_shape`): such a divergence is the target's refusal or
    failure, whatever the model decides, and is known by those words.
    """
    s_caller = doc.get("caller", {})
    arn = str(s_caller.get("arn", ""))
    caller_account = arn.split(":")[4] if arn.count(":") >= 5 else None
    role_account = str(doc.get("role", {}).get("arn", "")).split(":")[4] if doc.get("role") else None
    accounts = "service" if caller_account is None else ("same" if caller_account == role_account else "cross")
    if "federated_caller" in doc:
        accounts = "federated"
    return {
        "aspect": diff.aspect,
        "accounts": accounts,
        "caller": caller_kind(dict(doc)),
        "model": diff.model,
        "target": diff.target,
        "rule": expected.rule,
        "denied_by": expected.denied_by or "",
        "action": expected.action or "",
        "trust_match": sorted({r.principal_class for r in expected.reasons if r.principal_class}),
        "error_field": _error_field(expected),
        "tags": sorted(scenario_tags(doc)),
        "phase": outcome.phase if outcome is not None else "assume",
        "target_message": message_shape(str(outcome.result.get("message") or ""))
        if outcome is not None and outcome.phase != "assume"
        else "",
    }
