"""The second fault catalogue: mistakes read in the code of real IAM evaluators, each planted in the model.

The first catalogue (:mod:`tests.quality.faults`) is rolecall's own list of the ways an
AssumeRole implementation goes wrong. This one is taken from outside: each :class:`Fault` here
reproduces one mistake shown at a specific line of an open-source IAM evaluator or emulator
(``source`` links to that line at a pinned commit; ``evidence`` says in one sentence what the line
does wrong), written as the smallest change to rolecall's model with the same effect on role
assumption. The detection run counts both catalogues (``python -m tests.quality.detection``), and
the suite must catch every one of them.

The evaluators read, and what was taken from each:

* PMapper (nccgroup/PMapper, ``principalmapper/querying`` and ``graphing/sts_edges.py``): its local
  policy simulation decides the AssumeRole edges of its graph;
* moto (getmoto/moto, ``moto/iam/access_control.py`` and ``policy_conditions.py``): the IAM
  enforcement behind ``INITIAL_NO_AUTH_ACTION_COUNT``;
* cartography (cartography-cncf/cartography, ``intel/aws/iam.py`` and
  ``permission_relationships.py``): its ``STS_ASSUMEROLE_ALLOW`` relationships;
* IAMSpy (WithSecureLabs/IAMSpy, ``iamspy/conditions.py`` and ``parse.py``): a Z3 model of IAM.

Mistakes already in the first catalogue (moto's trust Allow that vetoes, its substring
principals, PMapper's and IAMSpy's ignored RCPs, IAMSpy's ignored boundaries, cartography's account
principals that name nobody, …) are not repeated here; docs/strategies.md lists them as
confirmations. Two real mistakes are planted in :data:`UNREACHED` instead of the catalogue: the
generators never make them decisive in the ``ci`` profile, so the suite does not catch them (a
finding, not a fault to count). Others seen in the same code that the generators never reach at
all (``Numeric…IfExists`` and ``Date…IfExists`` false on a present key and ``IpAddressIfExists``
read as ``NotIpAddress`` in PMapper, a Date comparison that reads only its first value, IAMSpy's
``NotResource`` list ORed, a service-linked role recognised by its name) are listed in
docs/strategies.md, not planted.

Several faults here rewrite what ``model.policy._parse_statement`` returns for one policy kind
(:func:`_statement_fault`); the others wrap a function of the model, as the first catalogue's do.
"""

from __future__ import annotations

import dataclasses
import importlib
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import rolecall.model.conditions as conditions
import rolecall.model.match as match
import rolecall.model.policy as policy
from rolecall.model.arn import IamUser, RoleSession, ServicePrincipal

from .faults import Fault, Patch, condition_fault, context_fault, wrap

__all__ = ["CATALOGUE", "UNREACHED"]

decide = importlib.import_module("rolecall.model.decide")  # ``model.decide`` the attribute is the function

PMAPPER = "https://github.com/nccgroup/PMapper/blob/91d2e60102bdadf346d77b60d90ddaa4a678f037/principalmapper/"
MOTO = "https://github.com/getmoto/moto/blob/0af643a5dbfc98797f08ee64f5be3ef8002d56ff/moto/iam/"
CARTOGRAPHY = (
    "https://github.com/cartography-cncf/cartography/blob/2b68f0250ce10635bc2c475f0a840a3b4359854c/cartography/"
)
IAMSPY = "https://github.com/WithSecureLabs/IAMSpy/blob/f1efc9685a66796ee7b388d4247331a175b11cd9/iamspy/"

Kind = policy.PolicyKind
Statement = policy.Statement


# ------------------------------------------------------------------------------------------- helpers


def _statement_fault(
    change: Callable[[dict[str, Any], Any, Statement], Statement],
) -> Callable[[], list[Patch]]:
    """A fault in how a statement is read: ``change(raw statement, policy kind, parsed)`` is what the
    model gets from ``model.policy._parse_statement`` instead of the parsed statement."""

    def patches() -> list[Patch]:
        def make(orig: Callable[..., Statement]) -> Callable[..., Statement]:
            return lambda st, kind, variables, where: change(st, kind, orig(st, kind, variables, where))

        return wrap(policy, "_parse_statement", make)

    return patches


def _reparsed(st: Statement, **changes: Any) -> Statement:
    """``st`` with ``changes``, its caches and compiled Resource test rebuilt."""
    return dataclasses.replace(st, **changes, _action_cache={})


def _absent(ctx: Any, key: str) -> bool:
    return ctx.get(key) in (None, ())


# --------------------------------------------------------------------------------------- conditions


def _negated_needs_key(cond: conditions.Condition, test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """IAMSpy: a negated operator (no IfExists, no set qualifier) also requires its key to exist."""
    if not conditions.OPERATORS[cond.operator][1] or cond.if_exists or cond.qualifier:
        return test
    return lambda ctx: not _absent(ctx, cond.key) and test(ctx)


_CASE_SENSITIVE = {"StringEqualsIgnoreCase": "StringEquals", "StringNotEqualsIgnoreCase": "StringNotEquals"}


def _ignore_case_policy_side_only() -> list[Patch]:
    """IAMSpy: ``…IgnoreCase`` lower-cases the policy values only; the request value is compared as sent."""

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def value_test(family: str, op: str, v: str, **kw: Any) -> Any:
            if op in _CASE_SENSITIVE:
                return orig(family, _CASE_SENSITIVE[op], v.lower(), **kw)
            return orig(family, op, v, **kw)

        return value_test

    return wrap(conditions, "_value_test", make)


def _json_booleans(raw: dict[str, Any]) -> set[tuple[bool, str]]:
    """(IfExists, lower-cased key) of the ``Bool`` tests whose values are all JSON booleans."""
    block = raw.get("Condition")
    found: set[tuple[bool, str]] = set()
    if not isinstance(block, dict):
        return found
    for op, keys in block.items():
        if isinstance(op, str) and op.removesuffix("IfExists") == "Bool" and isinstance(keys, dict):
            for key, value in keys.items():
                values = value if isinstance(value, list) else [value]
                if values and all(isinstance(v, bool) for v in values):
                    found.add((op.endswith("IfExists"), str(key).lower()))
    return found


def _never_true(cond: conditions.Condition) -> conditions.Condition:
    """``cond`` with no policy value that can match: false on a present key, ``IfExists`` on an absent one."""
    out = dataclasses.replace(cond)
    object.__setattr__(out, "_test", lambda ctx: cond.if_exists if _absent(ctx, cond.key) else False)
    return out


def _bool_json_never_matches(raw: dict[str, Any], kind: Any, st: Statement) -> Statement:
    """PMapper: a ``Bool`` value written as a JSON boolean (``true``, not ``"true"``) is never equal to
    the strings ``'true'`` / ``'false'`` it is compared with."""
    booleans = _json_booleans(raw)
    if not booleans:
        return st
    changed = tuple(
        _never_true(c) if c.operator == "Bool" and c.qualifier is None and (c.if_exists, c.key) in booleans else c
        for c in st.conditions
    )
    return _reparsed(st, conditions=changed)


# --------------------------------------------------------------------------------------- statements


def _trust_only_string_equals(raw: dict[str, Any], kind: Any, st: Statement) -> Statement:
    """moto: in a trust policy only ``StringEquals`` is evaluated; a test with any other operator holds."""
    if kind is not Kind.TRUST or not st.conditions:
        return st
    return _reparsed(st, conditions=tuple(c for c in st.conditions if c.name == "StringEquals"))


def _identity_conditions_ignored(raw: dict[str, Any], kind: Any, st: Statement) -> Statement:
    """moto: identity policies are evaluated with no condition values, so every test holds."""
    if kind is not Kind.IDENTITY or not st.conditions:
        return st
    return _reparsed(st, conditions=())


def _trust_allow_action_not_read(raw: dict[str, Any], kind: Any, st: Statement) -> Statement:
    """cartography: a trust Allow's principals are trusted whatever its Action names."""
    if kind is not Kind.TRUST or st.effect != "Allow":
        return st
    return _reparsed(st, actions=("*",), not_actions=())


def _trust_allow_conditions_ignored(raw: dict[str, Any], kind: Any, st: Statement) -> Statement:
    """cartography: a trust Allow's principals are trusted whatever its Condition says."""
    if kind is not Kind.TRUST or st.effect != "Allow" or not st.conditions:
        return st
    return _reparsed(st, conditions=())


def _trust_deny_read_as_allow(raw: dict[str, Any], kind: Any, st: Statement) -> Statement:
    """cartography: a trust statement's principals are trusted whatever its Effect: a Deny grants."""
    if kind is not Kind.TRUST or st.effect != "Deny":
        return st
    return _reparsed(st, effect="Allow")


def _not_resource_never_applies(raw: dict[str, Any], kind: Any, st: Statement) -> Statement:
    """cartography: an identity statement with ``NotResource`` (no ``Resource``) matches no resource."""
    if kind is not Kind.IDENTITY or not st.not_resources:
        return st
    object.__setattr__(st, "_resource_test", lambda arn, ctx: False)  # a fresh object of this parse
    return st


class _AwsStarAsAccount(policy.PrincipalSet):
    """A trust ``Principal`` of the object form ``{"AWS": "*"}``, matched as PMapper matches it: like
    the caller's account (the caller side must still allow), and never by a service."""

    __slots__ = ()

    def classes_for(self, caller: Any, key: str, wildcard_matches_services: bool) -> frozenset[str]:
        classes = policy.PrincipalSet.classes_for(self, caller, key, wildcard_matches_services)
        if "wildcard" not in classes:
            return classes
        rest = classes - {"wildcard"}
        return rest if isinstance(caller, ServicePrincipal) else rest | {"account"}


def _aws_star_as_account(raw: dict[str, Any], kind: Any, st: Statement) -> Statement:
    principal = raw.get("Principal")
    if kind is not Kind.TRUST or not isinstance(principal, dict) or st.principal is None:
        return st
    aws = principal.get("AWS")
    if "*" not in (aws if isinstance(aws, list) else [aws]):
        return st
    p = st.principal
    return _reparsed(st, principal=_AwsStarAsAccount(p.aws, p.service, p.federated))


# --------------------------------------------------------------------------------- matching, context


def _principal_keys_without(cls: str) -> Callable[[], list[Patch]]:
    """Principal matching in which a role session is never matched through the trust class ``cls``."""

    def patches() -> list[Patch]:
        def make(orig: Callable[[Any], dict[str, str]]) -> Callable[[Any], dict[str, str]]:
            def keys(caller: Any) -> dict[str, str]:
                out = orig(caller)
                return {k: v for k, v in out.items() if v != cls} if isinstance(caller, RoleSession) else out

            return keys

        return wrap(match, "principal_keys", make)

    return patches


def _user_arn_without_path() -> list[Patch]:
    """moto: a user is matched by ``user/NAME``, never by its ARN with its path."""

    def make(orig: Callable[[Any], dict[str, str]]) -> Callable[[Any], dict[str, str]]:
        def keys(caller: Any) -> dict[str, str]:
            out = orig(caller)
            if isinstance(caller, IamUser) and caller.path != "/":
                out = {k: v for k, v in out.items() if k != caller.arn}
            return out

        return keys

    return wrap(match, "principal_keys", make)


def _condition_variables_literal() -> list[Patch]:
    """PMapper: ``${…}`` in a Condition value is never substituted (Resource entries still are)."""

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        return lambda text, *, wildcards, variables, where: orig(
            text, wildcards=wildcards, variables=False, where=where
        )

    return wrap(conditions, "parse_template", make)


def _lowered(glob: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p if p in (match.STAR, match.QMARK) else p.lower() for p in glob)


def _arns_ignore_case() -> list[Patch]:
    """PMapper: Resource patterns and the ``Arn…`` operators are matched ignoring case."""

    def make(orig: Callable[..., bool]) -> Callable[..., bool]:
        return lambda glob, value: orig(_lowered(glob), value.lower())

    return [*wrap(policy, "arn_glob_matches", make), *wrap(conditions, "arn_glob_matches", make)]


def _without_qmarks(glob: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """``glob`` with each ``?`` kept or dropped, every combination."""
    slots = [(p,) if p != match.QMARK else (p, None) for p in glob]
    for choice in itertools.product(*slots):
        yield tuple(p for p in choice if p is not None)


def _qmark_zero_or_one() -> list[Patch]:
    """cartography: in Action and Resource patterns ``?`` matches zero or one character."""

    def make(orig: Callable[..., bool]) -> Callable[..., bool]:
        def matches(glob: tuple[str, ...], value: str, **kw: Any) -> bool:
            if match.QMARK not in glob:
                return orig(glob, value, **kw)
            return any(orig(g, value, **kw) for g in _without_qmarks(glob))

        return matches

    return [*wrap(policy, "string_glob_matches", make), *wrap(policy, "arn_glob_matches", make)]


def _trust_context_empty() -> list[Patch]:
    """PMapper: the trust policy's conditions are evaluated against an empty request context."""
    empty: dict[str, Any] = {}

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def hits(s: Any, label: str, policies: Any, effect: str, action: str, ctx: Any, **kw: Any) -> Any:
            return orig(s, label, policies, effect, action, empty if label == "trust" else ctx, **kw)

        return hits

    return wrap(decide, "_hits", make)


def _direct_grant_skips_caller_side() -> list[Patch]:
    """PMapper: a same-account trust grant naming the user or the role allows at once (no boundary,
    no session policy)."""
    return wrap(
        decide,
        "same_account",
        lambda orig: lambda s, classes, side: None if classes & {"user", "role"} else orig(s, classes, side),
    )


def _self_assumption_never() -> list[Patch]:
    """PMapper: a role is never checked against its own trust policy (no edge from a node to itself)."""

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def same_account(s: Any, classes: frozenset[str], side: Any) -> Any:
            p = s.caller.principal
            if isinstance(p, RoleSession) and p.role_arn == s.role.arn.arn:
                return "R8", Kind.TRUST
            return orig(s, classes, side)

        return same_account

    return wrap(decide, "same_account", make)


def _mfa_assumed_available() -> list[Patch]:
    """PMapper: a user refused without MFA is tried again as if MFA had been used, and allowed if that passes."""

    def make(orig: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def authorize(s: Any) -> Any:
            result = orig(s)
            p, r = s.caller.principal, s.request
            if result is None or not isinstance(p, IamUser) or s.caller.mfa or r.serial_number or r.token_code:
                return result
            with_mfa = dataclasses.replace(
                r, serial_number=f"arn:{p.partition}:iam::{p.account}:mfa/{p.name}", token_code="123456"
            )
            return orig(dataclasses.replace(s, request=with_mfa))

        return authorize

    return wrap(decide, "authorize", make)


def _userid_without_session(s: Any, ctx: dict[str, Any]) -> None:
    p = s.caller.principal
    if isinstance(p, RoleSession):
        ctx["aws:userid"] = p.unique_id


def _principal_type_absent(s: Any, ctx: dict[str, Any]) -> None:
    ctx.pop("aws:principaltype", None)
    ctx.pop("aws:principalisawsservice", None)


# ------------------------------------------------------------------------------------------- the catalogue

CATALOGUE: tuple[Fault, ...] = (
    # --- PMapper
    Fault(
        "pmapper-trust-context-empty",
        "the trust policy's conditions are evaluated against an empty request context",
        "R8 (R4: the trust policy sees the request context)",
        _trust_context_empty,
        PMAPPER + "graphing/sts_edges.py#L68-L76",
        evidence="generate_edges_locally passes {} as the condition keys of resource_policy_authorization, "
        "which tests the trust policy without inferring a single key (moto's trust check, which fills in "
        "only sts:ExternalId, moto/iam/utils.py#L67-L75, is nearly the same)",
    ),
    Fault(
        "pmapper-direct-grant-skips-caller-side",
        "within one account a trust policy naming the user or the role allows without boundary or session policy",
        "R10b (and R10a's boundary)",
        _direct_grant_skips_caller_side,
        PMAPPER + "querying/query_interface.py#L366-L371",
        evidence="on NODE_MATCH in the same account it returns True ('skip further evaluation') before the "
        "permissions boundary and session policy checks below it; sts_edges.py#L117-L125 adds the edge on "
        "NODE_MATCH whatever the caller's side said",
    ),
    Fault(
        "pmapper-aws-star-is-account",
        '{"AWS": "*"} in a trust policy is an account grant: within one account the caller needs an identity Allow',
        'R10d (§4.3: {"AWS": "*"} is the wildcard)',
        _statement_fault(_aws_star_as_account),
        PMAPPER + "querying/local_policy_simulation.py#L762-L779",
        evidence='only a bare string Principal \'*\' is a NODE_MATCH; {"AWS": "*"} is compared with the '
        "caller's ARN, fails, and the statement falls to ROOT_MATCH, which needs the identity policy",
    ),
    Fault(
        "pmapper-session-principal-unmatched",
        "a trust entry naming an assumed-role session ARN never matches that session",
        "R8 (§4.3: the session class)",
        _principal_keys_without("session"),
        PMAPPER + "querying/local_policy_simulation.py#L785-L801",
        evidence="_principal_matches_in_statement compares each entry with the node's ARN (a role's, never "
        "a session's), its unique id, its account, its :root ARN and '*'",
    ),
    Fault(
        "pmapper-arns-case-insensitive",
        "Resource patterns and the Arn* condition operators match ARNs ignoring case",
        "§4.6 (ARNs are case sensitive)",
        _arns_ignore_case,
        PMAPPER + "querying/local_policy_simulation.py#L891-L905",
        evidence="_compose_pattern compiles every pattern with re.IGNORECASE, and _matches_after_expansion "
        "uses it for Resource entries (L90-L100) and ArnEquals/ArnLike values (L631, L639) as for actions",
    ),
    Fault(
        "pmapper-userid-without-session",
        "aws:userid of a role session is the role's id, without :session-name",
        "R4 (GKEYS: aws:userid is ROLEID:session)",
        context_fault(_userid_without_session),
        PMAPPER + "querying/query_interface.py#L171-L172",
        evidence="_infer_condition_keys sets aws:userid to principal.id_value, the role's AROA… id "
        "(cross_account_edges.py#L42 does the same)",
    ),
    Fault(
        "pmapper-principaltype-absent",
        "aws:PrincipalType (and aws:PrincipalIsAWSService) are absent from the request context",
        "R4 (GKEYS)",
        context_fault(_principal_type_absent),
        PMAPPER + "querying/query_interface.py#L148-L192",
        evidence="_infer_condition_keys infers aws:CurrentTime, aws:EpochTime, aws:userid, aws:username, "
        "aws:SecureTransport, aws:PrincipalAccount, aws:PrincipalArn and aws:PrincipalTag/*, never "
        "aws:PrincipalType or aws:PrincipalIsAWSService",
    ),
    Fault(
        "pmapper-self-assumption-never",
        "a role session may never assume its own role, even when the trust policy names the role",
        "R12 (an explicit self-trust allows)",
        _self_assumption_never,
        PMAPPER + "graphing/sts_edges.py#L59-L62",
        evidence="generate_edges_locally skips 'self-access checks' (node_source == node_destination), so a "
        "role is never tested against its own trust policy",
    ),
    Fault(
        "pmapper-condition-variables-literal",
        "policy variables in Condition values are never substituted (in Resource entries they are)",
        "§4.5 (VARS)",
        _condition_variables_literal,
        PMAPPER + "querying/local_policy_simulation.py#L619-L640",
        evidence="_get_arn_match calls _matches_after_expansion(context_value, value) without the context, and "
        "_get_str_match (L372-L411) compares the values as written, so ${aws:username} in a Condition stays "
        "literal; only Resource entries (L92) get the context",
    ),
    # --- moto
    Fault(
        "moto-role-arn-misses-sessions",
        "a trust entry naming a role does not match that role's sessions (only their session ARN does)",
        "R8 (§4.3: a role ARN matches every session of the role)",
        _principal_keys_without("role"),
        MOTO + "access_control.py#L535-L545",
        evidence="_check_principal compares the caller, whose arn is its assumed-role session ARN (L176, L298), "
        "with each AWS entry by equality or substring, so arn:aws:iam::A:role/R never matches",
    ),
    Fault(
        "moto-trust-only-stringequals",
        "in a trust policy only StringEquals is evaluated: a test with any other operator holds",
        "§4.5 (CONDOPS)",
        _statement_fault(_trust_only_string_equals),
        MOTO + "policy_conditions.py#L35-L46",
        evidence="verify_condition returns True when 'the evaluation operation is not supported', and "
        "CONDITION_OPERATIONS (L14) supports StringEquals alone: every other operator, IfExists and set "
        "forms included, holds",
    ),
    Fault(
        "moto-identity-conditions-ignored",
        "the conditions of identity policies always hold",
        "R9/R10 (§4.5)",
        _statement_fault(_identity_conditions_ignored),
        MOTO + "access_control.py#L263-L277",
        evidence="check_action_permitted calls is_action_permitted(action, resource) with no condition values, "
        "and _check_conditions (L547-L569) then tests nothing: verify_condition of an empty list is True",
    ),
    Fault(
        "moto-user-arn-without-path",
        "a trust entry naming a user with a path (user/team/alice) does not match that user",
        "R8 (§4.3: a user is named by its ARN with its path)",
        _user_arn_without_path,
        MOTO + "access_control.py#L105-L109",
        evidence="IAMUserAccessKey.arn is built as arn:…:user/{name} without the user's path, and "
        "_check_principal (L535-L545) compares that string with the trust policy's entries",
    ),
    # --- cartography
    Fault(
        "cartography-qmark-zero-or-one",
        "? in an Action or Resource pattern matches zero or one character",
        "§4.4 (? is exactly one character)",
        _qmark_zero_or_one,
        CARTOGRAPHY + "intel/aws/permission_relationships.py#L410-L413",
        evidence="compile_regex turns ? into the regex .? (zero or one character) for every Action and Resource clause",
    ),
    Fault(
        "cartography-trust-action-not-read",
        "a trust Allow naming the caller grants whatever its Action lists",
        "R8 (the Allow must cover the action)",
        _statement_fault(_trust_allow_action_not_read),
        CARTOGRAPHY + "intel/aws/iam.py#L576-L615",
        evidence="transform_role_trust_policies reads only the Principal of each trust statement: a role "
        "'trusts' every principal named, whatever the statement's Action",
    ),
    Fault(
        "cartography-trust-conditions-ignored",
        "a trust Allow's Condition block is ignored",
        "R8 (§4.5: the Allow's conditions must hold)",
        _statement_fault(_trust_allow_conditions_ignored),
        CARTOGRAPHY + "intel/aws/iam.py#L575-L579",
        evidence="'# TODO support conditions': the trust statement's principals are trusted before and "
        "without any look at its Condition",
    ),
    Fault(
        "cartography-trust-deny-read-as-allow",
        "a trust Deny statement grants like an Allow (its principals are trusted)",
        "R5/R8 (Effect: Deny never grants)",
        _statement_fault(_trust_deny_read_as_allow),
        CARTOGRAPHY + "intel/aws/iam.py#L576-L615",
        evidence="transform_role_trust_policies never reads a trust statement's Effect: the principals of a "
        "Deny statement are added to the role's trusted principals like those of an Allow",
    ),
    Fault(
        "cartography-notresource-never-applies",
        "an identity-policy statement with NotResource applies to no resource",
        "§4.4 (NotResource: every resource but the ones listed)",
        _statement_fault(_not_resource_never_applies),
        CARTOGRAPHY + "intel/aws/permission_relationships.py#L110-L117",
        evidence="evaluate_resource_for_permission returns False for a statement without a 'resource' key, and "
        "statement_applies_to_permission (L148-L153) requires it, so NotResource Allows and Denies never apply",
    ),
    # --- IAMSpy
    Fault(
        "iamspy-negated-absent-false",
        "a negated operator (StringNotEquals, NotIpAddress, ArnNotLike, …) is false on an absent key",
        "§4.5 (COND: a negated operator holds on a missing key)",
        condition_fault(_negated_needs_key),
        IAMSPY + "conditions.py#L21-L52",
        evidence="the if_exists decorator ANDs every operator without IfExists with '<key>_exists', the "
        "negated ones included: string_not_equals is Not(string_equals) AND exists",
    ),
    Fault(
        "iamspy-ignorecase-policy-side-only",
        "StringEqualsIgnoreCase / StringNotEqualsIgnoreCase lower-case the policy values but not the request value",
        "§4.5 (…IgnoreCase folds both sides)",
        _ignore_case_policy_side_only,
        IAMSPY + "conditions.py#L55-L63",
        evidence="string_equals_ignore_case calls string_equals with [x.lower() for x in values]; the request "
        "value is compared as it is, so 'User' never equals 'user'",
    ),
    Fault(
        "iamspy-set-qualifiers-skipped",
        "ForAllValues: and ForAnyValue: conditions are skipped (they hold)",
        "§4.5 (MULTI: ForAnyValue is false on an absent key)",
        condition_fault(lambda cond, test: (lambda ctx: True) if cond.qualifier else test),
        IAMSPY + "parse.py#L63-L69",
        evidence="_parse_condition logs 'Multi key/value operator detected … skipping condition' for any "
        "operator with a ':' and leaves it out of the statement's conjunction",
    ),
)

#: Real mistakes, shown in the evaluators' code like the faults above, that the generators never make
#: decisive in the ``ci`` profile: planted, the suite does not catch them (docs/strategies.md). They stay
#: out of the detection run; ``tests/quality/test_faults.py`` shows each changes a decision AWS can make.
UNREACHED: tuple[Fault, ...] = (
    Fault(
        "pmapper-bool-json-boolean",
        'a Bool condition whose value is a JSON boolean (true, not "true") never matches a present key',
        "§4.5 (Bool)",
        _statement_fault(_bool_json_never_matches),
        PMAPPER + "querying/local_policy_simulation.py#L492-L497",
        evidence="_get_bool_match compares the policy value as parsed from JSON with the strings 'true' and "
        "'false', so a JSON true or false equals neither",
    ),
    Fault(
        "pmapper-mfa-assumed-available",
        "a user refused without MFA is allowed when MFA would have let the call through",
        "R4 (aws:MultiFactorAuthPresent is absent for long-term keys without MFA)",
        _mfa_assumed_available,
        PMAPPER + "querying/query_interface.py#L208-L219",
        evidence="local_check_authorization_handling_mfa retries a refused user with aws:MultiFactorAuthPresent "
        "'true' and returns authorized, 'requires MFA', and sts_edges.py#L105-L116 adds the edge",
    ),
)
