"""The trust frame at the federated doors: every token or assertion an issuer could sign, as Z3 terms.

A trust policy's ``Federated`` statements admit *tokens*, not AWS principals
(docs/federation.md §6): for a role R, a statement naming an issuer admits every
token that issuer can sign which F3 accepts and F7-F10 allow. This module states
that set for the solver's queries (``queries.py``), beside the AssumeRole door's
universe (``_universe.py``), sharing its variables for the request's own keys:

* **The issuers** (:func:`issuer_of`): each ``Federated`` entry of an ``Allow`` is an
  IAM OIDC provider of the role's account (its ARN), an IAM SAML provider of the
  role's account, or a built-in host (Cognito, Google, Facebook, Login with
  Amazon); anything else never matches (F10: another account's provider, a bare
  host of an IAM OIDC provider unless ``bare_host_matches_oidc_provider``).
* **The token** (:class:`FederatedTokens`): the issuer is fixed per grant; every
  claim AWS makes a key (F6: ``aud``, ``sub``, ``azp``, the provider's 2026 keys,
  Cognito's ``amr``, the SAML keys) is a free value, present or absent as the
  issuer can sign it and F3 lets it through: ``sub`` always (OpenID Connect Core
  1.0 §2: ``sub`` is REQUIRED in an ID token, and F3 refuses a token without it,
  ``Missing a required claim: sub``, CAC-502; the SAML NameID is required by F3),
  ``aud`` always, the others freely. What names the user, the audience and the
  issuer is never empty, and Cognito's ``amr`` has Cognito's two shapes: the model
  refuses to decide any other token (``UndecidableError``, F3), so the frame holds
  every token the model decides; any other claim may be empty. Keys of other
  issuers, and claims AWS does not make keys, are absent (F6).
  ``aws:FederatedProvider`` is the issuer's. The request's own keys
  (``aws:SourceIp``, ``aws:CurrentTime``…, the session name) are the universe's.
  Keys of an AWS identity (``aws:PrincipalArn``, ``aws:PrincipalOrgID``, principal
  tags, MFA, ``sts:ExternalId``…) are absent (VPCE-POL, DP-RCP).
* **Not stated** (:class:`~rolecall.model.solver.encode.Unsupported`, so an
  answer that depends on it is ``unknown``, never a pass): tokens that pass
  session tags or a source identity (a policy reading ``aws:RequestTag/*``,
  ``aws:TagKeys``, ``sts:TransitiveTagKeys`` or ``sts:SourceIdentity``), the
  role's tags (``aws:ResourceTag/*``), and the ``"*"`` principal, whose matching of
  federated callers is contested (``scope.WILDCARD``).

F3's checks that need the provider's registration (an OIDC provider's client IDs,
a SAML provider's issuer) are not constraints here: the trust frame does not
know them, so every audience and issuer is possible, the set an attacker faces
who registers nothing (the audience of a GitHub token is the job's own choice).

The public classification (docs/federation.md §6.2) asks the solver whether an
admitted token can carry a *tenant* no policy names (:data:`ATTACKER`): a
GitHub repository owner, a GitLab group, a Google OAuth client, a Cognito pool in
another account… For issuers whose subject format rolecall does not know
(:attr:`Issuer.tenant` empty in class 1), it cannot tell, and says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from ..arn import RoleArn
from ..federation import SAML, WEB_IDENTITY
from ..policy import Policy, Statement
from ..providers import IDP_CONTROLS, SAML_ATTRIBUTE_KEYS, SAML_MULTI_VALUED, one_audience, provider_claim_keys
from ..scenario import COGNITO_HOST, OAUTH_HOSTS, ROLES_CLAIM, WELL_KNOWN_HOSTS, Semantics
from ._universe import Assignment, Universe
from .decode import key_values
from .encode import KeyState, Unsupported, constant_key
from .federated import (
    COGNITO,
    OIDC,
    SAML_PROVIDER,
    WELL_KNOWN,
    FederatedEnv,
    FederatedWorld,
    Token,
    encode_federated,
)
from .scope import federated_part, unstated_token_keys

__all__ = [
    "ATTACKER",
    "ATTACKER_ACCOUNT",
    "FederatedTokens",
    "Grant",
    "Issuer",
    "dead_entries",
    "grants",
    "is_federated_name",
    "issuer_of",
    "names_issuer",
]

#: The tenant an attacker brings: a name no policy mentions (checked per query), valid in every
#: issuer's tenant syntax (letters, digits and ``-``).
ATTACKER = "rolecall-attacker"
#: The attacker's own AWS account (a Cognito identity pool it creates there).
ATTACKER_ACCOUNT = "999988887777"

_OIDC_ARN = re.compile(r"arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):oidc-provider/(?P<host>.+)", re.ASCII)
_SAML_ARN = re.compile(r"arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):saml-provider/(?P<name>[\w+=,.@-]+)")
_EKS = re.compile(r"oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/(?P<cluster>[0-9A-Za-z]+)")

#: Class-1 issuers (public multi-tenant CI and SaaS) whose subject names the tenant at a known place:
#: host -> (the subject before the tenant, the character that ends it). GitHub Actions
#: (``repo:OWNER/REPO:…``, GH-OIDC-REF), GitLab (``project_path:GROUP/PROJECT:…``), HCP Terraform
#: (``organization:ORG:project:…``), Buildkite (``organization:ORG:pipeline:…``).
_TENANT_IN_SUB = {
    "token.actions.githubusercontent.com": ("repo:", "/"),
    "gitlab.com": ("project_path:", "/"),
    "app.terraform.io": ("organization:", ":"),
    "agent.buildkite.com": ("organization:", ":"),
}
#: Class-2 issuers: the key that names the OAuth client or app a token was issued through (STSKEYS).
_CONSUMER_TENANT = {
    "accounts.google.com": "accounts.google.com:aud",
    "graph.facebook.com": "graph.facebook.com:app_id",
    "www.amazon.com": "www.amazon.com:app_id",
}

#: Keys of an AWS identity: never in a federated request (scope.ABSENT_IN_FEDERATED and the rest of
#: the caller's keys).
_IDENTITY_KEYS = frozenset(
    {
        "sts:externalid",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principaltype",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "aws:principalservicenameslist",
        "aws:multifactorauthpresent",
        "aws:multifactorauthage",
        "aws:username",
        "aws:userid",
        "aws:sourceidentity",
        "aws:tokenissuetime",
        "aws:federatedprovider",  # handled apart: the issuer's
    }
)


@dataclass(frozen=True)
class Issuer:
    """Who signs the tokens one ``Federated`` entry admits (docs/federation.md §6.2)."""

    entry: str
    """The entry as written."""
    api: str
    """The door: ``sts:AssumeRoleWithWebIdentity`` or ``sts:AssumeRoleWithSAML``."""
    kind: int
    """:data:`~rolecall.model.solver.federated.PROVIDER_KINDS` index."""
    host: str
    """The issuer's host (and path) as the entry writes it (``""`` for SAML); its keys are :attr:`prefix`."""
    arn: str
    """The IAM provider's ARN (``""`` for a built-in host)."""
    public_class: int
    """1 public CI/SaaS, 2 consumer identity, 3 Cognito, 4 per-tenant OIDC (EKS, own IdP), 5 SAML."""
    name: str
    """For a person: "GitHub Actions", "an EKS cluster", "SAML provider Okta"…"""
    tenant: str = ""
    """How the tenant is named: ``sub`` (in the subject, between :attr:`tenant_prefix` and
    :attr:`tenant_end`), ``key:KEY`` (a key's value), ``cognito`` (the pool and its account); ``""``: not known."""
    tenant_prefix: str = ""
    tenant_end: str = ""

    @property
    def prefix(self) -> str:
        """The prefix of the issuer's condition keys (keys are lower-cased, F6)."""
        return "saml" if self.kind == SAML_PROVIDER else self.host.lower()

    @property
    def tenant_key(self) -> str:
        return f"{self.prefix}:sub"


def issuer_of(entry: str, role: RoleArn, semantics: Semantics) -> Issuer | None:
    """The issuer a ``Federated`` entry names for a role (F10's table), or ``None`` when no token can
    ever match it: another account's provider, a malformed entry, a bare host of an IAM OIDC
    provider (unless ``bare_host_matches_oidc_provider``)."""
    if m := _OIDC_ARN.fullmatch(entry):
        if m["account"] != role.account or m["partition"] != role.partition:
            return None
        return _oidc(entry, m["host"], entry)
    if m := _SAML_ARN.fullmatch(entry):
        if m["account"] != role.account or m["partition"] != role.partition:
            return None
        return Issuer(entry, SAML, SAML_PROVIDER, "", entry, 5, f"SAML provider {m['name']}")
    host = entry.lower()
    if host == COGNITO_HOST:
        return Issuer(entry, WEB_IDENTITY, COGNITO, host, "", 3, "Amazon Cognito identity pools", "cognito")
    if host in WELL_KNOWN_HOSTS:
        names = {
            "accounts.google.com": "Google",
            "graph.facebook.com": "Facebook",
            "www.amazon.com": "Login with Amazon",
        }
        return Issuer(entry, WEB_IDENTITY, WELL_KNOWN, host, "", 2, names[host], f"key:{_CONSUMER_TENANT[host]}")
    if semantics.bare_host_matches_oidc_provider and "/" not in host.split(".")[0] and "." in host:
        # the provider's URL is case-sensitive (OIDC-CREATE): the entry names it as written
        arn = f"arn:{role.partition}:iam::{role.account}:oidc-provider/{entry}"
        return _oidc(entry, entry, arn)
    return None


def is_federated_name(name: str) -> bool:
    """Whether a name a user gives (``--principal``) names an issuer of federated tokens: an IAM OIDC or
    SAML provider's ARN, or a built-in host (Cognito, Google, Facebook, Login with Amazon)."""
    return bool(_OIDC_ARN.fullmatch(name) or _SAML_ARN.fullmatch(name)) or name.lower() in (
        COGNITO_HOST,
        *WELL_KNOWN_HOSTS,
    )


def names_issuer(name: str, issuer: Issuer) -> bool:
    """Whether a name of :func:`is_federated_name` names this issuer: its provider's ARN, or its host
    when it has no ARN (a built-in host; F10 compares those without regard to case)."""
    return name == issuer.entry or name == issuer.arn or (not issuer.arn and name.lower() == issuer.host.lower())


def _oidc(entry: str, host: str, arn: str) -> Issuer:
    lower = host.lower()
    if lower in _TENANT_IN_SUB:
        before, end = _TENANT_IN_SUB[lower]
        names = {
            "token.actions.githubusercontent.com": "GitHub Actions",
            "gitlab.com": "GitLab",
            "app.terraform.io": "HCP Terraform",
            "agent.buildkite.com": "Buildkite",
        }
        return Issuer(entry, WEB_IDENTITY, OIDC, host, arn, 1, names[lower], "sub", before, end)
    if lower in IDP_CONTROLS:  # the other public issuers of IAM's identity-provider controls
        return Issuer(entry, WEB_IDENTITY, OIDC, host, arn, 1, host)
    eks = _EKS.fullmatch(host)
    name = f"EKS cluster {eks['cluster']}" if eks else f"the OIDC issuer {host}"
    return Issuer(entry, WEB_IDENTITY, OIDC, host, arn, 4, name)


@dataclass(frozen=True)
class Grant:
    """One ``Federated`` entry of one trust ``Allow`` statement whose Action covers the issuer's door."""

    index: int
    statement: Statement
    issuer: Issuer


def _entries(trust: Policy, role: RoleArn, semantics: Semantics) -> Iterator[tuple[int, Statement, str, Issuer | None]]:
    """Every ``Federated`` entry of every trust ``Allow``, with its issuer (``None``: no token matches it)."""
    for i, st in enumerate(trust.statements):
        if st.effect == "Allow" and st.principal is not None:
            for entry in st.principal.federated:
                yield i, st, entry, issuer_of(entry, role, semantics)


def grants(trust: Policy, role: RoleArn, semantics: Semantics) -> list[Grant]:
    """Every (statement, issuer) through which a token could be admitted, in statement order."""
    return [
        Grant(i, st, issuer)
        for i, st, _, issuer in _entries(trust, role, semantics)
        if issuer is not None and st.matches_action(issuer.api.lower())
    ]


def dead_entries(trust: Policy, role: RoleArn, semantics: Semantics) -> list[tuple[int, str, str]]:
    """(statement, entry, why) of the ``Federated`` entries of trust Allows that admit no token
    (docs/federation.md §6.3, FED-DEAD-STATEMENT)."""
    out = []
    for i, st, entry, issuer in _entries(trust, role, semantics):
        if issuer is None:
            why = (
                "a provider of another account or partition: tokens resolve to the role account's providers (F10)"
                if entry.startswith("arn:")
                else "not a provider a token can resolve to (a bare OIDC host, F10)"
            )
            out.append((i, entry, why))
        elif not st.matches_action(issuer.api.lower()):
            out.append((i, entry, f"the statement does not allow {issuer.api}, the door of {issuer.name}"))
    return out


def _provider_keys(issuer: Issuer) -> frozenset[str]:
    """The condition keys an issuer's tokens can carry (F6: ``federated_context``'s provider keys)."""
    if issuer.kind == SAML_PROVIDER:
        return frozenset(
            {"saml:aud", "saml:iss", "saml:sub", "saml:sub_type", "saml:doc", "saml:namequalifier"}
            | set(SAML_ATTRIBUTE_KEYS.values())
        )
    h = issuer.prefix
    if h in OAUTH_HOSTS:
        claims = ("app_id", "id") if h == "graph.facebook.com" else ("app_id", "user_id")
        return frozenset(f"{h}:{c}" for c in claims)
    keys = {f"{h}:aud", f"{h}:sub", f"{h}:azp"} | {f"{h}:{c}" for c in provider_claim_keys(issuer.host)}
    if h == "accounts.google.com":
        keys |= {f"{h}:oaud", f"{h}:google/organization_number"}
    if h == COGNITO_HOST:
        keys.add(f"{h}:amr")
    return frozenset(keys)


@dataclass
class FederatedTokens:
    """The tokens of the issuers of a trust policy as terms over ``universe`` (module docstring),
    with F7-F10 encoded for each (:attr:`allowed`)."""

    universe: Universe
    trust: Policy
    role: RoleArn
    semantics: Semantics
    others: tuple[Policy, ...] = ()
    """Further trust policies decided on the same tokens (a comparison: :attr:`allowed_by`), whose own
    grants add no issuer: a token of an issuer ``trust`` does not name is one ``trust`` refuses."""
    issuers: dict[str, Issuer] = field(default_factory=dict)
    allowed: dict[str, z3.BoolRef] = field(default_factory=dict)
    """Issuer entry -> "F7-F10 allow this issuer's token"."""
    allowed_by: list[dict[str, z3.BoolRef]] = field(default_factory=list)
    """Per policy (``trust``, then :attr:`others`): issuer entry -> "F7-F10 of that policy allow the token"."""
    errors_by: list[dict[str, z3.BoolRef]] = field(default_factory=list)
    """Per policy, as :attr:`allowed_by`: "the model would refuse to decide the token under that policy"."""
    granted_by: dict[tuple[int, str], z3.BoolRef] = field(default_factory=dict)
    """(statement, entry) -> "the token is allowed, and this statement grants it" (F10's own term)."""
    errors: dict[str, z3.BoolRef] = field(default_factory=dict)
    """Issuer entry -> "the model would refuse to decide this token" (never a witness)."""
    _keys: dict[tuple[str, str], KeyState] = field(default_factory=dict)
    _pools: dict[str, z3.SeqRef] = field(default_factory=dict)
    _own: dict[str, frozenset[str]] = field(default_factory=dict)

    def build(self) -> FederatedTokens:
        """Encode every issuer's token (before any solving: the universe's pools are made then)."""
        for policy in (self.trust, *self.others):
            self._check_keys(policy)
        self.allowed_by = [{} for _ in range(1 + len(self.others))]
        self.errors_by = [{} for _ in range(1 + len(self.others))]
        found = grants(self.trust, self.role, self.semantics)
        for g in found:
            self.issuers.setdefault(g.issuer.entry, g.issuer)
        for entry, issuer in self.issuers.items():
            env = self._env(issuer)
            # built now, before any solving: a query's probes read them (the universe's pools are made once)
            subject(issuer, self)
            if issuer.kind == COGNITO:
                self.key(issuer, f"{COGNITO_HOST}:amr")
            if issuer.tenant.startswith("key:"):
                self.key(issuer, issuer.tenant[4:])
            encs = [
                encode_federated(FederatedWorld(action=issuer.api, trust=policy, semantics=self.semantics), env)
                for policy in (self.trust, *self.others)
            ]
            for k, each in enumerate(encs):
                self.allowed_by[k][entry], self.errors_by[k][entry] = each.allowed, each.err
            enc = encs[0]
            self.allowed[entry] = enc.allowed
            self.errors[entry] = enc.err
            for g in found:
                if g.issuer.entry == entry:
                    granted = enc.grants.get((g.index, "Federated"), z3.BoolVal(False))
                    self.granted_by[(g.index, entry)] = z3.And(enc.allowed, granted)
        return self

    # ------------------------------------------------------------------ what is stated

    @staticmethod
    def _check_keys(policy: Policy) -> None:
        """Refuse (``Unsupported``) a key the frame does not state, in a statement that can take part
        in a federated decision (``scope.federated_part``); a statement of the AssumeRole door alone
        never reads a token."""
        for _, st, _ in federated_part(policy):
            for key in unstated_token_keys(st):
                raise Unsupported(
                    f"{key} in a trust policy with federated statements: tokens that pass session tags or a "
                    "source identity, and the role's tags, are not stated in the federated frame"
                )

    # ------------------------------------------------------------------ the token

    def _env(self, issuer: Issuer) -> FederatedEnv:
        u = self.universe
        if issuer.kind == COGNITO:  # the identity pool's account: any account (an attacker's own included)
            pool_term = z3.String(f"fed:{issuer.entry}:pool_account")
            u.constraints.append(z3.InRe(pool_term, z3.Loop(z3.Range("0", "9"), 12, 12)))
            self._pools[issuer.entry] = pool_term
        else:
            pool_term = z3.StringVal(self.role.account)
        token = Token(
            kind=z3.IntVal(issuer.kind),
            provider_arn=z3.StringVal(issuer.arn),
            has_provider_arn=z3.BoolVal(bool(issuer.arn)),
            host=z3.StringVal(issuer.host),
            has_host=z3.BoolVal(bool(issuer.host)),
            pool_account=pool_term,
        )
        own = self._provider_keys(issuer)
        return FederatedEnv(
            token=token,
            role=u.role,
            need_tag=z3.BoolVal(False),
            need_source=z3.BoolVal(False),
            key=lambda name: self.key(issuer, name),
            provider_key=lambda name: z3.BoolVal(name in own or name.startswith(f"{issuer.prefix}:")),
        )

    def _provider_keys(self, issuer: Issuer) -> frozenset[str]:
        """The keys the issuer's tokens can carry (F6), computed once per issuer."""
        if issuer.entry not in self._own:
            self._own[issuer.entry] = _provider_keys(issuer)
        return self._own[issuer.entry]

    def key(self, issuer: Issuer, name: str) -> KeyState:
        """A context key as this issuer's token presents it (module docstring)."""
        cache = (issuer.entry, name)
        if cache not in self._keys:
            self._keys[cache] = self._make_key(issuer, name)
        return self._keys[cache]

    def _make_key(self, issuer: Issuer, name: str) -> KeyState:
        u = self.universe
        absent = constant_key(None)
        if name == "aws:federatedprovider":
            value = issuer.arn if issuer.arn and (issuer.kind == SAML_PROVIDER or self._arn_value) else issuer.prefix
            return constant_key(value)
        if name == "aws:securetransport":
            return constant_key("true")
        if name == "aws:resourceaccount":
            return constant_key(self.role.account)
        if name == "sts:roleauthorizedbyidp":
            return absent if issuer.kind == SAML_PROVIDER else self._free(issuer, name, single=True, present=True)
        if name == "saml:doc" and issuer.kind == SAML_PROVIDER:
            return constant_key(f"{self.role.account}/{issuer.arn.rsplit('/', 1)[1]}")
        if name in _IDENTITY_KEYS or name.startswith("aws:principaltag/"):
            return absent
        if name == "aws:resourceorgpaths":
            return absent  # the model derives no paths at a federated door (F6)
        if name == "aws:resourceorgid":  # the role's organization, if any: its witness gives one
            state = u.key(name)
            u.constraints += [
                state.count <= 1,
                z3.Not(state.is_tuple),
                z3.Implies(state.count >= 1, z3.InRe(state.slots[0], _ORG_ID)),
            ]
            return state
        if self._is_provider_key(name):
            if name not in self._provider_keys(issuer):
                return absent  # another issuer's key, or a claim AWS does not make a key (F6)
            return self._claim_key(issuer, name)
        return u.key(name)  # the request's own keys: the universe's

    @property
    def _arn_value(self) -> bool:
        return self.semantics.federated_provider_value == "arn"

    @staticmethod
    def _is_provider_key(name: str) -> bool:
        prefix = name.split(":", 1)[0]
        return prefix == "saml" or "." in prefix or "/" in prefix

    def _claim_key(self, issuer: Issuer, name: str) -> KeyState:
        """A key the issuer's token gives (F6): present where every token has it, single-valued unless
        F6 makes it multi-valued, never empty where it names the user, the audience or the issuer."""
        h = issuer.prefix
        always = _always_present(h)
        present = name in always or name == f"{h}:amr"
        state = self._free(issuer, name, single=not self._multi_valued(issuer, name), present=present)
        if name in always or name == f"{h}:amr" or (name == f"{h}:azp" and h == "accounts.google.com"):
            # what names the user, the audience and the issuer is never empty: F3 refuses to decide such
            # a token (``federation._never_signed``); any other claim may be signed empty
            self.universe.constraints += [z3.Length(slot) >= 1 for slot in state.slots]
        if name == f"{h}:amr" and h == COGNITO_HOST:
            self.universe.constraints += _cognito_amr_shape(state)
        return state

    def _multi_valued(self, issuer: Issuer, name: str) -> bool:
        """F6: SAML's multi-valued attributes, Cognito's ``amr`` and an array ``aud`` per their options,
        Google's ``oaud``; ``saml:aud`` is the one Recipient, and GitHub's and Cognito's ``aud`` one value
        (F3 refuses to decide an array)."""
        h = issuer.prefix
        return (
            name in SAML_MULTI_VALUED
            or (name == f"{h}:amr" and self.semantics.cognito_amr_multivalued)
            or (
                name == f"{h}:aud"
                and issuer.kind != SAML_PROVIDER
                and h not in OAUTH_HOSTS
                and h != "accounts.google.com"
                and not one_audience(issuer.host)
                and self.semantics.oidc_array_aud_multivalued
            )
            or (name == f"{h}:oaud")
        )

    def _free(self, issuer: Issuer, name: str, *, single: bool, present: bool) -> KeyState:
        """A free key of the issuer's token, built from the universe's free key of that name."""
        # sts:RoleAuthorizedByIdP is the token's (a roles claim), never the AssumeRole door's derived key
        state = self.universe.free_key(name) if name == "sts:roleauthorizedbyidp" else self.universe.key(name)
        lo = 1 if present else 0
        self.universe.constraints += [state.count >= lo]
        if single:
            self.universe.constraints += [state.count <= 1, z3.Not(state.is_tuple)]
        if name == "saml:aud":  # F3: the Recipient is an AWS sign-in endpoint
            self.universe.constraints.append(z3.Implies(state.count >= 1, z3.InRe(state.slots[0], _SIGNIN)))
        if name == "sts:roleauthorizedbyidp":
            self.universe.constraints.append(z3.Or(state.slots[0] == "true", state.slots[0] == "false"))
        return state

    def pool_account(self, issuer: Issuer) -> z3.SeqRef:
        """The account of a Cognito token's identity pool (the role's for any other issuer)."""
        return self._pools.get(issuer.entry, z3.StringVal(self.role.account))

    def terms(self, issuer: Issuer) -> list[z3.ExprRef]:
        """Every term a witness of ``issuer`` reads (to exclude one token from a search)."""
        out: list[z3.ExprRef] = []
        for (entry, _), state in self._keys.items():
            if entry == issuer.entry and state.slots:
                out += [state.count, *state.slots]
        if issuer.entry in self._pools:
            out.append(self._pools[issuer.entry])
        return out

    # ------------------------------------------------------------------ witnesses

    def witness(self, issuer: Issuer, m: Assignment) -> dict[str, Any]:
        """The scenario of one admitted token, in the format ``rolecall decide`` replays (v1.1)."""
        role_arn = self.role.arn
        trust = self.trust.to_json()
        doc: dict[str, Any] = {
            "api": "AssumeRoleWithSAML" if issuer.kind == SAML_PROVIDER else "AssumeRoleWithWebIdentity",
            "role": {"arn": role_arn, "trust_policy": trust, "trust_predates_idp_controls": True},
        }
        values = self._values(issuer, m)
        if issuer.kind == SAML_PROVIDER:
            self._saml(doc, issuer, values)
        else:
            self._web(doc, issuer, values, m)
        context = self._context(issuer, m)
        if context:
            doc["context"] = context
        org = self._keys.get((issuer.entry, "aws:resourceorgid"))
        if org is not None and m.eval(org.count, model_completion=True).as_long() >= 1:
            doc["organization"] = {"id": _text(m, org.slots[0]), "management_account": self.role.account}
        sem = {
            name: getattr(self.semantics, name)
            for name in Semantics.__dataclass_fields__
            if getattr(self.semantics, name) != getattr(Semantics(), name)
        }
        if sem:
            doc["semantics"] = sem
        return doc

    def _values(self, issuer: Issuer, m: Assignment) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for (entry, name), state in self._keys.items():
            if entry != issuer.entry or not state.slots or not self._is_provider_key(name):
                continue
            if name not in self._provider_keys(issuer):
                continue
            out[name] = self._read(name, state, m)
        return out

    def _read(self, name: str, state: KeyState, m: Assignment) -> list[str]:
        """A key's values in a model: the universe's free keys as its decoder writes them (a typed
        reading's text: an IP address for ``aws:SourceIp``), else the slots' text."""
        if name in self.universe.free:
            return key_values(self.universe, name, m)
        count = m.eval(state.count, model_completion=True).as_long()
        return [_text(m, state.slots[j]) for j in range(min(count, len(state.slots)))]

    def _web(self, doc: dict[str, Any], issuer: Issuer, values: dict[str, list[str]], m: Assignment) -> None:
        """A web identity witness: the caller (provider, claims), the request, and for an OIDC issuer
        the IAM provider that lists its audiences."""
        h, host = issuer.prefix, issuer.host
        claims: dict[str, Any] = {}
        caller: dict[str, Any] = {"provider": host, "claims": claims}
        # the session name as the model gives it where a policy reads it, else a fixed valid one (F1)
        read = (issuer.entry, "sts:rolesessionname") in self._keys
        session = _text(m, self.universe.key("sts:rolesessionname").slots[0]) if read else "rolecall-session"
        request: dict[str, Any] = {"role_session_name": session}
        if h in OAUTH_HOSTS:
            caller["provider_kind"] = "well_known"
            claims.update({key.split(":", 1)[1]: vals[0] for key, vals in values.items() if vals})
            request["provider_id"] = h
        else:
            caller["provider_kind"] = {OIDC: "oidc", COGNITO: "cognito", WELL_KNOWN: "well_known"}[issuer.kind]
            claims.update(_oidc_claims(h, host, values))
            if issuer.kind == COGNITO:
                caller["cognito_pool_account"] = _text(m, self._pools[issuer.entry])
            if issuer.kind == OIDC:
                all_auds = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
                doc["identity_providers"] = {
                    self.role.account: {
                        "oidc": [{"url": f"https://{host}", "client_ids": list(dict.fromkeys(all_auds))}]
                    }
                }
        authorized = self._keys.get((issuer.entry, "sts:roleauthorizedbyidp"))
        if authorized is not None and _text(m, authorized.slots[0]) == "true":
            claims[ROLES_CLAIM] = [self.role.arn]
        doc["federated_caller"] = caller
        doc["request"] = request

    def _saml(self, doc: dict[str, Any], issuer: Issuer, values: dict[str, list[str]]) -> None:
        name = issuer.arn.rsplit("/", 1)[1]
        issuer_text = (values.get("saml:iss") or ["https://idp.example.com/saml"])[0]
        attributes: dict[str, list[str]] = {
            "https://aws.amazon.com/SAML/Attributes/Role": [f"{self.role.arn},{issuer.arn}"],
            "https://aws.amazon.com/SAML/Attributes/RoleSessionName": ["rolecall-witness"],
        }
        by_key = {key: attr for attr, key in SAML_ATTRIBUTE_KEYS.items()}
        for key, vals in values.items():
            if key in by_key and vals:
                attributes[by_key[key]] = vals
        sub_type = (values.get("saml:sub_type") or ["persistent"])[0]
        fmt = (
            f"urn:oasis:names:tc:SAML:2.0:nameid-format:{sub_type}"
            if sub_type in ("persistent", "transient")
            else sub_type
        )
        doc["federated_caller"] = {
            "provider_kind": "saml",
            "assertion": {
                "issuer": issuer_text,
                "name_id": (values.get("saml:sub") or ["rolecall-user"])[0],
                "name_id_format": fmt,
                "recipient": (values.get("saml:aud") or ["https://signin.aws.amazon.com/saml"])[0],
                "attributes": attributes,
            },
        }
        doc["identity_providers"] = {self.role.account: {"saml": [{"name": name, "issuer": issuer_text}]}}
        doc["request"] = {"principal_arn": issuer.arn}

    def _context(self, issuer: Issuer, m: Assignment) -> dict[str, Any]:
        """The request's own keys the policy reads, as the model's ``context`` gives them."""
        out: dict[str, Any] = {}
        for (entry, name), state in self._keys.items():
            if entry != issuer.entry or self._is_provider_key(name) or not state.slots:
                continue
            if name in _WRITTEN_ELSEWHERE:
                continue
            vals = self._read(name, state, m)
            if not vals:
                continue
            is_tuple = z3.is_true(m.eval(state.is_tuple, model_completion=True))
            out[name] = vals if is_tuple or len(vals) > 1 else vals[0]
        return out


#: Request keys a witness does not write in ``context``: derived by the model (the organization's id
#: comes from the witness's ``organization``), or written in the token or the request.
_WRITTEN_ELSEWHERE = (
    "aws:securetransport",
    "aws:resourceaccount",
    "aws:resourceorgid",
    "sts:rolesessionname",
    "sts:roleauthorizedbyidp",
)
#: An organization's id (the Organizations API reference: ``o-`` and 10-32 lower-case letters or digits).
_ORG_ID = z3.Concat(z3.Re("o-"), z3.Loop(z3.Union(z3.Range("a", "z"), z3.Range("0", "9")), 10, 32))


def _text(m: Assignment, term: z3.SeqRef) -> str:
    value = m.eval(term, model_completion=True)
    return str(value.as_string()) if z3.is_string_value(value) else ""


_SIGNIN = z3.Union(
    z3.Re("https://signin.aws.amazon.com/saml"),
    z3.Re("https://signin.aws.amazon.com/static/saml"),
    z3.Concat(
        z3.Re("https://"),
        z3.Plus(z3.Union(z3.Range("a", "z"), z3.Range("0", "9"), z3.Re("-"))),
        z3.Re(".signin.aws.amazon.com/"),
        z3.Union(z3.Re("saml"), z3.Re("static/saml")),
    ),
)


def tenant_probe(issuer: Issuer, tokens: FederatedTokens) -> z3.BoolRef | None:
    """A term "the token's tenant is one no policy names" for the issuer (docs/federation.md §6.2): a
    repository owner, group or organization in the subject, an OAuth client or app, a Cognito pool in
    another account, whose name is none of the literal tenants the trust policy mentions. A pattern
    with a wildcard in the tenant (``repo:acme*``) admits such a tenant (``acme-evil``: owners are first
    come, first served), so it is public (FED-PUB-WILDCARD-TENANT). ``None`` when rolecall does not know
    where the issuer's tokens name the tenant."""
    known = sorted(_known_tenants(issuer, tokens.trust))

    def fresh(tenant: z3.SeqRef) -> list[z3.BoolRef]:
        return [z3.Length(tenant) >= 1, *[tenant != z3.StringVal(k) for k in known]]

    if issuer.tenant == "sub":
        # the subject is BEFORE, a tenant name none of the known ones, END, then anything: one regular
        # expression over the subject (a tenant name holds neither END character, so it is the run up
        # to the first END), which Z3 decides on a subject a condition pins far faster than a
        # separate tenant string under PrefixOf
        state = tokens.key(issuer, issuer.tenant_key)
        chars = [z3.Range("a", "z"), z3.Range("A", "Z"), z3.Range("0", "9"), z3.Re("-"), z3.Re("_")]
        if issuer.host.lower() == "gitlab.com":  # a GitLab group's path may hold dots (GitLab's path rules)
            chars.append(z3.Re("."))
        name = z3.Plus(z3.Union(*chars))
        if known:
            name = z3.Intersect(name, z3.Complement(z3.Union(*[z3.Re(k) for k in known])))
        head = z3.Concat(
            z3.Re(issuer.tenant_prefix), name, z3.Re(issuer.tenant_end), z3.Star(z3.AllChar(z3.ReSort(z3.StringSort())))
        )
        return z3.And(state.count >= 1, z3.InRe(state.slots[0], head))
    if issuer.tenant.startswith("key:"):
        state = tokens.key(issuer, issuer.tenant[4:])
        return z3.And(state.count >= 1, *fresh(state.slots[0]))
    if issuer.tenant == "cognito":
        aud = tokens.key(issuer, f"{COGNITO_HOST}:aud")
        pool = tokens.pool_account(issuer)
        return z3.And(aud.count >= 1, pool == z3.StringVal(ATTACKER_ACCOUNT), *fresh(aud.slots[0]))
    return None


def custom_subject(issuer: Issuer, tokens: FederatedTokens) -> z3.BoolRef | None:
    """A term "the token's subject is not in the issuer's default format", for issuers whose tenants
    choose the format: a GitHub repository's subject template (``include_claim_keys``, GH-OIDC-REF)
    can make it ``environment:prod`` or ``ref:refs/heads/main``, which any owner can produce for its own
    repositories. :func:`tenant_probe` reads the default format only, so an admitted token of another
    format leaves "public" undecided (docs/federation.md §6.2). ``None`` for other issuers."""
    if issuer.host.lower() != "token.actions.githubusercontent.com":
        return None
    sub = tokens.key(issuer, issuer.tenant_key)
    return z3.And(sub.count >= 1, z3.Not(z3.PrefixOf(z3.StringVal(issuer.tenant_prefix), sub.slots[0])))


def _known_tenants(issuer: Issuer, trust: Policy) -> set[str]:
    """The literal tenants the trust policy names for the issuer: owners in subject values, client, app
    or pool ids; of a pattern, the text before its first wildcard or policy variable."""
    key = {"sub": issuer.tenant_key, "cognito": f"{COGNITO_HOST}:aud"}.get(issuer.tenant, issuer.tenant[4:])
    out: set[str] = set()
    for st in trust.statements:
        for cond in st.conditions:
            if cond.key.lower() != key:
                continue
            for value in cond.values:
                if issuer.tenant == "sub":
                    if not value.startswith(issuer.tenant_prefix):
                        continue
                    value = value[len(issuer.tenant_prefix) :].split(issuer.tenant_end, 1)[0]
                literal = value
                for ch in "*?$":  # a pattern names the tenant before its first wildcard (repo:acme* -> acme)
                    literal = literal.split(ch, 1)[0]
                if literal:
                    out.add(literal)
    return out


#: The claim that names the end user, where it is not ``sub``: the OAuth 2.0 providers' (STSKEYS).
SUBJECT_CLAIMS = {"graph.facebook.com": "id", "www.amazon.com": "user_id"}


def subject(issuer: Issuer, tokens: FederatedTokens) -> KeyState:
    """The subject of the issuer's tokens: ``P:sub`` (OIDC, Cognito, Google), ``saml:sub`` (the NameID),
    or the OAuth 2.0 providers' user claim (:data:`SUBJECT_CLAIMS`)."""
    return tokens.key(issuer, f"{issuer.prefix}:{SUBJECT_CLAIMS.get(issuer.prefix, 'sub')}")


def token_subject(doc: dict[str, Any]) -> str | None:
    """The subject of a federated scenario's token or assertion, as :func:`subject` reads it (``None``: none)."""
    fc = doc["federated_caller"]
    if "assertion" in fc:
        value = fc["assertion"].get("name_id")
    else:
        claim = SUBJECT_CLAIMS.get(str(fc.get("provider", "")).lower(), "sub")
        value = fc.get("claims", {}).get(claim)
    return value if isinstance(value, str) else None


def mentions(policies: Sequence[Policy], text: str) -> bool:
    """Whether any policy names ``text`` (then it is no fresh tenant)."""
    return any(text in str(p.to_json()) for p in policies)


__all__ += ["SUBJECT_CLAIMS", "custom_subject", "mentions", "subject", "tenant_probe", "token_subject"]


def _always_present(h: str) -> set[str]:
    """The keys every token of the provider with key prefix ``h`` gives (F6): the audience and the
    subject (Google's ``oaud`` too), SAML's five; none for an OAuth 2.0 provider."""
    if h in OAUTH_HOSTS:
        return set()
    always = {f"{h}:aud", f"{h}:sub", "saml:aud", "saml:iss", "saml:sub", "saml:sub_type", "saml:namequalifier"}
    if h == "accounts.google.com":
        always.add(f"{h}:oaud")
    return always


def _cognito_amr_shape(state: KeyState) -> list[z3.BoolRef]:
    """Cognito's amr: "authenticated" and the login providers, or "unauthenticated" alone (COG-TRUST)."""
    first, rest = state.slots[0], state.slots[1:]
    auth, guest = z3.StringVal("authenticated"), z3.StringVal("unauthenticated")
    return [
        z3.Or(first == auth, first == guest),
        z3.Implies(first == guest, state.count == 1),
        *[z3.And(r != auth, r != guest) for r in rest],
    ]


def _oidc_claims(h: str, host: str, values: dict[str, list[str]]) -> dict[str, Any]:
    """The claims of an OIDC token whose keys have ``values`` (F6 read backwards): ``iss``, ``aud``
    (Google's ``aud`` is ``oaud``, its ``azp`` the key ``aud``), ``amr`` as a list, Google's
    organization number nested, every other claim its first value."""
    claims: dict[str, Any] = {"iss": f"https://{host}"}
    auds = values.get(f"{h}:aud") or ["sts.amazonaws.com"]
    if h == "accounts.google.com":
        oaud = values.get(f"{h}:oaud") or auds
        claims["aud"] = oaud[0] if len(oaud) == 1 else oaud
        if auds[0] != claims["aud"]:
            claims["azp"] = auds[0]
    else:
        claims["aud"] = auds[0] if len(auds) == 1 else auds
    for key, vals in values.items():
        claim = key.split(":", 1)[1]
        if claim in ("aud", "oaud") or not vals:
            continue
        if claim == "google/organization_number":
            claims["google"] = {"organization_number": vals[0]}
        elif claim == "amr":
            claims["amr"] = vals
        else:
            claims[claim] = vals[0]
    return claims
