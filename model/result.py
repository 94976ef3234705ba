"""The result of a decision, for every door: AssumeRole (docs/semantics.md §1.2, §3.3) and the
federated APIs (docs/federation.md §3.9).

Results are immutable named tuples: cheap to build on every decision, equal when their
fields are, and printed in the result format of docs/scenario-format.md by ``to_json``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["FEDERATED_RESPONSE_FIELDS", "AssumedRole", "Reason", "Result"]


class Reason(NamedTuple):
    """A statement that took part in the decision (docs/semantics.md §1.2: which policy, index, Sid).

    Results are immutable named tuples: cheap to build on every decision.
    """

    policy: str
    """The policy kind, in AWS's words (``role trust policy``, ``identity-based policy``…)."""
    statement: int
    """Index of the statement inside its policy."""
    effect: str
    sid: str | None = None
    policy_index: int | None = None
    """Which policy of its kind: the index among identity policies, or of an SCP/RCP within its level."""
    level: int | None = None
    """For SCPs and RCPs: the level of the chain (root, OUs, account)."""
    principal_class: str | None = None
    """For trust-policy Allows: how the principal matched (user, role, session, service, wildcard, account)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"policy": self.policy, "statement": self.statement, "effect": self.effect}
        for name in ("sid", "policy_index", "level", "principal_class"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        return out


class AssumedRole(NamedTuple):
    """What AWS returns on success (docs/semantics.md §3.3; for the federated APIs
    docs/federation.md F12). The fields after ``duration_seconds`` are ``None`` (and left out
    of the JSON) for AssumeRole, where rolecall does not report them."""

    arn: str
    assumed_role_id: str
    duration_seconds: int
    source_identity: str | None = None
    """``SourceIdentity``: from the token's ``https://aws.amazon.com/source_identity`` claim or
    the assertion's ``SourceIdentity`` attribute (SRCID)."""
    session_tags: tuple[tuple[str, str], ...] | None = None
    """The session tags the token or assertion passed (TAGS)."""
    transitive_tag_keys: tuple[str, ...] | None = None
    subject: str | None = None
    """``SubjectFromWebIdentityToken`` (the ``sub`` claim), or the SAML ``Subject`` (NameID)."""
    subject_type: str | None = None
    """SAML ``SubjectType``: the NameID format without ``urn:oasis:names:tc:SAML:2.0:nameid-format:``."""
    provider: str | None = None
    """Web identity ``Provider``: the ``iss`` claim, or the ``ProviderId`` of an OAuth 2.0 token."""
    audience: str | None = None
    """``Audience``: the token's client ID, or the SAML ``Recipient``."""
    issuer: str | None = None
    """SAML ``Issuer``."""
    name_qualifier: str | None = None
    """SAML ``NameQualifier``: Base64(SHA1(issuer + account + "/" + provider name)) (STSKEYS)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "arn": self.arn,
            "assumed_role_id": self.assumed_role_id,
            "duration_seconds": self.duration_seconds,
        }
        for name in ("source_identity", "subject", "subject_type", "provider", "audience", "issuer", "name_qualifier"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        if self.session_tags is not None:
            out["session_tags"] = dict(self.session_tags)
        if self.transitive_tag_keys is not None:
            out["transitive_tag_keys"] = list(self.transitive_tag_keys)
        return out


#: Per federated API, its response members (SMITHY-STS) -> the :class:`AssumedRole` field that holds
#: each: what an emulator's answer is read into, and what the AWS-exact moto switch answers with.
FEDERATED_RESPONSE_FIELDS: dict[str, dict[str, str]] = {
    "AssumeRoleWithWebIdentity": {
        "SubjectFromWebIdentityToken": "subject",
        "Provider": "provider",
        "Audience": "audience",
        "SourceIdentity": "source_identity",
    },
    "AssumeRoleWithSAML": {
        "Subject": "subject",
        "SubjectType": "subject_type",
        "Issuer": "issuer",
        "Audience": "audience",
        "NameQualifier": "name_qualifier",
        "SourceIdentity": "source_identity",
    },
}


class Result(NamedTuple):
    """A decision in the result format of docs/scenario-format.md."""

    decision: str
    rule: str
    """The rule that decided: ``R0``…``R14`` (docs/semantics.md) or ``F0``…``F12`` (docs/federation.md)."""
    message: str | None = None
    error_code: str | None = None
    denied_by: str | None = None
    action: str | None = None
    reasons: tuple[Reason, ...] = ()
    assumed_role: AssumedRole | None = None
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["decision"] = self.decision
        for name in ("error_code", "message", "denied_by", "action"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        if self.reasons:
            out["reasons"] = [r.to_json() for r in self.reasons]
        if self.assumed_role is not None:
            out["assumed_role"] = self.assumed_role.to_json()
        out["rule"] = self.rule
        return out
