"""Actions, conditions, policy documents and requests (private; see :mod:`rolecall.strategies`).

Each policy strategy is *about* a caller and a target role: pass their ARNs to
aim at a world you built, or leave them out and one is drawn. Documents are
plain JSON dicts in AWS's policy grammar, accepted by
:func:`rolecall.model.parse_policy` for their kind and decidable by the model.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ._statements import STATEMENT_MAKERS, policy
from ._world import (
    ACCOUNTS,
    ASSUME_ACTIONS,
    OTHER_ACTIONS,
    Doc,
    World,
    chance,
    condition_block,
    conditions_pool,
    draw_request,
    draw_world,
    false_condition,
    pick,
    true_conditions,
    world_of,
)


def actions() -> st.SearchStrategy[Any]:
    """``Action`` values: ``sts:AssumeRole`` in several spellings (case changed, ``sts:*``,
    ``sts:Assume*``, ``sts:AssumeRol?``, ``*``), lists with ``sts:TagSession`` /
    ``sts:SetSourceIdentity``, and near misses (``sts:AssumeRole?``, ``sts:Assume?Role``,
    ``sts:AssumeRole*x``, other services), any spelling of letters and wildcards of ``sts``
    / ``s3`` / ``iam`` actions, and lists of these. Shrinks towards ``"sts:AssumeRole"``."""
    pool = st.sampled_from(ASSUME_ACTIONS + OTHER_ACTIONS)
    spelled = st.builds(
        lambda svc, name: f"{svc}:{name}",
        st.sampled_from(["sts", "STS", "s3", "iam"]),
        st.text("AaSsuUmeRrolE*?", min_size=1, max_size=12),
    )
    single = st.sampled_from([a for a in ASSUME_ACTIONS + OTHER_ACTIONS if isinstance(a, str)])
    return st.one_of(pool, spelled, st.lists(st.one_of(single, spelled), min_size=1, max_size=3))


def _world(draw: st.DrawFn, caller: str | None, role: str | None) -> World:
    if caller is None and role is None:
        return draw_world(draw, None, ("user", "role-session", "session-token", "service"))
    role = role or f"arn:aws:iam::{ACCOUNTS[1]}:role/R"
    c: Doc = (
        {"service": caller}
        if caller is not None and ":" not in caller
        else {"arn": caller or f"arn:aws:iam::{ACCOUNTS[0]}:user/alice"}
    )
    doc = {
        "caller": c,
        "role": {
            "arn": role,
            "trust_policy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]},
        },
        "request": {"role_session_name": "s1"},
    }
    return world_of(doc)


@st.composite
def conditions(
    draw: st.DrawFn, caller: str | None = None, role: str | None = None, holds: bool | None = None
) -> dict[str, Any]:
    """``Condition`` blocks of one or two tests the model can always decide (single-valued
    keys, or multi-valued keys under ``ForAnyValue:``/``ForAllValues:``; typed values).

    Keys: ``sts:ExternalId``, ``sts:RoleSessionName``, ``aws:PrincipalTag/team``,
    ``aws:PrincipalAccount``, ``aws:PrincipalArn``, ``aws:PrincipalOrgID``,
    ``aws:SourceIp``, ``aws:MultiFactorAuthPresent``, ``aws:CurrentTime``,
    ``aws:RequestedRegion``, ``aws:TagKeys``. With ``holds=True`` only tests that
    hold in a request with no external id, session name ``s1``, no tags;
    ``holds=False`` adds one that fails there by a near miss. Shrinks towards one test.
    """
    w = _world(draw, caller, role)
    if holds is None:
        return condition_block(draw, conditions_pool(w), 1 + chance(draw, 30))
    block = condition_block(draw, true_conditions(w), 1 + chance(draw, 30))
    if holds is False:
        op, key, value = false_condition(draw, w)
        block[op] = {**{k: v for k, v in block.get(op, {}).items() if k.lower() != key.lower()}, key: value}
    return block


def _policy_strategy(kind: str, caller: str | None, role: str | None, max_statements: int) -> st.SearchStrategy[Doc]:
    @st.composite
    def build(draw: st.DrawFn) -> Doc:
        w = _world(draw, caller, role)
        return policy(
            draw, lambda d: STATEMENT_MAKERS[kind](d, w), max_size=max_statements, organizations=kind in ("scp", "rcp")
        )

    return build()


def trust_policies(
    caller: str | None = None, role: str | None = None, *, max_statements: int = 3
) -> st.SearchStrategy[Doc]:
    """Role trust policies built around ``caller`` (an ARN or a service name; drawn when None):
    principals naming it directly, through its account, through ``*``, or nearly (a prefix,
    a suffix or another case of its name, the same name in another account, the role path
    dropped or added, another session); Allows and Denies, sometimes with conditions.
    Shrinks towards one statement."""
    return _policy_strategy("trust", caller, role, max_statements)


def identity_policies(
    caller: str | None = None, role: str | None = None, *, max_statements: int = 3
) -> st.SearchStrategy[Doc]:
    """Identity (permissions) policies of ``caller`` about the target ``role``: ``Resource`` the
    role exactly, through wildcards (``*``, ``?``, ``role/*``), or nearly (another case, a
    prefix, a regex reading of ``R.x``, another path or account); Allows and Denies,
    sometimes ``NotAction`` / ``NotResource`` and conditions. Shrinks towards one statement."""
    return _policy_strategy("identity", caller, role, max_statements)


def permissions_boundaries(
    caller: str | None = None, role: str | None = None, *, max_statements: int = 2
) -> st.SearchStrategy[Doc]:
    """Permissions boundaries (the same grammar and pools as :func:`identity_policies`).
    Shrinks towards one statement."""
    return _policy_strategy("boundary", caller, role, max_statements)


def session_policies(
    caller: str | None = None, role: str | None = None, *, max_statements: int = 2
) -> st.SearchStrategy[Doc]:
    """Session policies of a role session (the same grammar and pools as
    :func:`identity_policies`). Shrinks towards one statement."""
    return _policy_strategy("session", caller, role, max_statements)


def scps(caller: str | None = None, *, max_statements: int = 2) -> st.SearchStrategy[Doc]:
    """Service control policies: ``Resource`` ``*``, Allows of ``*`` / ``sts:*`` /
    ``sts:AssumeRole`` / other services and Denies, Denies usually conditioned.
    Shrinks towards one statement."""
    return _policy_strategy("scp", caller, None, max_statements)


def rcps(caller: str | None = None, *, max_statements: int = 2) -> st.SearchStrategy[Doc]:
    """Custom resource control policies: Deny only (RCPFullAWSAccess is implied),
    ``"Principal": "*"``, ``Resource`` ``*``, usually conditioned. Shrinks towards one statement."""
    return _policy_strategy("rcp", caller, None, max_statements)


@st.composite
def requests(draw: st.DrawFn, caller: str | None = None) -> Doc:
    """The ``request`` object of a scenario, valid (passes R0): session name, and sometimes an
    external id, session tags (with transitive keys), a duration of at most one hour, a source
    identity, an MFA serial and token. Small tags only (far from the packed-size limit).
    Shrinks towards ``{"role_session_name": "s1"}``."""
    account = caller.split(":")[4] if caller and ":" in caller else ACCOUNTS[0]
    req = draw_request(
        draw,
        ["s1", "alice", "build-42", "a@b.c", "x=y,z"],
        ["xyz", "XYZ", "ext-123", "a.b+c", "arn:aws:x/y"],
        tags_percent=15,
        source_percent=10,
    )
    if chance(draw, 10):
        req["serial_number"] = f"arn:aws:iam::{account}:mfa/alice"
        req["token_code"] = pick(draw, ["123456", "000000"])
    if chance(draw, 10):
        req["region"] = pick(draw, ["us-east-1", "eu-west-1"])
    return req
