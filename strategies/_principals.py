"""Accounts and principals (private; see :mod:`rolecall.strategies`).

Every strategy here generates plain strings in AWS's spelling. Pools come
first (three example accounts, short readable names, names that nearly
collide: another case, a prefix, a suffix, regex metacharacters), so a failure
shrinks to account ``111111111111`` and the first name of a pool.
"""

from __future__ import annotations

from hypothesis import strategies as st

from ._world import ACCOUNTS, ROLE_NAMES, SERVICES, SESSION_NAMES, TARGET_NAMES, USER_NAMES, near_names

_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-"


def _names(pool: tuple[str, ...], min_size: int = 1) -> st.SearchStrategy[str]:
    near = sorted({n for name in pool for n in near_names(name) if len(n) >= min_size} - set(pool))
    return st.one_of(st.sampled_from(pool), st.sampled_from(near), st.text(_NAME_CHARS, min_size=min_size, max_size=16))


_PATHS = st.one_of(st.just("/"), st.sampled_from(["/team/", "/a/b/", "/svc/"]))


def account_ids(*, pool_only: bool = False) -> st.SearchStrategy[str]:
    """Twelve-digit AWS account ids.

    Mostly the example accounts ``111111111111``, ``222222222222`` and
    ``333333333333`` (so that principals and roles drawn separately often share
    an account), otherwise any twelve digits (leading zeros included); with
    ``pool_only`` only the examples. Shrinks towards ``111111111111``.
    """
    pool = st.sampled_from(ACCOUNTS)
    if pool_only:
        return pool
    return st.one_of(pool, st.integers(0, 10**12 - 1).map(lambda n: f"{n:012d}"))


def users(account: str | None = None) -> st.SearchStrategy[str]:
    """IAM user ARNs ``arn:aws:iam::ACCOUNT:user/PATH/NAME`` in ``account`` (any when None).

    Names from a pool of near collisions (``alice``, ``Alice``, ``alic``,
    ``alice2``, ``a.b``, ``dev+ops``…) or any valid IAM name; paths ``/`` or
    nested. Shrinks towards ``arn:aws:iam::111111111111:user/alice``.
    """
    accounts = st.just(account) if account is not None else account_ids()
    return st.builds(lambda a, p, n: f"arn:aws:iam::{a}:user{p}{n}", accounts, _PATHS, _names(USER_NAMES))


def roles(account: str | None = None) -> st.SearchStrategy[str]:
    """IAM role ARNs ``arn:aws:iam::ACCOUNT:role/PATH/NAME`` (a target or a caller's role).

    Names include ``R.x`` / ``Rax`` / ``R+1`` (regex metacharacters and the
    names a naive regex would confuse with them). Shrinks towards
    ``arn:aws:iam::111111111111:role/R``.
    """
    accounts = st.just(account) if account is not None else account_ids()
    return st.builds(
        lambda a, p, n: f"arn:aws:iam::{a}:role{p}{n}", accounts, _PATHS, _names(TARGET_NAMES + ROLE_NAMES)
    )


def role_sessions(account: str | None = None) -> st.SearchStrategy[str]:
    """Role-session ARNs ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`` (no path: session
    ARNs carry none). Shrinks towards ``arn:aws:sts::111111111111:assumed-role/R/s1``."""
    accounts = st.just(account) if account is not None else account_ids()
    sessions = st.one_of(st.sampled_from(SESSION_NAMES), st.text(_NAME_CHARS, min_size=2, max_size=16))
    return st.builds(
        lambda a, r, s: f"arn:aws:sts::{a}:assumed-role/{r}/{s}", accounts, _names(TARGET_NAMES + ROLE_NAMES), sessions
    )


def service_principals() -> st.SearchStrategy[str]:
    """Service principal names (``ec2.amazonaws.com``, ``lambda.amazonaws.com``, …, then any
    ``NAME.amazonaws.com``).
    Shrinks towards ``ec2.amazonaws.com``."""
    pool = st.sampled_from([*SERVICES, "ecs-tasks.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com"])
    made = st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12).map(lambda n: n + ".amazonaws.com")
    return st.one_of(pool, made)


def roots(account: str | None = None) -> st.SearchStrategy[str]:
    """Account root ARNs ``arn:aws:iam::ACCOUNT:root`` (callers refused by R1).
    Shrinks towards ``arn:aws:iam::111111111111:root``."""
    accounts = st.just(account) if account is not None else account_ids()
    return accounts.map(lambda a: f"arn:aws:iam::{a}:root")


def federated_users(account: str | None = None) -> st.SearchStrategy[str]:
    """GetFederationToken session ARNs ``arn:aws:sts::ACCOUNT:federated-user/NAME`` (refused by R1).
    Shrinks towards ``arn:aws:sts::111111111111:federated-user/alice``."""
    accounts = st.just(account) if account is not None else account_ids()
    return st.builds(lambda a, n: f"arn:aws:sts::{a}:federated-user/{n}", accounts, _names(USER_NAMES, 2))


def arns(account: str | None = None) -> st.SearchStrategy[str]:
    """Any principal ARN a caller can have: a user, a role session, a root or a federated user
    (role ARNs are :func:`roles`). Shrinks towards a user ARN."""
    return st.one_of(users(account), role_sessions(account), roots(account), federated_users(account))
