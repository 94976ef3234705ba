"""From a scenario to what a target provisions (private).

Three steps, each a pure function of the scenario:

* :func:`adapt` removes the parts a target cannot express (by its declared
  capabilities) *before* the model decides, so the comparison stays exact, and
  says what it removed; a caller kind the target cannot provision is
  :class:`Unsupported`.
* :class:`FreshAccounts` renames every account id of a scenario to fresh ones,
  so that many scenarios share one emulator world without colliding (the model
  decides the renamed scenario, so the renaming can never make a comparison
  unsound).
* :func:`plan` turns a (prepared) scenario into the provisioning plan the
  emulator targets execute: the caller (user or role session), the role, and
  the AssumeRole parameters, with every policy sent exactly as the scenario
  spells it; :func:`federated_plan` does the same at the federated doors: the
  role, the identity providers, and the call with an unsigned token or SAML
  assertion built from the scenario.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from rolecall import model
from rolecall.model.arn import IamUser, RoleSession
from rolecall.model.scenario import OAUTH_HOSTS

from .targets.base import Capability

__all__ = [
    "ACCOUNT_ID",
    "CALLER_CAPABILITY",
    "CallerPlan",
    "FederatedPlan",
    "FreshAccounts",
    "Plan",
    "RolePlan",
    "Unsupported",
    "adapt",
    "caller_kind",
    "federated_plan",
    "plan",
    "saml_metadata",
    "saml_response",
    "web_identity_token",
]

Doc = dict[str, Any]


class Unsupported(Exception):
    """The scenario needs something the target cannot provision (the reason is the message)."""


def caller_kind(doc: Doc) -> str:
    """``user``, ``role-session``, ``session-token``, ``root``, ``federated`` or ``service``; at the
    federated doors ``web-identity`` or ``saml``."""
    if "federated_caller" in doc:
        return "saml" if doc.get("api") == "AssumeRoleWithSAML" else "web-identity"
    caller = doc.get("caller", {})
    if "service" in caller:
        return "service"
    arn = str(caller.get("arn", ""))
    if ":assumed-role/" in arn:
        return "role-session"
    if ":federated-user/" in arn:
        return "federated"
    if arn.endswith(":root"):
        return "root"
    if caller.get("credentials") == "session-token":
        return "session-token"
    return "user"


#: caller kind -> the capability a target needs to provision it
CALLER_CAPABILITY = {
    "user": Capability.USER_CALLERS,
    "role-session": Capability.ROLE_SESSION_CALLERS,
    "session-token": Capability.SESSION_TOKEN_CALLERS,
    "root": Capability.ROOT_CALLERS,
    "federated": Capability.FEDERATED_CALLERS,
    "service": Capability.SERVICE_CALLERS,
}
#: the federated doors' callers (a token, an assertion) -> the capability a target needs to take them
DOOR_CAPABILITY = {"web-identity": Capability.WEB_IDENTITY, "saml": Capability.SAML}


def adapt(doc: Doc, capabilities: frozenset[str]) -> tuple[Doc, list[str]]:
    """The scenario without what the target cannot express, and the list of what was removed.

    Raises :class:`Unsupported` for a caller the target cannot be (root, federated, service,
    GetSessionToken callers unless it declares them). ``expect`` is always removed: the
    model decides the adapted scenario.
    """
    kind = caller_kind(doc)
    need = CALLER_CAPABILITY.get(kind) or DOOR_CAPABILITY.get(kind)
    if need is None or need not in capabilities:
        raise Unsupported(f"caller kind {kind!r} cannot be provisioned")
    out = copy.deepcopy(doc)
    removed: list[str] = []
    if "federated_caller" in out:
        return _adapt_federated(out, capabilities, removed)
    caller, role, request = out["caller"], out["role"], out["request"]

    def drop(obj: Doc, key: str, label: str) -> None:
        if key in obj:
            del obj[key]
            removed.append(label)

    def lacks(cap: Capability) -> bool:
        return cap not in capabilities

    out.pop("expect", None)
    if lacks(Capability.ORGANIZATIONS):
        drop(out, "organization", "organization")
    if lacks(Capability.REQUEST_CONTEXT):
        drop(out, "context", "context")
    if lacks(Capability.DISABLED_REGIONS):
        drop(out, "disabled_regions", "disabled_regions")
    if lacks(Capability.LEGACY_SELF_TRUST):
        drop(role, "legacy_implicit_self_trust", "role.legacy_implicit_self_trust")
    if lacks(Capability.MFA):
        drop(caller, "mfa", "caller.mfa")
        drop(request, "serial_number", "request.serial_number")
        drop(request, "token_code", "request.token_code")
    boundary_cap = Capability.USER_BOUNDARIES if kind == "user" else Capability.ROLE_BOUNDARIES
    if lacks(boundary_cap):
        drop(caller, "permissions_boundary", "caller.permissions_boundary")
    if lacks(Capability.SESSION_POLICIES):
        drop(caller, "session_policy", "caller.session_policy")
        drop(request, "policy", "request.policy")
        drop(request, "policy_arns", "request.policy_arns")
    if lacks(Capability.PRINCIPAL_TAGS):
        drop(caller, "tags", "caller.tags")
        drop(role, "tags", "role.tags")
    if lacks(Capability.SESSION_TAGS):
        drop(request, "tags", "request.tags")
        drop(request, "transitive_tag_keys", "request.transitive_tag_keys")
        drop(caller, "transitive_tag_keys", "caller.transitive_tag_keys")
    if lacks(Capability.SOURCE_IDENTITY):
        drop(request, "source_identity", "request.source_identity")
        drop(caller, "source_identity", "caller.source_identity")
    if caller.get("permissions_boundary", 0) is None:
        del caller["permissions_boundary"]
    if caller.get("session_policy", 0) is None:
        del caller["session_policy"]
    return out, removed


def _adapt_federated(out: Doc, capabilities: frozenset[str], removed: list[str]) -> tuple[Doc, list[str]]:
    """:func:`adapt` at the federated doors: the parts a target may lack are the organization, the
    request context, disabled Regions, role tags and session policies (docs/federation.md)."""
    out.pop("expect", None)
    role, request = out["role"], out["request"]
    for cap, obj, key, label in (
        (Capability.ORGANIZATIONS, out, "organization", "organization"),
        (Capability.REQUEST_CONTEXT, out, "context", "context"),
        (Capability.DISABLED_REGIONS, out, "disabled_regions", "disabled_regions"),
        (Capability.PRINCIPAL_TAGS, role, "tags", "role.tags"),
        (Capability.SESSION_POLICIES, request, "policy", "request.policy"),
        (Capability.SESSION_POLICIES, request, "policy_arns", "request.policy_arns"),
    ):
        if cap not in capabilities and key in obj:
            del obj[key]
            removed.append(label)
    return out, removed


ACCOUNT_ID = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
"""Every 12-digit number of a scenario's JSON text is an account id to the renamings."""


class FreshAccounts:
    """Rename the account ids of scenarios to fresh ones, consistently within a scenario.

    Every 12-digit number in the scenario's JSON text is an account id to the
    renaming (ARNs, bare account principals, condition values such as
    ``aws:PrincipalAccount``), so the renamed scenario means the same thing
    unless a policy spells part of an account with a wildcard; since the model
    decides the renamed scenario, even then the comparison is exact. Ids come
    from a counter starting at ``base`` (distinct per pytest-xdist worker).
    """

    def __init__(self, base: int = 100_000_000_000) -> None:
        self._next = base
        self._lock = threading.Lock()

    def take(self, n: int) -> list[str]:
        with self._lock:
            first = self._next
            self._next += n
            return [f"{first + i:012d}" for i in range(n)]

    def __call__(self, doc: Doc) -> Doc:
        text = json.dumps(doc)
        seen = list(dict.fromkeys(ACCOUNT_ID.findall(text)))
        fresh = dict(zip(seen, self.take(len(seen)), strict=True))
        return dict(json.loads(ACCOUNT_ID.sub(lambda m: fresh[m.group(0)], text)))


@dataclass(frozen=True)
class CallerPlan:
    """The caller to provision: an IAM user, or a role and a session of it."""

    kind: str
    account: str
    partition: str
    name: str
    """The user's name, or the caller role's name."""
    path: str
    identity_policies: tuple[str, ...]
    """Each identity policy as the JSON text to send (inline policies)."""
    boundary: str | None
    tags: tuple[tuple[str, str], ...]
    session_name: str | None = None
    session_policy: str | None = None
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None

    @property
    def role_arn(self) -> str:
        """The caller role's ARN (role-session callers)."""
        return f"arn:{self.partition}:iam::{self.account}:role{self.path}{self.name}"


@dataclass(frozen=True)
class RolePlan:
    """The target role to provision (nothing when ``exists`` is false)."""

    arn: str
    account: str
    name: str
    path: str
    trust: str
    max_session_duration: int | None
    tags: tuple[tuple[str, str], ...]
    exists: bool


@dataclass(frozen=True)
class Plan:
    """Everything an emulator target needs to realise a scenario."""

    caller: CallerPlan
    role: RolePlan
    params: dict[str, Any] = field(default_factory=dict)
    """The AssumeRole parameters, in boto3's spelling, exactly as the scenario gives them."""
    region: str = "us-east-1"
    self_assume: bool = False
    """The caller is a session of the target role itself: one role is provisioned, with the
    target's trust policy and the caller's permissions."""

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts to provision in: the caller's, then the role's."""
        return tuple(dict.fromkeys((self.caller.account, self.role.account)))


def _dumps(policy: Any) -> str:
    return policy if isinstance(policy, str) else json.dumps(policy)


def _tags(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in (value or {}).items())


def plan(doc: Doc) -> Plan:
    """The provisioning plan of a prepared scenario (validated through the model first).

    Raises :class:`rolecall.model.InputError` for a scenario that is not valid input and
    :class:`Unsupported` for a caller the emulator targets cannot be.
    """
    s = model.load_assume_role(doc)
    c = doc["caller"]
    p = s.caller.principal
    policies = tuple(_dumps(x) for x in c.get("identity_policies", []))
    boundary = _dumps(c["permissions_boundary"]) if c.get("permissions_boundary") is not None else None
    if isinstance(p, IamUser):
        caller = CallerPlan("user", p.account, p.partition, p.name, p.path, policies, boundary, _tags(c.get("tags")))
    elif isinstance(p, RoleSession):
        session_policy = c.get("session_policy")
        caller = CallerPlan(
            "role-session",
            p.account,
            p.partition,
            p.role_name,
            p.role_path,
            policies,
            boundary,
            _tags(c.get("tags")),
            session_name=p.session_name,
            session_policy=_dumps(session_policy) if session_policy is not None else None,
            transitive_tag_keys=tuple(c.get("transitive_tag_keys", ())),
            source_identity=c.get("source_identity"),
        )
    else:
        raise Unsupported(f"caller kind {caller_kind(doc)!r} cannot be provisioned")
    r = doc["role"]
    ra = s.role.arn
    role = RolePlan(
        arn=r["arn"],
        account=ra.account,
        name=ra.name,
        path=ra.path,
        trust=_dumps(r.get("trust_policy")),
        max_session_duration=r.get("max_session_duration"),
        tags=_tags(r.get("tags")),
        exists=r.get("exists", True),
    )
    self_assume = caller.kind == "role-session" and (caller.account, caller.name) == (role.account, role.name)
    if self_assume:
        if caller.path != role.path:
            raise Unsupported("the caller's role and the target role share a name but not a path")
        if caller.tags and role.tags and set(caller.tags) != set(role.tags):
            raise Unsupported("the caller's role and the target role are one role with two sets of tags")
        if not role.exists:
            raise Unsupported("the caller is a session of a role that does not exist")
    q = doc["request"]
    params: dict[str, Any] = {"RoleArn": r["arn"], "RoleSessionName": q["role_session_name"]}
    simple = {
        "duration_seconds": "DurationSeconds",
        "external_id": "ExternalId",
        "policy": "Policy",
        "transitive_tag_keys": "TransitiveTagKeys",
        "source_identity": "SourceIdentity",
        "serial_number": "SerialNumber",
        "token_code": "TokenCode",
    }
    for key, name in simple.items():
        if key in q:
            params[name] = q[key]
    if "policy_arns" in q:
        params["PolicyArns"] = [{"arn": a} for a in q["policy_arns"]]
    if "tags" in q:
        params["Tags"] = list(q["tags"])
    return Plan(caller, role, params, region=q.get("region") or "us-east-1", self_assume=self_assume)


# ----------------------------------------------------------------------------- the federated doors


@dataclass(frozen=True)
class FederatedPlan:
    """Everything an emulator target needs to realise a scenario at a federated door
    (docs/federation.md, "What the suite sends")."""

    api: str
    role: RolePlan
    oidc_providers: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]
    """(account, url, client ids, thumbprints) of every IAM OIDC provider to create."""
    saml_providers: tuple[tuple[str, str, str], ...]
    """(account, name, metadata document) of every IAM SAML provider to create."""
    params: dict[str, Any] = field(default_factory=dict)
    """The call's parameters in boto3's spelling: the token or assertion built from the scenario."""
    region: str = "us-east-1"

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts to provision in: the role's, then those with identity providers."""
        others = [a for a, *_ in self.oidc_providers] + [a for a, *_ in self.saml_providers]
        return tuple(dict.fromkeys((self.role.account, *others)))


def federated_plan(doc: Doc, now: float | None = None) -> FederatedPlan:
    """The provisioning plan of a prepared federated scenario (validated through the model first).

    Raises :class:`Unsupported` for a token status the suite cannot produce (an identity provider
    that is unreachable or rejects the token: that happens at the IdP, not in the token)."""
    s = model.load_scenario(doc)
    if not isinstance(s, model.FederatedScenario):
        raise Unsupported("not a federated scenario")
    fc = s.federated_caller
    if fc.token_status in ("idp_unreachable", "idp_rejected"):
        raise Unsupported(f"token_status {fc.token_status}: the suite cannot make an identity provider do that")
    moment = time.time() if now is None else now
    r, ra = doc["role"], s.role.arn
    role = RolePlan(
        arn=r["arn"],
        account=ra.account,
        name=ra.name,
        path=ra.path,
        trust=_dumps(r["trust_policy"]),
        max_session_duration=r.get("max_session_duration"),
        tags=_tags(r.get("tags")),
        exists=s.role.exists,
    )
    oidc = tuple(
        (account, p.url, p.client_ids, p.thumbprints) for account, e in s.identity_providers.items() for p in e.oidc
    )
    saml = tuple(
        (account, p.name, saml_metadata(p.issuer)) for account, e in s.identity_providers.items() for p in e.saml
    )
    req = doc["request"]
    params: dict[str, Any] = {"RoleArn": r["arn"]}
    if s.api == "AssumeRoleWithSAML":
        assert fc.assertion is not None
        params["PrincipalArn"] = req["principal_arn"]
        params["SAMLAssertion"] = saml_response(fc.assertion, fc.token_status, moment)
    else:
        params["RoleSessionName"] = req["role_session_name"]
        params["WebIdentityToken"] = web_identity_token(fc, moment)
        if "provider_id" in req:
            params["ProviderId"] = req["provider_id"]
    for key, name in (("duration_seconds", "DurationSeconds"), ("policy", "Policy")):
        if key in req:
            params[name] = req[key]
    if "policy_arns" in req:
        params["PolicyArns"] = [{"arn": a} for a in req["policy_arns"]]
    return FederatedPlan(s.api, role, oidc, saml, params, req.get("region") or "us-east-1")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def web_identity_token(fc: model.FederatedCaller, now: float) -> str:
    """The token of a federated caller: a JWT (``header.claims.signature``) with the scenario's
    claims, unsigned (the signature part is a fixed marker; docs/federation.md), ``iss`` defaulted
    to ``https://`` + provider, ``iat`` and ``exp`` set around ``now`` unless given (an ``expired``
    token's ``exp`` is an hour past). The OAuth 2.0 providers' access tokens are opaque: their
    claims, encoded. ``malformed``: not a JWT at all."""
    if fc.token_status == "malformed":
        return "rolecall-malformed-token"
    claims = dict(fc.claims)
    if fc.provider in OAUTH_HOSTS:
        return "rolecall-oauth." + _b64url(json.dumps(claims, sort_keys=True).encode())
    claims.setdefault("iss", "https://" + (fc.provider or ""))
    claims.setdefault("iat", int(now) - 60)
    claims.setdefault("exp", int(now) + 3600)
    if fc.token_status == "expired":
        claims["iat"], claims["exp"] = int(now) - 7200, int(now) - 3600
    header = {"alg": "RS256", "typ": "JWT", "kid": "rolecall"}
    signature = b"rolecall: not signed" if fc.token_status == "valid" else b"rolecall: a bad signature"
    return ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)) + (
        "." + _b64url(signature)
    )


def _attr(value: str) -> str:
    """``value`` escaped for a double-quoted XML attribute: ``escape`` alone leaves ``"`` as it is, and a
    parser normalises a literal tab, newline or carriage return in an attribute to a space (XML 1.0 §3.3.3)."""
    return escape(value, {'"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})


def _text(value: str) -> str:
    """``value`` escaped for XML character data (a literal carriage return would be read as a newline)."""
    return escape(value, {"\r": "&#13;"})


def saml_metadata(issuer: str) -> str:
    """A SAML IdP metadata document naming ``issuer`` (entityID), without keys (nothing is signed)."""
    return (
        '<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="{_attr(issuer)}"><md:IDPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>'
    )


def saml_response(a: model.SamlAssertion, status: str, now: float) -> str:
    """The base64 SAML ``Response`` of an assertion (SAML-ASSERT's shape), unsigned: Issuer, Subject
    NameID with its Format, SubjectConfirmationData Recipient and NotOnOrAfter (an hour past for an
    ``expired`` assertion), the Audience restriction, SessionNotOnOrAfter, and every attribute."""
    if status == "malformed":
        return base64.b64encode(b"rolecall: not a SAML response").decode()
    iso = "%Y-%m-%dT%H:%M:%SZ"
    issued = time.strftime(iso, time.gmtime(now - 60))
    until = time.strftime(iso, time.gmtime(now - 3600 if status == "expired" else now + 300))
    attributes = "".join(
        f'<saml:Attribute Name="{_attr(name)}">'
        + "".join(f"<saml:AttributeValue>{_text(v)}</saml:AttributeValue>" for v in values)
        + "</saml:Attribute>"
        for name, values in a.attributes.items()
    )
    session = f' SessionNotOnOrAfter="{_attr(a.session_not_on_or_after)}"' if a.session_not_on_or_after else ""
    fmt = f' Format="{_attr(a.name_id_format)}"' if a.name_id_format is not None else ""
    subject = f"<saml:NameID{fmt}>{_text(a.name_id)}</saml:NameID>" if a.name_id is not None else ""
    recipient = f' Recipient="{_attr(a.recipient)}"' if a.recipient is not None else ""
    issuer = f"<saml:Issuer>{_text(a.issuer)}</saml:Issuer>" if a.issuer is not None else ""
    audience = _text(a.audience or "https://signin.aws.amazon.com/saml")
    xml = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_rolecall" Version="2.0" '
        f'IssueInstant="{issued}">{issuer}'
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f'<saml:Assertion ID="_rolecall-assertion" Version="2.0" IssueInstant="{issued}">'
        f"{issuer}"
        f'<saml:Subject>{subject}<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{until}"{recipient}/></saml:SubjectConfirmation>'
        f'</saml:Subject><saml:Conditions NotBefore="{issued}" NotOnOrAfter="{until}"><saml:AudienceRestriction>'
        f"<saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{issued}"{session}><saml:AuthnContext><saml:AuthnContextClassRef>'
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>"
        f"</saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attributes}"
        "</saml:AttributeStatement></saml:Assertion></samlp:Response>"
    )
    return base64.b64encode(xml.encode()).decode()
