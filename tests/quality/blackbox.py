"""Black-box faults: third-party emulators' mistakes, each a separate target of the public protocol.

The planted faults of :mod:`tests.quality.faults` patch the model's own functions. A real
emulator is not the model with one function swapped: it stores what it understood of the
scenario and answers in its own words. Each fault here is written the way such an emulator
goes wrong, from outside, through nothing but the public target protocol
(:class:`rolecall.conformance.targets.base.Target`, :class:`~rolecall.conformance.targets.base.Outcome`)
around the public ``model`` target (:class:`rolecall.conformance.targets.model.ModelTarget`):

* it **bends the scenario** before deciding: what the emulator never reads or stores is taken
  out of the document, and the model decides what is left (moto never reads ``Tags``; it
  evaluates identity policies without any condition value, so every condition holds);
* or it **bends the answer**: the decision or the response fields come out as the emulator
  writes them (moto's AssumeRoleWithSAML response with constant ``Issuer`` and ``Subject``;
  LocalStack's ``LSIA`` session keys).

Each entry names the emulator's code or observed behaviour it reproduces (a link to the line
where one exists) and the docs/semantics.md or docs/federation.md rule it breaks. The moto links
are to commit 0af643a, whose four files cited (``sts/responses.py``, ``sts/models.py``,
``iam/access_control.py``, ``iam/policy_conditions.py``) are those of moto 5.2.5, the version
docs/emulators.md describes; the LocalStack links are to commit 8b9a79f (March 2026). The
detection run (:mod:`tests.quality.detection`) points the suite at each of them as at any
user's target: ``rolecall conformance --target tests.quality.blackbox:BlackBoxTarget`` with
``ROLECALL_FAULT=NAME``, and counts them beside the planted faults.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rolecall.conformance.targets.base import Outcome, Target, TargetUnavailable
from rolecall.conformance.targets.model import ModelTarget

__all__ = ["BLACKBOX", "TARGET", "BlackBoxFault", "BlackBoxTarget", "Emulator", "by_name"]

TARGET = "tests.quality.blackbox:BlackBoxTarget"
"""The import path the detection run and ``rolecall replay`` load a black-box fault by."""

MOTO = "https://github.com/getmoto/moto/blob/0af643a5dbfc98797f08ee64f5be3ef8002d56ff/moto"
LOCALSTACK = (
    "https://github.com/localstack/localstack/blob/8b9a79f05846835cf4dff63ab7eefdde9df83783/localstack-core/localstack"
)

Doc = dict[str, Any]


class Emulator(Target):
    """The model target seen through an emulator: :meth:`scenario` bends what it stores and reads,
    :meth:`answer` what it says. Both default to no change, so the base class answers as the model.

    Only the public protocol is used: the wrapped :class:`ModelTarget` is started, prepared and run
    as the suite would, and its :class:`Outcome` is rewritten with :func:`dataclasses.replace`."""

    def __init__(self) -> None:
        self.inner = ModelTarget()
        self.name = "emulator"
        self.version = self.inner.version
        self.capabilities = self.inner.capabilities  # it claims what the model can do, as a real emulator would

    def start(self) -> None:
        self.inner.start()

    def stop(self) -> None:
        self.inner.stop()

    def prepare(self, doc: Doc) -> Doc:
        return self.inner.prepare(doc)

    def scenario(self, doc: Doc) -> Doc:
        """What the emulator makes of the scenario it is given (a deep copy: change it freely)."""
        return doc

    def answer(self, doc: Doc, outcome: Outcome) -> Outcome:
        """What the emulator answers, given the scenario as sent and the model's outcome on :meth:`scenario`."""
        return outcome

    def run(self, doc: Doc, *, check_identity: bool = False) -> Outcome:
        seen = self.scenario(copy.deepcopy(doc))
        return self.answer(doc, self.inner.run(seen, check_identity=check_identity))


# ------------------------------------------------------------------------------------------- helpers


def _with_result(outcome: Outcome, result: Mapping[str, Any]) -> Outcome:
    return dataclasses.replace(outcome, result=dict(result), raw=dict(result))


def _with_session(outcome: Outcome, change: Callable[[dict[str, Any]], None]) -> Outcome:
    """``outcome`` with ``change`` applied to a copy of its ``assumed_role`` (when allowed)."""
    if outcome.result.get("decision") != "allowed":
        return outcome
    result = copy.deepcopy(dict(outcome.result))
    change(result["assumed_role"])
    return _with_result(outcome, result)


def _statements(policy: Any) -> list[Doc]:
    if not isinstance(policy, dict):
        return []
    st = policy.get("Statement", [])
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, dict)]


def _api(doc: Doc) -> str:
    return str(doc.get("api", "AssumeRole"))


# ------------------------------------------------------------------------------------------- AssumeRole


class IdentityConditionsIgnored(Emulator):
    """moto evaluates identity policies with no condition values, so every condition in them holds.

    ``check_action_permitted`` calls ``IAMPolicy.is_action_permitted(action, resource)`` without
    ``incoming_condition_values``; ``TrustCondition.verify_condition`` loops over no values and
    answers ``True``. An unmet Allow grants; an unmet Deny denies. The scenario is bent the same
    way: the identity policies' ``Condition`` blocks are dropped before deciding."""

    def scenario(self, doc: Doc) -> Doc:
        for policy in doc.get("caller", {}).get("identity_policies", []):
            for st in _statements(policy):
                st.pop("Condition", None)
        return doc


class RequestTagsNotRead(Emulator):
    """moto's ``TokenResponse.assume_role`` reads ``RoleSessionName``, ``RoleArn``, ``Policy``,
    ``DurationSeconds`` and ``ExternalId`` only: ``Tags``, ``TransitiveTagKeys`` and ``SourceIdentity``
    are dropped on the floor, so ``sts:TagSession`` / ``sts:SetSourceIdentity`` are never required,
    the values never validated, and no ``aws:RequestTag`` / ``sts:SourceIdentity`` key exists."""

    def scenario(self, doc: Doc) -> Doc:
        if _api(doc) == "AssumeRole":
            for field in ("tags", "transitive_tag_keys", "source_identity"):
                doc.get("request", {}).pop(field, None)
        return doc


class DurationUnchecked(Emulator):
    """LocalStack 2026.3.0 never validates ``DurationSeconds``: below 900 it is raised to 900; above the
    role's ``MaxSessionDuration``, above 43,200 and above the one-hour chaining cap it is accepted
    (docs/emulators.md, "LocalStack 2026.3.0", probes against the running emulator; its STS provider
    hands the value to moto's handler, which reads it as an integer and checks nothing). The scenario
    it decides has no ``duration_seconds`` (so no duration check can fail); the session lasts the
    requested time, raised to 900."""

    def scenario(self, doc: Doc) -> Doc:
        if _api(doc) == "AssumeRole":
            doc.get("request", {}).pop("duration_seconds", None)
        return doc

    def answer(self, doc: Doc, outcome: Outcome) -> Outcome:
        duration = doc.get("request", {}).get("duration_seconds")
        if _api(doc) != "AssumeRole" or not isinstance(duration, int):
            return outcome

        def length(a: dict[str, Any]) -> None:
            a["duration_seconds"] = max(900, duration)

        return _with_session(outcome, length)


class LocalStackSessionKeys(Emulator):
    """LocalStack mints access keys with ``L`` for ``A`` unless ``PARITY_AWS_ACCESS_KEY_ID`` is set
    (``access_key__init__`` in ``iam_patches.py``): a role session's key is ``LSIA…``, not ``ASIA…``.
    The answer carries such a key."""

    def answer(self, doc: Doc, outcome: Outcome) -> Outcome:
        if outcome.result.get("decision") != "allowed":
            return outcome
        session = str(outcome.result["assumed_role"]["assumed_role_id"]).rsplit(":", 1)[0]
        key = ("LSIA" + session.removeprefix("AROA") + "0" * 16)[:20]
        return dataclasses.replace(outcome, credentials={**(outcome.credentials or {}), "AccessKeyId": key})


# ------------------------------------------------------------------------------------------- web identity


class WebIdentityResponseBare(Emulator):
    """moto's AssumeRoleWithWebIdentity response holds ``Credentials``, ``AssumedRoleUser`` and
    ``PackedPolicySize`` only: ``SubjectFromWebIdentityToken``, ``Provider``, ``Audience`` and
    ``SourceIdentity`` are absent (moto never decodes the token)."""

    def answer(self, doc: Doc, outcome: Outcome) -> Outcome:
        if _api(doc) != "AssumeRoleWithWebIdentity":
            return outcome

        def strip(a: dict[str, Any]) -> None:
            for field in ("subject", "provider", "audience", "source_identity"):
                a.pop(field, None)

        return _with_session(outcome, strip)


class WebIdentityTrustNotRead(Emulator):
    """moto's ``assume_role_with_web_identity`` is its plain ``assume_role``: the trust policy is never
    read, nor whether the role exists, so a web-identity call the trust policy does not grant (or
    denies) gets credentials anyway. Validation and token errors are left as the model answers: the
    fault is the authorization alone."""

    def answer(self, doc: Doc, outcome: Outcome) -> Outcome:
        if _api(doc) != "AssumeRoleWithWebIdentity" or outcome.result.get("decision") not in (
            "implicitDeny",
            "explicitDeny",
        ):
            return outcome
        arn = str(doc["role"]["arn"])
        partition, account = arn.split(":")[1], arn.split(":")[4]
        session = str(doc["request"]["role_session_name"])
        duration = doc["request"].get("duration_seconds", 3600)
        role = {
            "arn": f"arn:{partition}:sts::{account}:assumed-role/{arn.rsplit('/', 1)[-1]}/{session}",
            "assumed_role_id": f"ARO123EXAMPLE123:{session}",
            "duration_seconds": duration,
        }
        return _with_result(outcome, {"decision": "allowed", "assumed_role": role})


# ------------------------------------------------------------------------------------------- SAML

_SAML_DURATION = "https://aws.amazon.com/SAML/Attributes/SessionDuration"


class SamlResponseConstants(Emulator):
    """moto's AssumeRoleWithSAML response: ``Subject`` is the AssumedRoleId, not the assertion's
    NameID; ``SubjectType`` is always ``persistent``; ``Issuer``, ``Audience`` and ``NameQualifier``
    are constants (``http://localhost:3000/``, the sign-in URL, a placeholder)."""

    def answer(self, doc: Doc, outcome: Outcome) -> Outcome:
        if _api(doc) != "AssumeRoleWithSAML":
            return outcome

        def constants(a: dict[str, Any]) -> None:
            a["subject"] = a["assumed_role_id"]
            a["subject_type"] = "persistent"
            a["issuer"] = "http://localhost:3000/"
            a["audience"] = "https://signin.aws.amazon.com/saml"
            a["name_qualifier"] = "B64EncodedStringOfHashOfIssuerAccountIdAndUserId="

        return _with_session(outcome, constants)


class SamlDurationNotRead(Emulator):
    """moto's AssumeRoleWithSAML never reads ``DurationSeconds``: the session lasts the assertion's
    ``SessionDuration`` attribute, else 3600 seconds, unchecked against the role's
    ``MaxSessionDuration`` and ``SessionNotOnOrAfter``. The scenario loses its ``duration_seconds``
    before deciding, and the session's length is the attribute's."""

    def scenario(self, doc: Doc) -> Doc:
        if _api(doc) == "AssumeRoleWithSAML":
            doc.get("request", {}).pop("duration_seconds", None)
            doc["federated_caller"].get("assertion", {}).pop("session_not_on_or_after", None)
        return doc

    def answer(self, doc: Doc, outcome: Outcome) -> Outcome:
        if _api(doc) != "AssumeRoleWithSAML":
            return outcome
        values = doc["federated_caller"].get("assertion", {}).get("attributes", {}).get(_SAML_DURATION, [])
        try:
            duration = int(values[0]) if values else 3600
        except (TypeError, ValueError):
            return outcome  # moto crashes on such an attribute: not this fault

        def length(a: dict[str, Any]) -> None:
            a["duration_seconds"] = duration

        return _with_session(outcome, length)


# ------------------------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class BlackBoxFault:
    """One black-box fault: the fields of a planted :class:`tests.quality.faults.Fault` the detection
    table reads, and the emulator class that has it."""

    name: str
    description: str
    rule: str
    """The docs/semantics.md (R0-R14) or docs/federation.md (F0-F13) rule the emulator breaks."""
    emulator: type[Emulator]
    source: str
    """The emulator's code (a link to the line) or observed behaviour it reproduces."""
    equivalent: str | None = None
    """Always ``None``: a black-box fault is never a control (the detection table reads the field)."""
    kind: str = "black-box"


BLACKBOX: tuple[BlackBoxFault, ...] = (
    BlackBoxFault(
        "bb-moto-identity-conditions-ignored",
        "identity policies are evaluated without condition values: every Condition in them holds "
        "(an unmet Allow grants, an unmet Deny denies)",
        "R9/R10 (§4.5)",
        IdentityConditionsIgnored,
        f"moto 5.2.5 (docs/emulators.md D17): {MOTO}/iam/access_control.py#L273 passes no condition values; "
        f"{MOTO}/iam/policy_conditions.py#L35-L46 answers True for none",
    ),
    BlackBoxFault(
        "bb-moto-request-tags-not-read",
        "Tags, TransitiveTagKeys and SourceIdentity of AssumeRole are never read: sts:TagSession and "
        "sts:SetSourceIdentity are not required and the values are not validated",
        "R3/R13",
        RequestTagsNotRead,
        f"moto 5.2.5 (docs/emulators.md D23, D24): {MOTO}/sts/responses.py#L64-L84 reads five parameters only",
    ),
    BlackBoxFault(
        "bb-localstack-duration-unchecked",
        "DurationSeconds is never validated: below 900 it is raised to 900; above MaxSessionDuration, 43200 or "
        "the chaining cap it is accepted",
        "R0/R13",
        DurationUnchecked,
        "LocalStack 2026.3.0, observed (docs/emulators.md, 'LocalStack 2026.3.0': 'DurationSeconds below 900 is "
        "silently raised to 900. 7200 on a one-hour role, 50000, and 7200 while chaining are all accepted'); "
        f"its STS provider checks no duration ({LOCALSTACK}/services/sts/provider.py#L83-L118) and hands the "
        f"call to moto, which reads it unchecked ({MOTO}/sts/responses.py#L68)",
    ),
    BlackBoxFault(
        "bb-localstack-session-key-prefix",
        "the session's access key id is LSIA… instead of ASIA…, at every door (the detection run, reading F12, "
        "runs the federation feature alone: its first allowed example shows the key)",
        "F12/R14 (§3.3)",
        LocalStackSessionKeys,
        f"LocalStack (docs/emulators.md, 'LSIA… (sessions)'): {LOCALSTACK}/services/iam/iam_patches.py#L151-L152",
    ),
    BlackBoxFault(
        "bb-moto-webidentity-response-bare",
        "AssumeRoleWithWebIdentity answers without SubjectFromWebIdentityToken, Provider, Audience and SourceIdentity",
        "F12",
        WebIdentityResponseBare,
        f"moto 5.2.5 (docs/emulators.md, 'The federated doors'): {MOTO}/sts/responses.py#L109-L116",
    ),
    BlackBoxFault(
        "bb-moto-webidentity-trust-not-read",
        "AssumeRoleWithWebIdentity never reads the trust policy: what it does not grant, or denies, is allowed",
        "F10 (F4, F7)",
        WebIdentityTrustNotRead,
        f"moto 5.2.5 (docs/emulators.md, 'The federated doors'): {MOTO}/sts/models.py#L116-L117 is the plain "
        "assume_role, which reads no policy",
    ),
    BlackBoxFault(
        "bb-moto-saml-response-constants",
        "AssumeRoleWithSAML answers Subject = the AssumedRoleId, SubjectType persistent and constant Issuer, "
        "Audience and NameQualifier",
        "F12",
        SamlResponseConstants,
        f"moto 5.2.5 (docs/emulators.md, 'The federated doors'): {MOTO}/sts/responses.py#L128-L140",
    ),
    BlackBoxFault(
        "bb-moto-saml-duration-not-read",
        "AssumeRoleWithSAML never reads DurationSeconds: the session lasts the SessionDuration attribute or "
        "3600 s, never checked against MaxSessionDuration or SessionNotOnOrAfter",
        "F11 (F12)",
        SamlDurationNotRead,
        f"moto 5.2.5: {MOTO}/sts/responses.py#L119-L127 passes no duration; "
        f"{MOTO}/sts/models.py#L146-L155 takes SessionDuration, else 3600",
    ),
)


def by_name(name: str) -> BlackBoxFault:
    """The black-box fault called ``name`` (``KeyError`` with the known names otherwise)."""
    for f in BLACKBOX:
        if f.name == name:
            return f
    raise KeyError(f"no black-box fault {name!r}; known: {', '.join(f.name for f in BLACKBOX)}")


class BlackBoxTarget(Target):
    """The emulator of one black-box fault, named by the constructor or ``ROLECALL_FAULT``: loaded by
    import path (``--target tests.quality.blackbox:BlackBoxTarget``) exactly as a user's target is."""

    def __init__(self, fault: str | BlackBoxFault | None = None) -> None:
        name = fault if fault is not None else os.environ.get("ROLECALL_FAULT")
        if name is None:
            raise TargetUnavailable("BlackBoxTarget needs a fault: BlackBoxTarget('name') or ROLECALL_FAULT=name")
        try:
            self.fault = name if isinstance(name, BlackBoxFault) else by_name(name)
        except KeyError as exc:
            raise TargetUnavailable(str(exc.args[0])) from None
        self.emulator = self.fault.emulator()
        self.name = f"blackbox:{self.fault.name}"
        self.version = self.emulator.version
        self.capabilities = self.emulator.capabilities

    def start(self) -> None:
        self.emulator.start()

    def stop(self) -> None:
        self.emulator.stop()

    def prepare(self, doc: Doc) -> Doc:
        return self.emulator.prepare(doc)

    def run(self, doc: Doc, *, check_identity: bool = False) -> Outcome:
        return self.emulator.run(doc, check_identity=check_identity)
