"""Federated scenarios: identity providers, tokens, SAML assertions (private module; see
:mod:`rolecall.strategies` and docs/federation.md).

A federated scenario is built around one *tenant*: an issuer family (GitHub Actions, an EKS
cluster, a Cognito identity pool, Google, a SAML IdP) and the claims of one identity in it
(repository and branch, namespace and service account, pool and authentication, OAuth client,
user and affiliation). The trust policy is then written about that identity, exactly or nearly:
the near misses are the ones real trust policies get wrong (another repository of the same
owner, a look-alike owner ``acme-evil`` against ``repo:acme/*`` and ``repo:acme*``, another
branch, a value in another case, an audience the provider does not list, the provider of another
account, a bare host instead of the provider ARN, a vacuous condition on a claim AWS does not set).

Each scenario follows a *plan* that fixes its outcome by construction (the ``expect`` it
carries); tests/strategies/test_federation_strategies.py checks the model agrees on every one.
Draws shrink towards the first family (GitHub), the first value of each pool and no extras.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from rolecall.model.scenario import ROLES_CLAIM

from ._world import Doc

__all__ = [
    "FAMILIES",
    "FEDERATED_PLANS",
    "federated_scenarios",
    "identity_providers",
    "saml_assertions",
    "web_identity_tokens",
]

A, B = "111111111111", "222222222222"
#: Issuer families, simplest first (shrinking goes left).
FAMILIES = ("github", "eks", "cognito", "google", "saml")
GITHUB = "token.actions.githubusercontent.com"
EKS_IDS = ("EXAMPLED539D4633E53DE1B71EXAMPLE", "5E1FC2C8A0D3B4AA0A3C1E0B7F2D9C11")
COGNITO = "cognito-identity.amazonaws.com"
POOLS = ("us-east-1:11111111-2222-3333-4444-555555555555", "us-east-1:99999999-8888-7777-6666-555555555555")
GOOGLE = "accounts.google.com"
CLIENTS = ("1234-web.apps.googleusercontent.com", "5678-android.apps.googleusercontent.com")
OKTA_ISSUER = "http://www.okta.com/exk1abcd"
RECIPIENT = "https://signin.aws.amazon.com/saml"
ROLE_ATTR = "https://aws.amazon.com/SAML/Attributes/Role"
NAME_ATTR = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
AFFILIATION = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"
OWNERS = ("acme", "acme-evil", "acm")
REPOS = ("app", "app2", "infra")
BRANCHES = ("main", "dev", "release/1", "main-next")  # main-next: a pin of main is its prefix
NAMESPACES = ("payments", "default", "kube-system")
ACCOUNTS_SA = ("api", "debug", "aws-node", "api-admin")  # api-admin: a pin of api is its prefix
AFFILIATIONS = ("staff", "faculty", "student")
ROLE = f"arn:aws:iam::{B}:role/federated-role"
#: a role the token or assertion may name instead (the roles claim, the SAML Role attribute)
OTHER_ROLE = f"arn:aws:iam::{B}:role/federated-other"

#: Plans per outcome: how the world is bent away from an Allow (or not).
FEDERATED_PLANS: dict[str, tuple[str, ...]] = {
    "allowed": (
        "exact",
        "pattern",
        "key-case",
        "vacuous",
        "tags-allowed",
        "roles-claim-listed",
        "pool-elsewhere-tested",
    ),
    "implicitDeny": (
        "near-miss-value",
        "near-miss-prefix",
        "near-miss-case",
        "foreign-provider",
        "bare-host",
        "wildcard-principal",
        "wrong-action",
        "tags-without-tag-session",
        "role-missing",
        "pool-elsewhere-untested",
    ),
    "explicitDeny": ("trust-deny", "rcp-deny"),
    "error": (
        "aud-not-registered",
        "provider-elsewhere",
        "expired",
        "duration",
        "session-name",
        "roles-claim-other",
        "saml-role-other",
        "idp-controls",
    ),
}
_WEB = ("github", "eks", "cognito", "google")
#: Plans a family cannot follow (no IAM provider, or no case-sensitive pinned value to bend, or a
#: check that is one family's own: the roles claim, Cognito's pools, the SAML Role attribute, IAM's
#: identity-provider controls, which bind GitHub's and Cognito's of these families).
_NOT_FOR = {
    "aud-not-registered": ("cognito", "google", "saml"),
    "provider-elsewhere": ("cognito", "google"),
    "bare-host": ("cognito", "google", "saml"),
    "pattern": ("google",),
    "near-miss-prefix": ("cognito", "google", "saml"),
    "roles-claim-listed": ("cognito", "saml"),
    "roles-claim-other": ("cognito", "saml"),
    "pool-elsewhere-tested": ("github", "eks", "google", "saml"),
    "pool-elsewhere-untested": ("github", "eks", "google", "saml"),
    "saml-role-other": _WEB,
    "idp-controls": ("eks", "google", "saml"),
}


# ----------------------------------------------------------------------------- tenants


class _Tenant:
    """One identity of one issuer: its claims, the trust principal, and the conditions that pin it."""

    def __init__(self, family: str, values: dict[str, str]) -> None:
        self.family, self.values = family, values

    @property
    def host(self) -> str:
        if self.family == "github":
            return GITHUB
        if self.family == "eks":
            return f"oidc.eks.us-east-1.amazonaws.com/id/{self.values['cluster']}"
        return COGNITO if self.family == "cognito" else GOOGLE

    def claims(self) -> dict[str, Any]:
        v, host = self.values, self.host
        if self.family == "github":
            return {
                "iss": f"https://{host}",
                "aud": "sts.amazonaws.com",
                "sub": v["sub"],
                "repository_id": v["repo_id"],
            }
        if self.family == "eks":
            return {"iss": f"https://{host}", "aud": "sts.amazonaws.com", "sub": v["sub"]}
        if self.family == "cognito":
            amr = ["authenticated", GOOGLE] if v["auth"] == "authenticated" else ["unauthenticated"]
            return {"iss": f"https://{host}", "aud": v["pool"], "sub": "us-east-1:0a1b2c3d-0000", "amr": amr}
        return {"iss": f"https://{host}", "aud": v["client"], "sub": "110169484474386276334"}

    def pin(self) -> tuple[str, str, str]:
        """(operator, key, value) of the condition that admits exactly this identity."""
        v, host = self.values, self.host
        if self.family in ("github", "eks"):
            return "StringEquals", f"{host}:sub", v["sub"]
        if self.family == "cognito":  # the pool is pinned beside it, always (F0: IAM wants an aud test)
            return "ForAnyValue:StringEquals", f"{host}:amr", v["auth"]
        if self.family == "google":
            return "StringEquals", f"{host}:aud", v["client"]
        return "ForAnyValue:StringEquals", "saml:edupersonaffiliation", v["affiliation"]

    def pattern(self) -> tuple[str, str, str]:
        """A StringLike condition that admits this identity and others of its tenant."""
        v, host = self.values, self.host
        if self.family == "github":
            return "StringLike", f"{host}:sub", f"repo:{v['owner']}/*"
        if self.family == "eks":
            return "StringLike", f"{host}:sub", f"system:serviceaccount:{v['ns']}:*"
        if self.family == "cognito":
            return "ForAnyValue:StringLike", f"{host}:amr", "auth*" if v["auth"] == "authenticated" else "unauth*"
        return "ForAnyValue:StringLike", "saml:edupersonaffiliation", v["affiliation"][:3] + "*"

    def near_miss(self, variant: int) -> tuple[str, str, str]:
        """A pin for another identity of the same issuer: one claim bent (another repository,
        branch or owner; a look-alike prefix pattern; another namespace, pool or client)."""
        v, host = self.values, self.host
        if self.family == "github":
            owner, repo, branch = v["owner"], v["repo"], v["branch"]
            others = [
                ("StringEquals", f"repo:{owner}/{_other(REPOS, repo)}:ref:refs/heads/{branch}"),
                ("StringEquals", f"repo:{owner}/{repo}:ref:refs/heads/{_other(BRANCHES, branch)}"),
                ("StringLike", f"repo:{_other(OWNERS, owner)}/*"),
                ("StringLike", f"repo:{owner}/{repo}:environment:*"),
            ]
            op, value = others[variant % len(others)]
            return op, f"{host}:sub", value
        if self.family == "eks":
            ns, sa = (
                (_other(NAMESPACES, v["ns"]), v["sa"]) if variant % 2 == 0 else (v["ns"], _other(ACCOUNTS_SA, v["sa"]))
            )
            return "StringEquals", f"{host}:sub", f"system:serviceaccount:{ns}:{sa}"
        if self.family == "cognito":
            if variant % 2:
                return "StringEquals", f"{host}:aud", _other(POOLS, v["pool"])
            wanted = "unauthenticated" if v["auth"] == "authenticated" else "authenticated"
            return "ForAnyValue:StringEquals", f"{host}:amr", wanted
        if self.family == "google":
            return "StringEquals", f"{host}:aud", _other(CLIENTS, v["client"])
        return "ForAnyValue:StringEquals", "saml:edupersonaffiliation", _other(AFFILIATIONS, v["affiliation"])

    def case_miss(self) -> tuple[str, str, str]:
        """The pinned value in another case: StringEquals is case-sensitive (CONDOPS)."""
        op, key, value = self.pin()
        return op, key, value.upper() if value != value.upper() else value.lower()


def _other(pool: tuple[str, ...], value: str) -> str:
    return next(x for x in pool if x != value)


@st.composite
def _tenants(draw: st.DrawFn, family: str) -> _Tenant:
    tenant = draw(_identities(family))
    # the trust policy also pins the audience (shrinks to not: one condition, the identity's own pin);
    # Cognito's always does (IAM's controls want its aud tested, F0)
    tenant.values["pin_aud"] = "yes" if family == "cognito" or draw(st.booleans()) else ""
    return tenant


@st.composite
def _identities(draw: st.DrawFn, family: str) -> _Tenant:
    if family == "github":
        owner, repo, branch = (
            draw(st.sampled_from(OWNERS)),
            draw(st.sampled_from(REPOS)),
            draw(st.sampled_from(BRANCHES)),
        )
        sub = f"repo:{owner}/{repo}:ref:refs/heads/{branch}"
        repo_id = str(draw(st.integers(100000, 999999)))
        return _Tenant(family, {"owner": owner, "repo": repo, "branch": branch, "sub": sub, "repo_id": repo_id})
    if family == "eks":
        ns, sa = draw(st.sampled_from(NAMESPACES)), draw(st.sampled_from(ACCOUNTS_SA))
        values = {"cluster": draw(st.sampled_from(EKS_IDS)), "ns": ns, "sa": sa}
        return _Tenant(family, {**values, "sub": f"system:serviceaccount:{ns}:{sa}"})
    if family == "cognito":
        auth = draw(st.sampled_from(("authenticated", "unauthenticated")))
        return _Tenant(family, {"pool": draw(st.sampled_from(POOLS)), "auth": auth})
    if family == "google":
        return _Tenant(family, {"client": draw(st.sampled_from(CLIENTS))})
    user = draw(st.sampled_from(("alice", "bob.smith", "carol@example.com")))
    return _Tenant(family, {"affiliation": draw(st.sampled_from(AFFILIATIONS)), "user": user})


# ----------------------------------------------------------------------------- public pieces


def identity_providers(account: str = B) -> st.SearchStrategy[dict[str, Any]]:
    """The ``identity_providers`` of one account: GitHub's and an EKS cluster's OIDC providers
    (audience ``sts.amazonaws.com``, sometimes GitHub's default audience too) and a SAML provider.
    Shrinks towards GitHub's provider alone."""
    github = st.builds(
        lambda extra: {"url": f"https://{GITHUB}", "client_ids": ["sts.amazonaws.com", *extra]},
        st.sampled_from(([], ["https://github.com/acme"])),
    )
    eks = st.builds(
        lambda c: {"url": f"https://oidc.eks.us-east-1.amazonaws.com/id/{c}", "client_ids": ["sts.amazonaws.com"]},
        st.sampled_from(EKS_IDS),
    )
    saml = st.just({"name": "Okta", "issuer": OKTA_ISSUER})
    return st.builds(
        lambda g, e, s: {account: {"oidc": [g, *e], **({"saml": [s]} if s else {})}},
        github,
        st.lists(eks, max_size=1),
        st.none() | saml,
    )


def web_identity_tokens(family: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """``federated_caller`` objects for AssumeRoleWithWebIdentity: a GitHub Actions, EKS, Cognito
    or Google token's claims (``family`` one of ``github``, ``eks``, ``cognito``, ``google``)."""
    families = (family,) if family else FAMILIES[:4]
    return _any_tenant(families).map(_web_caller)


@st.composite
def _any_tenant(draw: st.DrawFn, families: tuple[str, ...]) -> _Tenant:
    return draw(_tenants(draw(st.sampled_from(families))))


def saml_assertions() -> st.SearchStrategy[dict[str, Any]]:
    """``federated_caller`` objects for AssumeRoleWithSAML: an Okta assertion naming the role of
    :func:`federated_scenarios`, a user and an eduPerson affiliation."""
    return _tenants("saml").map(_saml_caller)


def _web_caller(t: _Tenant) -> dict[str, Any]:
    kind = "oidc" if t.family in ("github", "eks") else ("cognito" if t.family == "cognito" else "well_known")
    out: dict[str, Any] = {"provider_kind": kind, "provider": t.host, "claims": t.claims()}
    if t.family == "cognito":
        out["cognito_pool_account"] = B
    return out


def _saml_caller(t: _Tenant) -> dict[str, Any]:
    return {
        "provider_kind": "saml",
        "assertion": {
            "issuer": OKTA_ISSUER,
            "name_id": t.values["user"],
            "name_id_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            "recipient": RECIPIENT,
            "attributes": {
                ROLE_ATTR: [f"{ROLE},arn:aws:iam::{B}:saml-provider/Okta"],
                NAME_ATTR: [t.values["user"].replace("@", ".")],
                AFFILIATION: [t.values["affiliation"]],
            },
        },
    }


# ----------------------------------------------------------------------------- scenarios


def federated_scenarios(
    *, api: str | None = None, decision: str | None = None, families: tuple[str, ...] | None = None
) -> st.SearchStrategy[Doc]:
    """Complete scenarios at the federated doors (docs/federation.md §3), each with the ``expect``
    its plan fixes. ``api``: ``AssumeRoleWithWebIdentity`` or ``AssumeRoleWithSAML`` (None: both);
    ``decision``: ``allowed``, ``implicitDeny``, ``explicitDeny`` or ``error`` (None: any);
    ``families``: some of :data:`FAMILIES`."""
    chosen = families or FAMILIES
    if api == "AssumeRoleWithSAML":
        chosen = tuple(f for f in chosen if f == "saml")
    elif api == "AssumeRoleWithWebIdentity":
        chosen = tuple(f for f in chosen if f != "saml")
    if not chosen or any(f not in FAMILIES for f in chosen):
        raise ValueError(f"families must be some of {FAMILIES} (and fit the api), not {families!r}")
    outcomes = (decision,) if decision else tuple(FEDERATED_PLANS)
    if any(o not in FEDERATED_PLANS for o in outcomes):
        raise ValueError(f"decision must be one of {tuple(FEDERATED_PLANS)} or None, not {decision!r}")
    return _scenario(chosen, outcomes)


@st.composite
def _scenario(draw: st.DrawFn, families: tuple[str, ...], outcomes: tuple[str, ...]) -> Doc:
    # outcome, plan, family, identity: in this order each choice shrinks without changing the
    # meaning of the ones before it (the simplest scenario is GitHub's first identity, exactly pinned)
    outcome = draw(st.sampled_from(outcomes))
    plans = [p for p in FEDERATED_PLANS[outcome] if any(f not in _NOT_FOR.get(p, ()) for f in families)]
    plan = draw(st.sampled_from(plans))
    family = draw(st.sampled_from([f for f in families if f not in _NOT_FOR.get(plan, ())]))
    tenant = draw(_tenants(family))
    variant = draw(st.integers(0, 3))
    return _BUILD.get(plan, _build_default)(tenant, plan, variant, outcome)


def _base(t: _Tenant) -> Doc:
    """The world an Allow needs: the provider registered in the role's account, a trust statement
    that names it and pins the identity, a valid request."""
    saml = t.family == "saml"
    caller = _saml_caller(t) if saml else _web_caller(t)
    principal = _principal(t)
    op, key, value = t.pin()
    conditions: dict[str, dict[str, Any]] = {op: {key: value}}
    if t.family in ("github", "eks") and t.values["pin_aud"]:
        conditions.setdefault("StringEquals", {})[f"{t.host}:aud"] = "sts.amazonaws.com"
    if t.family == "cognito":
        conditions.setdefault("StringEquals", {})[f"{t.host}:aud"] = t.values["pool"]
    if saml and t.values["pin_aud"]:
        conditions.setdefault("StringEquals", {})["SAML:aud"] = RECIPIENT
    statement = {"Effect": "Allow", "Principal": principal, "Action": _action(t), "Condition": conditions}
    doc: Doc = {
        "api": "AssumeRoleWithSAML" if saml else "AssumeRoleWithWebIdentity",
        "federated_caller": caller,
        "role": {"arn": ROLE, "trust_policy": {"Version": "2012-10-17", "Statement": [statement]}},
        "request": {"principal_arn": f"arn:aws:iam::{B}:saml-provider/Okta"} if saml else {"role_session_name": "s1"},
    }
    providers = _providers(t, B)
    if providers:
        doc["identity_providers"] = providers
    return doc


def _principal(t: _Tenant, account: str = B) -> dict[str, str]:
    if t.family == "saml":
        return {"Federated": f"arn:aws:iam::{account}:saml-provider/Okta"}
    if t.family in ("github", "eks"):
        return {"Federated": f"arn:aws:iam::{account}:oidc-provider/{t.host}"}
    return {"Federated": t.host}


def _action(t: _Tenant) -> str:
    return "sts:AssumeRoleWithSAML" if t.family == "saml" else "sts:AssumeRoleWithWebIdentity"


def _providers(t: _Tenant, account: str) -> dict[str, Any]:
    if t.family == "saml":
        return {account: {"saml": [{"name": "Okta", "issuer": OKTA_ISSUER}]}}
    if t.family in ("github", "eks"):
        return {account: {"oidc": [{"url": f"https://{t.host}", "client_ids": ["sts.amazonaws.com"]}]}}
    return {}


def _statement(doc: Doc, i: int = 0) -> dict[str, Any]:
    statement: dict[str, Any] = doc["role"]["trust_policy"]["Statement"][i]
    return statement


def _replace_pin(doc: Doc, t: _Tenant, pin: tuple[str, str, str]) -> None:
    """Put ``pin`` where the identity's own pin was."""
    conditions = _statement(doc)["Condition"]
    op, key, _ = t.pin()
    del conditions[op][key]
    if not conditions[op]:
        del conditions[op]
    new_op, new_key, value = pin
    conditions.setdefault(new_op, {})[new_key] = value


def _expect(doc: Doc, outcome: str, plan: str, **extra: str) -> Doc:
    doc["id"] = f"federated {plan}"
    doc["expect"] = {"decision": outcome, **extra}
    return doc


def _build_default(t: _Tenant, plan: str, variant: int, outcome: str) -> Doc:
    doc = _base(t)
    if plan == "pattern":
        _replace_pin(doc, t, t.pattern())
    elif plan == "key-case":
        op, key, value = t.pin()
        _replace_pin(doc, t, (op, key.upper() if variant % 2 else key.title(), value))  # key names ignore case
    elif plan == "vacuous":
        absent = f"{t.host}:repository_owner" if t.family != "saml" else "saml:edupersonnickname"
        ops = ("StringNotEqualsIfExists", "ForAllValues:StringEquals", "StringNotEquals", "StringEqualsIfExists")
        _statement(doc)["Condition"][ops[variant % len(ops)]] = {absent: "someone-else"}
    elif plan == "tags-allowed":
        _add_tags(doc, t)
        _statement(doc)["Action"] = [_action(t), "sts:TagSession"]
    elif plan == "roles-claim-listed":  # the token lists the roles it may assume; this one among them (F3)
        doc["federated_caller"]["claims"][ROLES_CLAIM] = [ROLE, OTHER_ROLE][: 1 + variant % 2]
    elif plan == "pool-elsewhere-tested":  # another account's pool: the statement tests aud and amr (F10)
        doc["federated_caller"]["cognito_pool_account"] = A
    primary = _action(t)
    if outcome == "allowed":
        return _expect(doc, outcome, plan)
    return _expect(doc, outcome, plan, denied_by="role trust policy", action=primary)


def _add_tags(doc: Doc, t: _Tenant) -> None:
    if t.family == "saml":
        doc["federated_caller"]["assertion"]["attributes"][
            "https://aws.amazon.com/SAML/Attributes/PrincipalTag:Team"
        ] = ["blue"]
    else:
        doc["federated_caller"]["claims"]["https://aws.amazon.com/tags"] = {"principal_tags": {"Team": ["blue"]}}


def _denied(plan: str, bend: Callable[[Doc, _Tenant, int], None], action: str | None = None) -> Callable[..., Doc]:
    def build(t: _Tenant, _plan: str, variant: int, outcome: str) -> Doc:
        doc = _base(t)
        bend(doc, t, variant)
        denied_by = "role trust policy" if plan != "rcp-deny" else "resource control policy"
        return _expect(doc, outcome, plan, denied_by=denied_by, action=action or _action(t))

    return build


def _longer_subject(doc: Doc) -> None:
    """The token's subject extends the pinned one (branch ``main-next`` against a pin of ``main``,
    service account ``api-admin`` against ``api``): the pin is a prefix of it, never equal."""
    claims = doc["federated_caller"]["claims"]
    claims["sub"] += "-next"


def _foreign(doc: Doc, t: _Tenant, variant: int) -> None:
    """The trust names the provider of another account (tokens resolve in the role's, F10)."""
    if t.family in ("github", "eks", "saml"):
        _statement(doc)["Principal"] = _principal(t, A)
    else:  # a built-in host cannot be another account's: name another issuer instead
        _statement(doc)["Principal"] = {"Federated": GOOGLE if t.family == "cognito" else "graph.facebook.com"}


def _wrong_action(doc: Doc, t: _Tenant, variant: int) -> None:
    other = ("sts:AssumeRole", "sts:AssumeRoleWithSAML" if t.family != "saml" else "sts:AssumeRoleWithWebIdentity")
    _statement(doc)["Action"] = other[variant % 2]


def _trust_deny(doc: Doc, t: _Tenant, variant: int) -> None:
    """A Deny naming the provider, or (variants 2 and 3) everyone: a ``"*"`` Deny denies every caller,
    federated ones included, whatever the reading of ``"*"`` in an Allow (F7)."""
    op, key, value = t.pin()
    principal: Any = _principal(t) if variant < 2 else "*"
    deny: dict[str, Any] = {"Effect": "Deny", "Principal": principal, "Action": "sts:AssumeRoleWith*"}
    if variant % 2:
        deny["Condition"] = {op: {key: value}}
    doc["role"]["trust_policy"]["Statement"].append(deny)


def _pool_elsewhere_untested(doc: Doc, t: _Tenant, variant: int) -> None:
    """Another account's Cognito pool, and a statement that tests aud but not amr: it grants nothing
    (F10, ``cognito_cross_account_requires_aud_amr``)."""
    doc["federated_caller"]["cognito_pool_account"] = A
    op, key, _ = t.pin()
    conditions = _statement(doc)["Condition"]
    del conditions[op][key]
    if not conditions[op]:
        del conditions[op]


def _rcp_deny(doc: Doc, t: _Tenant, variant: int) -> None:
    op, key, value = t.near_miss(variant)  # deny what is NOT the near miss: the identity is outside
    negated = op.replace("StringEquals", "StringNotEquals").replace("StringLike", "StringNotLike")
    rcp = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": _action(t),
                "Resource": "*",
                "Condition": {negated: {key: value}},
            }
        ],
    }
    doc["organization"] = {
        "id": "o-a1b2c3d4e5",
        "management_account": "999999999999",
        "members": [A, B],
        "rcps": {B: [[rcp]]},
    }


def _error(plan: str, code: str) -> Callable[..., Doc]:
    def build(t: _Tenant, _plan: str, variant: int, outcome: str) -> Doc:
        doc = _base(t)
        if plan == "aud-not-registered":
            doc["federated_caller"]["claims"]["aud"] = f"https://github.com/{t.values.get('owner', 'acme')}"
        elif plan == "provider-elsewhere":
            doc["identity_providers"] = _providers(t, A)
            if t.family == "saml":
                doc["request"]["principal_arn"] = f"arn:aws:iam::{A}:saml-provider/Okta"
        elif plan == "expired":
            doc["federated_caller"]["token_status"] = "expired"
        elif plan == "duration":
            doc["request"]["duration_seconds"] = 7200
        elif plan == "roles-claim-other":  # the token's roles claim lists another role only (F3)
            doc["federated_caller"]["claims"][ROLES_CLAIM] = [OTHER_ROLE]
        elif plan == "saml-role-other":  # the Role attribute pairs another role with the provider (F3)
            doc["federated_caller"]["assertion"]["attributes"][ROLE_ATTR] = [
                f"{OTHER_ROLE},arn:aws:iam::{B}:saml-provider/Okta"
            ]
        elif plan == "idp-controls":  # the claim IAM's controls require is not tested: no such role (F0)
            op, key, _ = t.pin() if t.family == "github" else ("StringEquals", f"{t.host}:aud", "")
            conditions = _statement(doc)["Condition"]
            del conditions[op][key]
            if not conditions[op]:
                del conditions[op]
            if not conditions:
                del _statement(doc)["Condition"]
        else:
            if t.family == "saml":
                doc["federated_caller"]["assertion"]["attributes"][NAME_ATTR] = ["a b"]
            else:
                doc["request"]["role_session_name"] = ("a b", "x", "s" * 65)[variant % 3]
        if plan == "session-name" and t.family == "saml":
            code_here = "InvalidIdentityToken"
        elif plan == "idp-controls":
            code_here = "MalformedPolicyDocument"
        elif plan == "provider-elsewhere" and t.family == "saml":
            code_here = "ValidationError"
        else:
            code_here = code
        return _expect(doc, outcome, plan, error_code=code_here)

    return build


_BUILD: dict[str, Callable[..., Doc]] = {
    "near-miss-value": _denied("near-miss-value", lambda d, t, v: _replace_pin(d, t, t.near_miss(v))),
    "near-miss-prefix": _denied("near-miss-prefix", lambda d, t, v: _longer_subject(d)),
    "near-miss-case": _denied("near-miss-case", lambda d, t, v: _replace_pin(d, t, t.case_miss())),
    "foreign-provider": _denied("foreign-provider", _foreign),
    "bare-host": _denied("bare-host", lambda d, t, v: _statement(d).update(Principal={"Federated": t.host})),
    "wildcard-principal": _denied("wildcard-principal", lambda d, t, v: _statement(d).update(Principal="*")),
    "wrong-action": _denied("wrong-action", _wrong_action),
    "tags-without-tag-session": _denied("tags-without-tag-session", lambda d, t, v: _add_tags(d, t), "sts:TagSession"),
    "role-missing": _denied("role-missing", lambda d, t, v: d["role"].update(exists=False)),
    "pool-elsewhere-untested": _denied("pool-elsewhere-untested", _pool_elsewhere_untested),
    "trust-deny": _denied("trust-deny", _trust_deny),
    "rcp-deny": _denied("rcp-deny", _rcp_deny),
    "aud-not-registered": _error("aud-not-registered", "InvalidIdentityToken"),
    "provider-elsewhere": _error("provider-elsewhere", "InvalidIdentityToken"),
    "expired": _error("expired", "ExpiredTokenException"),
    "duration": _error("duration", "ValidationError"),
    "session-name": _error("session-name", "ValidationError"),
    "roles-claim-other": _error("roles-claim-other", "InvalidIdentityToken"),
    "saml-role-other": _error("saml-role-other", "InvalidIdentityToken"),
    "idp-controls": _error("idp-controls", "MalformedPolicyDocument"),
}
