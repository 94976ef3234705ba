"""A catalogue of faults, each a single switchable defect planted in the reference model.

Mutation testing for the conformance suite: each :class:`Fault` is one way a real
AssumeRole implementation goes wrong (docs/emulators.md's findings in moto 5.2.5 and
LocalStack, and the mistakes open-source IAM evaluators make), written as the
smallest change to the model that has that effect, and naming the docs/semantics.md rule it
breaks. :func:`planted` switches one on for the duration of a ``with`` block;
:class:`tests.quality.faulty.FaultyTarget` decides scenarios with one switched on,
so the conformance suite, comparing that target with the untouched model, must
find a scenario on which they differ.

A fault is a list of patches of module (or class) attributes of ``model``. The
model looks its helpers up by name at call time (``decide`` calls
``cross_account``, ``_hits``, …), so replacing the name is enough; nothing in
``model`` knows about faults. Everything the model compiles or caches while a
fault is planted (the per-world compile caches of ``model.scenario._WORLDS``,
the ``lru_cache`` s of matching and validation) is kept apart from the reference
model's: :func:`planted` swaps in the fault's own world cache and clears the
pure-function caches on the way in and out, so a planted fault can never leak
into the reference decision it is compared with.

Two entries are *equivalent* mutants (``equivalent`` says why): they change the
code but provably no decision. They are run as controls (the suite must report
nothing against them: a divergence there would be a bug in the suite) and are
excluded from the detection rate, never dropped.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import rolecall.model.conditions as conditions
import rolecall.model.federation as federation
import rolecall.model.match as match
import rolecall.model.policy as policy
import rolecall.model.scenario as scenario
from rolecall.model.arn import IamUser, RoleSession, Root, ServicePrincipal, is_account_id

__all__ = [
    "CATALOGUE",
    "Fault",
    "Patch",
    "by_name",
    "catalogue_of",
    "condition_fault",
    "condition_family",
    "context_fault",
    "every_fault",
    "parse_fault",
    "planted",
    "wrap",
]

decide = importlib.import_module("rolecall.model.decide")  # ``model.decide`` the attribute is the function

Patch = tuple[Any, str, Any]
"""(module or class, attribute name, replacement)"""


@dataclass(frozen=True)
class Fault:
    """One planted defect: its name, one line of description, the rule it breaks, its patches."""

    name: str
    description: str
    rule: str
    """The docs/semantics.md rule (or section) the fault breaks."""
    patches: Callable[[], list[Patch]]
    """Builds the patches (called when the fault is planted, so it wraps the current originals)."""
    source: str = ""
    """Where this mistake is seen in the wild (docs/emulators.md class, an evaluator), if anywhere."""
    equivalent: str | None = None
    """Why this mutant cannot change any decision (then it is a control, not counted)."""
    evidence: str = ""
    """What the line ``source`` links to does wrong, in one sentence (the second catalogue's faults,
    :mod:`tests.quality.evaluators`, each reproduce a mistake shown in a real evaluator's code)."""


# ------------------------------------------------------------------------------------------- planting

_CACHED = (match.glob_parts, match.compiled_glob, decide.violations, decide.valid_session_name)


def _clear_caches() -> None:
    for fn in _CACHED:
        fn.cache_clear()


@contextmanager
def planted(fault: Fault, worlds: OrderedDict[str, dict[Any, Any]] | None = None) -> Iterator[None]:
    """Plant ``fault`` in the model for the duration of the block (not thread-safe; nor is the model's cache).

    ``worlds`` is the fault's own per-world compile cache (kept by the caller across calls for
    speed); without it a fresh one is used.
    """
    saved_worlds = scenario._WORLDS
    scenario._WORLDS = worlds if worlds is not None else OrderedDict()
    undo: list[tuple[Any, str, Any, bool]] = []
    _clear_caches()
    try:
        for owner, name, replacement in fault.patches():
            raw = vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name)
            undo.append((owner, name, raw, isinstance(owner, type)))
            setattr(owner, name, replacement)
        yield
    finally:
        for owner, name, raw, _ in reversed(undo):
            setattr(owner, name, raw)
        scenario._WORLDS = saved_worlds
        _clear_caches()


# ------------------------------------------------------------------------------------------- helpers


def wrap(owner: Any, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> list[Patch]:
    """A patch replacing ``owner.name`` with ``make(original)``."""
    return [(owner, name, make(getattr(owner, name)))]


def condition_fault(
    change: Callable[[conditions.Condition, Callable[[Any], bool]], Callable[[Any], bool]],
) -> Callable[[], list[Patch]]:
    """A fault in how one condition is evaluated: wraps the compiled test of every condition parsed."""

    def patches() -> list[Patch]:
        return wrap(conditions, "_compile", lambda orig: lambda cond, where: change(cond, orig(cond, where)))

    return patches


def condition_family(cond: conditions.Condition) -> str:
    """The operator family of a condition (``string``, ``numeric``, ``date``, ``ip``, …)."""
    return conditions.OPERATORS[cond.operator][0]


def _hits_fault(skip: Callable[[str, str], bool]) -> Callable[[], list[Patch]]:
    """A fault in statement matching: statements of the policies labelled ``label`` with ``effect``
    for which ``skip(label, effect)`` holds never apply (see ``model.decide._hits``)."""

    def patches() -> list[Patch]:
        def make(orig: Callable[..., Any]) -> Callable[..., Any]:
            def hits(s: Any, label: str, policies: Any, effect: str, action: str, ctx: Any, **kw: Any) -> Any:
                return [] if skip(label, effect) else orig(s, label, policies, effect, action, ctx, **kw)

            return hits

        return wrap(decide, "_hits", make)

    return patches


def _principal_fault(extra: Callable[[tuple[str, ...], Any], Iterable[str]]) -> Callable[[], list[Patch]]:
    """A fault in principal matching: ``extra(aws_entries, caller)`` are trust classes matched on top
    of the real ones (``model.match.principal_classes``, as ``model.policy`` calls it)."""

    def patches() -> list[Patch]:
        def make(orig: Callable[..., frozenset[str]]) -> Callable[..., frozenset[str]]:
            def classes(aws: Iterable[str], service: Iterable[str], caller: Any, wms: bool) -> frozenset[str]:
                aws = tuple(aws)
                real = orig(aws, service, caller, wms)
                if isinstance(caller, ServicePrincipal):
                    return real
                return real | frozenset(extra(aws, caller))

            return classes

        return wrap(policy, "principal_classes", make)

    return patches


def _substring(aws: tuple[str, ...], caller: Any) -> Iterable[str]:
    keys = match.principal_keys(caller)
    return {cls for e in aws if e != "*" for k, cls in keys.items() if k != "*" and e in k}


def _case_blind(aws: tuple[str, ...], caller: Any) -> Iterable[str]:
    keys = {k.lower(): cls for k, cls in match.principal_keys(caller).items()}
    return {keys[e.lower()] for e in aws if e.lower() in keys}


_ROOT = re.compile(r"arn:[\w-]+:iam::\d{12}:root")


def _any_root(aws: tuple[str, ...], caller: Any) -> Iterable[str]:
    return {"account"} if any(_ROOT.fullmatch(e) for e in aws) else set()


def _root_not_delegation() -> list[Patch]:
    def make(orig: Callable[[Any], dict[str, str]]) -> Callable[[Any], dict[str, str]]:
        def keys(caller: Any) -> dict[str, str]:
            return {k: v for k, v in orig(caller).items() if v != "account" or isinstance(caller, Root)}

        return keys

    return wrap(match, "principal_keys", make)


def _bare_account_unsupported() -> list[Patch]:
    def make(orig: Callable[[str, str], str]) -> Callable[[str, str], str]:
        return lambda entry, where: entry if is_account_id(entry) else orig(entry, where)

    return wrap(policy, "_canonical_aws_principal", make)


def _non_matching_allow_vetoes() -> list[Patch]:
    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def hits(s: Any, label: str, policies: Any, effect: str, action: str, ctx: Any, **kw: Any) -> Any:
            found = orig(s, label, policies, effect, action, ctx, **kw)
            if label == "trust" and effect == "Allow":
                candidates = sum(len(p.statements_for("Allow", action.lower())) for p in policies)
                if len(found) < candidates:
                    return []
            return found

        return hits

    return wrap(decide, "_hits", make)


def _deny_unmet_condition() -> list[Patch]:
    def make(orig: Callable[..., bool]) -> Callable[..., bool]:
        def holds(hit: Any, s: Any, ctx: Any) -> bool:
            pi, si, st, classes = hit
            if st.effect == "Deny":  # judged as if it had no Condition: its Resource still counts
                hit = (pi, si, dataclasses.replace(st, conditions=()), classes)
            return bool(orig(hit, s, ctx))

        return holds

    return wrap(decide, "_holds", make)


def parse_fault(change: Callable[[dict[str, Any], Any], Any]) -> Callable[[], list[Patch]]:
    """A fault in how a statement is read: ``change(raw statement, parsed Statement)`` is what the model
    gets from ``model.policy._parse_statement`` instead of the parsed statement."""

    def patches() -> list[Patch]:
        def make(orig: Callable[..., Any]) -> Callable[..., Any]:
            return lambda st, kind, variables, where: change(st, orig(st, kind, variables, where))

        return wrap(policy, "_parse_statement", make)

    return patches


_AWS_SPELLING = {
    "sts:assumerole": "sts:AssumeRole",
    "sts:tagsession": "sts:TagSession",
    "sts:setsourceidentity": "sts:SetSourceIdentity",
}


def _raw_case_actions(raw: dict[str, Any], parsed: Any) -> Any:
    key = "Action" if "Action" in raw else "NotAction"
    written = raw[key] if isinstance(raw[key], list) else [raw[key]]
    field = "actions" if key == "Action" else "not_actions"
    return dataclasses.replace(parsed, **{field: tuple(sorted(set(written)))}, _action_cache={})


def _actions_case_sensitive() -> list[Patch]:
    def matches_action(self: Any, action_lower: str) -> bool:
        wanted = _AWS_SPELLING.get(action_lower, action_lower)
        hit = any(match.string_glob_matches(match.glob_parts(p), wanted) for p in self.actions or self.not_actions)
        return not hit if self.not_actions else hit

    return [*parse_fault(_raw_case_actions)(), (policy.Statement, "matches_action", matches_action)]


def _condition_keys_case_sensitive() -> list[Patch]:
    def make_condition(
        operator: str,
        key: str,
        values: Any,
        *,
        qualifier: str | None = None,
        if_exists: bool = False,
        variables: bool = True,
        where: str = "$",
    ) -> Any:
        cond = conditions.Condition(operator, key, tuple(sorted(set(values))), qualifier, if_exists, variables)
        object.__setattr__(cond, "_test", conditions._compile(cond, where))
        return cond

    return [(conditions, "make_condition", make_condition)]


def _qmark_literal() -> list[Patch]:
    def make(orig: Callable[..., list[tuple[str, str]]]) -> Callable[..., list[tuple[str, str]]]:
        def units(glob: Any, *, arn: bool) -> list[tuple[str, str]]:
            return orig(tuple("?" if p == match.QMARK else p for p in glob), arn=arn)

        return units

    return wrap(match, "glob_units", make)


class _RawRegex:
    """moto's matcher: ``*`` -> ``.*``, ``?`` -> ``.``, everything else pasted into the regex unescaped."""

    def __init__(self, glob: Any) -> None:
        text = "".join(".*" if p == match.STAR else "." if p == match.QMARK else p for p in glob)
        try:
            self.regex: re.Pattern[str] | None = re.compile(text, re.DOTALL)
        except re.error:
            self.regex = None  # moto: the statement never matches

    def matches(self, value: str) -> bool:
        return self.regex is not None and self.regex.fullmatch(value) is not None


def _raw_regex() -> list[Patch]:
    return [(match, "compiled_glob", lambda glob, arn, ignore_case: _RawRegex(glob))]


def _not_action_as_action(raw: dict[str, Any], parsed: Any) -> Any:
    if not parsed.not_actions:
        return parsed
    return dataclasses.replace(parsed, actions=parsed.not_actions, not_actions=(), _action_cache={})


def _not_resource_as_resource(raw: dict[str, Any], parsed: Any) -> Any:
    if not parsed.not_resources:
        return parsed
    return dataclasses.replace(
        parsed, resources=parsed.not_resources, not_resources=(), _action_cache={}, _resource_test=None
    )


def _variables_ignored() -> list[Patch]:
    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        return lambda text, *, wildcards, variables, where: orig(
            text, wildcards=wildcards, variables=False, where=where
        )

    return [*wrap(conditions, "parse_template", make), *wrap(policy, "parse_template", make)]


def _role_path_in_session_arn() -> list[Patch]:
    def make(orig: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def issue(s: Any) -> Any:
            r = orig(s)
            a = s.role.arn
            arn = f"arn:{a.partition}:sts::{a.account}:assumed-role{a.path}{a.name}/{s.request.role_session_name}"
            return r._replace(assumed_role=r.assumed_role._replace(arn=arn))

        return issue

    return wrap(decide, "issue_credentials", make)


def context_fault(change: Callable[[Any, dict[str, Any]], None]) -> Callable[[], list[Patch]]:
    """A fault in the request context of R4: ``change(scenario, context)`` edits the world part."""

    def patches() -> list[Patch]:
        def make(orig: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
            def world_context(s: Any) -> dict[str, Any]:
                ctx = orig(s)
                change(s, ctx)  # idempotent: the dict is cached per world
                return ctx

            return world_context

        return wrap(decide, "_world_context", make)

    return patches


def _principal_arn_is_session(s: Any, ctx: dict[str, Any]) -> None:
    p = s.caller.principal
    if isinstance(p, RoleSession):
        ctx["aws:principalarn"] = p.arn


def _mfa_false_for_long_term(s: Any, ctx: dict[str, Any]) -> None:
    if isinstance(s.caller.principal, IamUser) and "aws:multifactorauthpresent" not in ctx:
        ctx["aws:multifactorauthpresent"] = "false"


def _post_auth_fault(skip: str, relax: Callable[[Any], Any]) -> Callable[[], list[Patch]]:
    """A check of R13 left out: when the check whose message starts with ``skip`` fails, the
    remaining checks run on ``relax(scenario)``, a scenario that passes that one check."""

    def patches() -> list[Patch]:
        def make(orig: Callable[[Any], Any]) -> Callable[[Any], Any]:
            def checks(s: Any) -> Any:
                r = orig(s)
                if r is not None and (r.message or "").startswith(skip):
                    return orig(relax(s))
                return r

            return checks

        return wrap(decide, "post_authorization_checks", make)

    return patches


def _required_actions_without(action: str) -> Callable[[], list[Patch]]:
    def patches() -> list[Patch]:
        return wrap(decide, "required_actions", lambda orig: lambda s: tuple(a for a in orig(s) if a != action))

    return patches


def _scp_on_management() -> list[Patch]:
    def make(orig: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def chain(s: Any) -> Any:
            org, p = s.organization, s.caller.principal
            if org is not None and not isinstance(p, ServicePrincipal) and p.account == org.management_account:
                return org.scps.get(p.account, ())
            return orig(s)

        return chain

    return wrap(decide, "_scp_chain", make)


def _caller_side_fault(**ignored: None) -> Callable[[], list[Patch]]:
    """A caller-side policy kind that never binds (``_CallerSide`` reads it as absent)."""

    def patches() -> list[Patch]:
        orig = decide._CallerSide.of
        return [
            (
                decide._CallerSide,
                "of",
                classmethod(lambda cls, s, action, ctx: orig(s, action, ctx)._replace(**ignored)),
            )
        ]

    return patches


def _root_caller_allowed() -> list[Patch]:
    return wrap(
        decide, "caller_may_assume", lambda orig: lambda s: None if isinstance(s.caller.principal, Root) else orig(s)
    )


def _missing_role_no_such_entity() -> list[Patch]:
    def make(orig: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def exists(s: Any) -> Any:
            r = orig(s)
            if r is not None and not s.role.exists:
                return decide.Result(
                    "error",
                    "R2",
                    error_code="NoSuchEntity",
                    message=f"The role with name {s.role.arn.name} cannot be found.",
                )
            return r

        return exists

    return wrap(decide, "role_exists", make)


def _session_name_unvalidated() -> list[Patch]:
    return [
        *wrap(
            decide,
            "violations",
            lambda orig: (
                lambda constraint, value, field: (
                    () if constraint == "roleSessionName" else orig(constraint, value, field)
                )
            ),
        ),
        (decide, "valid_session_name", lambda name: True),
    ]


def _duration_range_unchecked() -> list[Patch]:
    def make(orig: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def validate(s: Any) -> Any:
            d = s.request.duration_seconds
            if d is not None and not 900 <= d <= 43200:
                s = dataclasses.replace(s, request=dataclasses.replace(s.request, duration_seconds=3600))
            return orig(s)

        return validate

    return wrap(decide, "validate_request", make)


def _value_test_as(operators: dict[str, str]) -> Callable[[], list[Patch]]:
    """A condition operator implemented as another one (``_value_test`` of model.conditions)."""

    def patches() -> list[Patch]:
        return wrap(
            conditions,
            "_value_test",
            lambda orig: lambda family, op, v, **kw: orig(family, operators.get(op, op), v, **kw),
        )

    return patches


def _service_wildcard_always() -> list[Patch]:
    return wrap(
        policy, "principal_classes", lambda orig: lambda aws, service, caller, wms: orig(aws, service, caller, True)
    )


def _memo_disabled() -> list[Patch]:
    return [(decide, "_MEMO_SIZE", 0)]


def _world_cache_disabled() -> list[Patch]:
    return [(scenario, "_world_cache", lambda value: {})]


# ------------------------------------------------------------------------------------------- the catalogue


def _no_trust() -> list[Patch]:
    account = frozenset({"account"})
    return [
        *wrap(decide, "cross_account", lambda orig: lambda classes, side: orig(account, side)),
        *wrap(decide, "same_account", lambda orig: lambda s, classes, side: orig(s, account, side)),
        *wrap(decide, "service_principal", lambda orig: lambda classes: orig(frozenset({"service"}))),
    ]


def _identity_ignored_cross_account() -> list[Patch]:
    return wrap(decide, "cross_account", lambda orig: lambda classes, side: orig(classes, side._replace(identity=True)))


def _same_account_needs_identity() -> list[Patch]:
    cross = decide.cross_account
    return [(decide, "same_account", lambda s, classes, side: cross(classes, side))]


# ------------------------------------------------------------------------- the federated doors (F0-F12)


def _sub_condition_fault(
    operator: str, change: Callable[[conditions.Condition], Callable[[Any], bool]]
) -> Callable[[], list[Patch]]:
    """A fault in how ``operator`` is evaluated on a provider's ``…:sub`` key (every other test unchanged)."""
    return condition_fault(
        lambda cond, test: change(cond) if cond.operator == operator and cond.key.endswith(":sub") else test
    )


def _sub_prefix(cond: conditions.Condition) -> Callable[[Any], bool]:
    """StringEquals on sub read as "starts with" (a prefix test: repo:acme/app admits repo:acme/app2)."""

    def test(ctx: Any) -> bool:
        raw = ctx.get(cond.key)
        values = raw if isinstance(raw, tuple) else () if raw is None else (raw,)
        return bool(values) and all(any(v.startswith(p) for p in cond.values) for v in values)

    return test


def _sub_equals(cond: conditions.Condition) -> Callable[[Any], bool]:
    """StringLike on sub compared as plain text (wildcards never expand)."""

    def test(ctx: Any) -> bool:
        raw = ctx.get(cond.key)
        values = raw if isinstance(raw, tuple) else () if raw is None else (raw,)
        return bool(values) and all(v in cond.values for v in values)

    return test


def _token_check_skips(*messages: str) -> Callable[[], list[Patch]]:
    """F3 answers nothing where it would refuse with one of these messages (the check is missing)."""

    def patches() -> list[Patch]:
        def make(orig: Callable[[Any], Any]) -> Callable[[Any], Any]:
            def check(s: Any) -> Any:
                r = orig(s)
                return None if r is not None and any(m in (r.message or "") for m in messages) else r

            return check

        return wrap(federation, "check_token", make)

    return patches


def _provider_in_any_account() -> list[Patch]:
    """F3: the token's issuer is looked up among the OIDC providers of every account, not the role's."""

    def find(s: Any) -> Any:
        fc = s.federated_caller
        if fc.provider_kind != "oidc":
            return None
        iss = fc.claims.get("iss", "https://" + (fc.provider or ""))
        own = s.identity_providers.get(s.role.arn.account)
        for entry in ([own] if own else []) + [e for a, e in s.identity_providers.items() if a != s.role.arn.account]:
            for p in entry.oidc:
                if p.url == iss:
                    return dataclasses.replace(p, arn=p.arn.replace(f"::{p.account}:", f"::{s.role.arn.account}:"))
        return None

    return [(federation, "_oidc_provider", find)]


def _federated_principal_any_account() -> list[Patch]:
    """F10: a Federated provider ARN matches whatever account it names."""

    def make(orig: Callable[..., bool]) -> Callable[..., bool]:
        def matches(st: Any, s: Any, kind: Any) -> bool:
            if orig(st, s, kind):
                return True
            if st.principal is None:
                return False
            registered = federation._oidc_provider(s)
            arn = s.request.principal_arn if s.api == "AssumeRoleWithSAML" else registered.arn if registered else ""
            anywhere = re.sub(r"::\d{12}:", "::*:", arn or "")
            return bool(arn) and anywhere in [re.sub(r"::\d{12}:", "::*:", e) for e in st.principal.federated]

        return matches

    return wrap(federation, "_principal_matches", make)


def _federated_actions_without(action: str) -> Callable[[], list[Patch]]:
    def patches() -> list[Patch]:
        return wrap(federation, "federated_actions", lambda orig: lambda s: tuple(a for a in orig(s) if a != action))

    return patches


def _federated_denies_without(kind: str) -> Callable[[], list[Patch]]:
    """F7: matching Denies of one policy kind are ignored at the federated doors."""

    def patches() -> list[Patch]:
        def make(orig: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
            return lambda s, action, ctx: [r for r in orig(s, action, ctx) if r.policy != kind]

        return wrap(federation, "_explicit_denies", make)

    return patches


def _federated_post_check_skips(message: str) -> Callable[[], list[Patch]]:
    def patches() -> list[Patch]:
        def make(orig: Callable[[Any], Any]) -> Callable[[Any], Any]:
            def check(s: Any) -> Any:
                r = orig(s)
                return None if r is not None and message in (r.message or "") else r

            return check

        return wrap(federation, "federated_post_checks", make)

    return patches


def _cognito_pool_account_ignored() -> list[Patch]:
    """F10: the pool's account is never compared with the role's."""
    return [(federation, "_cross_account_cognito", lambda s: False)]


def _idp_controls_not_enforced() -> list[Patch]:
    """F0: the identity-provider controls are not applied when the trust policy is stored."""

    def make(orig: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def storable(s: Any) -> Any:
            r = orig(s)
            return None if r is not None and "identity-provider controls" in (r.message or "") else r

        return storable

    return wrap(federation, "trust_storable", make)


def _primary_action_only_in_trust() -> list[Patch]:
    """F10: any trust Allow naming the provider grants, whatever its Action (the action is not read)."""

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def grants(s: Any, action: str, ctx: Any) -> Any:
            r = orig(s, action, ctx)
            if r is None or s.role.trust_policy is None:
                return r
            for st in s.role.trust_policy.statements:
                trusted = st.effect == "Allow" and federation._principal_matches(st, s, policy.PolicyKind.TRUST)
                if trusted and st.conditions_hold(ctx):
                    return None
            return r

        return grants

    return wrap(federation, "trust_grants", make)


CATALOGUE: tuple[Fault, ...] = (
    # --- the two sides (R8-R12)
    Fault(
        "trust-ignored",
        "the trust policy is never consulted for grants: any caller the identity side allows may assume the role",
        "R8",
        _no_trust,
        "docs/emulators.md: moto never evaluates trust across accounts",
    ),
    Fault(
        "identity-ignored-cross-account",
        "across accounts a trust grant suffices; the caller's identity policy is not required",
        "R9",
        _identity_ignored_cross_account,
        "LocalStack (docs/emulators.md)",
    ),
    Fault(
        "same-account-needs-identity",
        "within one account both sides are required even for direct grants (user, role or session ARN, *)",
        "R10",
        _same_account_needs_identity,
        "docs/emulators.md: moto requires an identity policy for same-account direct grants",
    ),
    Fault(
        "boundary-ignored",
        "the caller's permissions boundary never limits the grant",
        "R9/R10",
        _caller_side_fault(boundary=None),
    ),
    Fault(
        "session-policy-ignored",
        "the caller's session policy never limits the grant",
        "R9/R10",
        _caller_side_fault(session=None),
    ),
    Fault("root-caller-allowed", "the account root user may assume roles", "R1", _root_caller_allowed),
    Fault(
        "missing-role-nosuchentity",
        "a role that does not exist is NoSuchEntity instead of AccessDenied",
        "R2",
        _missing_role_no_such_entity,
        "moto answers NoSuchEntity from its IAM backend",
    ),
    # --- principals (R8, docs/semantics.md §4.3)
    Fault(
        "root-not-delegation",
        "an account's :root ARN names only the root user, not every principal of the account",
        "R8 (PRINC)",
        _root_not_delegation,
        "docs/emulators.md: moto, account principals",
    ),
    Fault(
        "root-is-every-account",
        "any account's :root ARN matches callers of every account",
        "R8",
        _principal_fault(_any_root),
    ),
    Fault(
        "bare-account-unsupported",
        "a bare 12-digit account id in Principal is not read as that account",
        "R8 (§4.3)",
        _bare_account_unsupported,
    ),
    Fault(
        "principal-substring",
        "an AWS principal entry matches any caller name that contains it",
        "R8",
        _principal_fault(_substring),
        "docs/emulators.md: moto, substring principal matching",
    ),
    Fault(
        "principal-case-insensitive",
        "principal ARNs compared ignoring case",
        "R8 (PRINC: names are case sensitive)",
        _principal_fault(_case_blind),
    ),
    Fault(
        "non-matching-allow-vetoes",
        "a trust Allow statement that does not match the request vetoes the ones that do",
        "R8 (statements are ORed)",
        _non_matching_allow_vetoes,
    ),
    Fault(
        "service-wildcard-always",
        "Principal * covers service principals whatever the wildcard_matches_services option says",
        "R11 (§5.3)",
        _service_wildcard_always,
    ),
    # --- explicit deny (R5), one fault per policy kind
    Fault(
        "deny-ignored-trust",
        "a matching Deny in the trust policy is ignored",
        "R5",
        _hits_fault(lambda label, effect: effect == "Deny" and label == "trust"),
        "docs/emulators.md: moto, a matching trust Deny allows",
    ),
    Fault(
        "deny-ignored-identity",
        "a matching Deny in an identity policy is ignored",
        "R5",
        _hits_fault(lambda label, effect: effect == "Deny" and label == "IDENTITY"),
    ),
    Fault(
        "deny-ignored-boundary",
        "a matching Deny in the permissions boundary is ignored",
        "R5",
        _hits_fault(lambda label, effect: effect == "Deny" and label == "BOUNDARY"),
    ),
    Fault(
        "deny-ignored-session-policy",
        "a matching Deny in the caller's session policy is ignored",
        "R5",
        _hits_fault(lambda label, effect: effect == "Deny" and label == "SESSION"),
    ),
    Fault(
        "deny-ignored-scp",
        "a matching Deny in a service control policy is ignored",
        "R5/R7",
        _hits_fault(lambda label, effect: effect == "Deny" and label.startswith("scp")),
    ),
    Fault(
        "rcps-ignored",
        "resource control policies are never evaluated",
        "R5/R6",
        _hits_fault(lambda label, effect: label.startswith("rcp")),
    ),
    Fault(
        "deny-unmet-condition-denies",
        "a Deny statement denies even when its Condition does not hold",
        "R5 (COND)",
        _deny_unmet_condition,
    ),
    # --- organizations (R7)
    Fault(
        "scp-applies-to-management",
        "SCPs also bind the management account's principals",
        "R7 (ORG-SCP)",
        _scp_on_management,
    ),
    Fault(
        "scp-allow-not-required",
        "an SCP level without an Allow does not deny (only SCP Denies bite)",
        "R7",
        lambda: [(decide, "scp_gate", lambda s, action, ctx: None)],
    ),
    # --- conditions (docs/semantics.md §4.5)
    Fault(
        "unimplemented-operators-pass",
        "Numeric, Date and IpAddress operators are not implemented and always hold",
        "§4.5 (CONDOPS)",
        condition_fault(
            lambda cond, test: (lambda ctx: True) if condition_family(cond) in ("numeric", "date", "ip") else test
        ),
        "docs/emulators.md: moto, unimplemented operators pass",
    ),
    Fault(
        "missing-key-passes",
        "a condition on a key absent from the request holds",
        "§4.5 (COND)",
        condition_fault(
            lambda cond, test: (
                test if condition_family(cond) == "null" else (lambda ctx: ctx.get(cond.key) is None or test(ctx))
            )
        ),
    ),
    Fault(
        "ifexists-inverted",
        "...IfExists on an absent key fails instead of holding",
        "§4.5 (COND)",
        condition_fault(
            lambda cond, test: test if not cond.if_exists else (lambda ctx: ctx.get(cond.key) is not None and test(ctx))
        ),
    ),
    Fault(
        "forallvalues-absent-false",
        "ForAllValues: on an absent key fails instead of holding",
        "§4.5 (COND multi-valued)",
        condition_fault(
            lambda cond, test: (
                test
                if cond.qualifier != "ForAllValues"
                else (lambda ctx: ctx.get(cond.key) not in (None, ()) and test(ctx))
            )
        ),
    ),
    Fault(
        "condition-keys-case-sensitive",
        "condition key names are compared case-sensitively",
        "R4 (COND: key names are case-insensitive)",
        _condition_keys_case_sensitive,
    ),
    Fault(
        "stringequals-ignores-case",
        "StringEquals and StringNotEquals compare ignoring case",
        "§4.5",
        _value_test_as({"StringEquals": "StringEqualsIgnoreCase", "StringNotEquals": "StringNotEqualsIgnoreCase"}),
    ),
    Fault(
        "stringlike-without-wildcards",
        "StringLike and StringNotLike compare literally (no * or ?)",
        "§4.5",
        _value_test_as({"StringLike": "StringEquals", "StringNotLike": "StringNotEquals"}),
    ),
    Fault(
        "policy-variables-ignored",
        "${...} policy variables are read as literal text",
        "§4.5 (VARS)",
        _variables_ignored,
    ),
    Fault(
        "principalarn-is-session-arn",
        "aws:PrincipalArn of a role session is the session ARN, not the role ARN",
        "R4 (GKEYS)",
        context_fault(_principal_arn_is_session),
    ),
    Fault(
        "mfa-false-for-long-term-keys",
        'aws:MultiFactorAuthPresent is "false" (not absent) for long-term keys without MFA',
        "R4 (GKEYS)",
        context_fault(_mfa_false_for_long_term),
    ),
    # --- actions and wildcards (docs/semantics.md §4.4)
    Fault(
        "actions-case-sensitive",
        "action names are compared case-sensitively",
        "§4.4 (actions are case-insensitive)",
        _actions_case_sensitive,
        "docs/emulators.md: moto, case-sensitive actions",
    ),
    Fault(
        "qmark-unsupported", "? in a pattern is a literal question mark, not any one character", "§4.4", _qmark_literal
    ),
    Fault(
        "wildcards-as-raw-regex",
        "patterns are pasted into a regex: . + ( [ are metacharacters",
        "§4.4",
        _raw_regex,
        "docs/emulators.md: moto, raw-regex wildcards",
    ),
    Fault("notaction-as-action", "NotAction is read as Action", "§4.4", parse_fault(_not_action_as_action)),
    Fault("notresource-as-resource", "NotResource is read as Resource", "§4.4", parse_fault(_not_resource_as_resource)),
    # --- the request (R0, R3, R13) and the response (R14)
    Fault(
        "tagsession-not-required",
        "passing session tags does not require sts:TagSession",
        "R3 (TAGS)",
        _required_actions_without(decide.TAG),
        "docs/emulators.md: moto, session tags without TagSession",
    ),
    Fault(
        "setsourceidentity-not-required",
        "passing a SourceIdentity does not require sts:SetSourceIdentity",
        "R3 (SRCID)",
        _required_actions_without(decide.SOURCE_IDENTITY),
    ),
    Fault(
        "session-name-unvalidated",
        "RoleSessionName is not validated (length, characters)",
        "R0",
        _session_name_unvalidated,
        "docs/emulators.md: moto, session names not validated",
    ),
    Fault(
        "duration-range-unchecked",
        "DurationSeconds outside 900-43200 is accepted",
        "R0",
        _duration_range_unchecked,
        "docs/emulators.md: moto, durations not validated",
    ),
    Fault(
        "max-session-duration-unchecked",
        "DurationSeconds above the role's MaxSessionDuration is accepted",
        "R13",
        _post_auth_fault(
            "The requested DurationSeconds exceeds the MaxSessionDuration",
            lambda s: dataclasses.replace(s, role=dataclasses.replace(s.role, max_session_duration=43200)),
        ),
    ),
    Fault(
        "chaining-cap-unchecked",
        "role chaining may ask for sessions longer than one hour",
        "R13 (TERMS)",
        _post_auth_fault(
            "The requested DurationSeconds exceeds the 1 hour",
            lambda s: dataclasses.replace(s, request=dataclasses.replace(s.request, duration_seconds=3600)),
        ),
    ),
    Fault(
        "role-path-in-session-arn",
        "the assumed-role ARN keeps the role's path",
        "R14 (TF-19957)",
        _role_path_in_session_arn,
    ),
    # --- the federated doors (docs/federation.md F0-F12)
    Fault(
        "federated-sub-prefix-match",
        "StringEquals on a provider's sub claim matches any value that starts with the pinned one",
        "F10 (CONDOPS)",
        _sub_condition_fault("StringEquals", _sub_prefix),
        "a known CI-trust mistake: repo:acme/app admits repo:acme/app-fork",
    ),
    Fault(
        "federated-stringlike-sub-as-equals",
        "StringLike on a provider's sub claim is compared as plain text (its wildcards never expand)",
        "F10 (CONDOPS)",
        _sub_condition_fault("StringLike", _sub_equals),
    ),
    Fault(
        "federated-aud-not-checked",
        "a token's aud is never checked against the OIDC provider's client IDs",
        "F3 (OIDC-CREATE)",
        _token_check_skips("Incorrect token audience", "Missing a required claim: aud"),
    ),
    Fault(
        "federated-provider-any-account",
        "the token's issuer is resolved through an OIDC provider of any account, not only the role's",
        "F3 (CAC-721, MOZ-127)",
        _provider_in_any_account,
    ),
    Fault(
        "federated-principal-any-account",
        "a Federated provider ARN of another account matches the role account's provider",
        "F10",
        _federated_principal_any_account,
    ),
    Fault(
        "federated-token-status-ignored",
        "expired or invalid tokens and assertions are accepted",
        "F3 (SMITHY-STS)",
        _token_check_skips(
            "expired", "could not be validated", "Response signature invalid", "redeemed", "Invalid SAML response"
        ),
    ),
    Fault(
        "federated-roles-claim-ignored",
        "a token's roles claim (https://aws.amazon.com/roles) is not read: a token for another role is accepted",
        "F3 (STEELE-ROLES)",
        _token_check_skips("roles claim"),
    ),
    Fault(
        "federated-saml-role-attribute-ignored",
        "the SAML Role attribute is not read: an assertion that names another role is accepted",
        "F3 (SAML-ASSERT)",
        _token_check_skips("The Role attribute of the SAML response"),
    ),
    Fault(
        "federated-cognito-pool-account-ignored",
        "a Cognito pool of another account is trusted like the role account's own (aud and amr need not be tested)",
        "F10 (SMITHY-STS RoleArn, COG-BP)",
        _cognito_pool_account_ignored,
    ),
    Fault(
        "federated-idp-controls-not-enforced",
        "a trust policy lacking the claim test IAM's provider controls require is stored (GitHub sub, Cognito aud)",
        "F0 (IDP-CONTROLS)",
        _idp_controls_not_enforced,
    ),
    Fault(
        "federated-tagsession-not-required",
        "session tags in a token or assertion do not require sts:TagSession in the trust policy",
        "F5 (TAGS)",
        _federated_actions_without(decide.TAG),
    ),
    Fault(
        "federated-trust-deny-ignored",
        "a matching Deny in the trust policy is ignored at the federated doors",
        "F7",
        _federated_denies_without("role trust policy"),
    ),
    Fault(
        "federated-rcp-ignored",
        "resource control policies are not applied to federated calls",
        "F7/F8 (VPC-FED, DP-RCP)",
        _federated_denies_without("resource control policy"),
    ),
    Fault(
        "federated-action-not-read",
        "a trust Allow naming the provider grants whatever its Action (sts:AssumeRole opens the federated doors)",
        "F10 (AA-CHECKS: mismatched action)",
        _primary_action_only_in_trust,
    ),
    Fault(
        "federated-max-session-duration-unchecked",
        "a federated call may ask for more than the role's MaxSessionDuration",
        "F11",
        _federated_post_check_skips("MaxSessionDuration"),
    ),
    # --- equivalent mutants: controls, not counted
    Fault(
        "memo-disabled",
        "authorization is recomputed for every request (no memo)",
        "-",
        _memo_disabled,
        equivalent="the memo of model.decide.authorize is keyed on every input the outcome depends on "
        "(the world, the required actions, each context key read and its value), so dropping it "
        "changes speed only",
    ),
    Fault(
        "world-cache-disabled",
        "nothing compiled from a scenario's world is shared with the next scenario of the same world",
        "-",
        _world_cache_disabled,
        equivalent="the cache is keyed on the whole world JSON (caller, role, organization, semantics, "
        "nonexistent principals, disabled Regions), and what it holds is a function of the world alone",
    ),
)


def every_fault() -> tuple[Fault, ...]:
    """Both catalogues, in the order the detection run takes them: this module's planted defects, then the
    real evaluators' mistakes of :mod:`tests.quality.evaluators` (imported at call time, since that module
    builds its faults with this one's helpers)."""
    from .evaluators import CATALOGUE as EVALUATORS

    return CATALOGUE + EVALUATORS


def catalogue_of(fault: Fault) -> str:
    """``"planted"`` for a fault of this module's catalogue, ``"evaluators"`` for one of the second."""
    return "planted" if any(f.name == fault.name for f in CATALOGUE) else "evaluators"


def by_name(name: str) -> Fault:
    """The fault called ``name``, in either catalogue (KeyError naming the known ones otherwise)."""
    faults = every_fault()
    for f in faults:
        if f.name == name:
            return f
    raise KeyError(f"no fault {name!r}; known: {', '.join(f.name for f in faults)}")
