"""The one place where wildcard, action, ARN and principal matching live.

* Actions (SPEC.md §4.4, AWS ACTION page): ``service:Name``, case-insensitive in
  both parts, with ``*`` (any run) and ``?`` (exactly one character).
* ARNs (Resource elements and the ``Arn*`` condition operators, SPEC.md §4.5,
  AWS RES page): matched *field by field*: the partition, service, region and
  account fields are matched separately, so ``?`` or a ``*`` inside a field
  never crosses a colon; a ``*`` that ends a field may run on past the colon
  ("If the * wildcard is the last character of a resource ARN segment, it can
  expand to match beyond the colon boundaries", RES); the resource field is
  everything after the fifth colon. Case-sensitive.
* Strings (``StringLike``): ``*`` and ``?`` anywhere, case-sensitive.
* Principals (SPEC.md §4.3): exact, never substring, never wildcard except the
  lone ``*``; see :func:`principal_entry_matches`.

Patterns are sequences of *glob parts*: literal text, :data:`STAR` or
:data:`QMARK`. Policy variables and the ``${*}`` escapes are resolved into
literal parts by :mod:`model.conditions` before a pattern reaches this module,
so an escaped ``*`` can never become a wildcard. Compiled patterns are cached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

from .arn import FederatedUser, IamUser, RoleSession, Root, ServicePrincipal, is_account_id

__all__ = [
    "QMARK",
    "STAR",
    "Glob",
    "arn_glob_matches",
    "glob_parts",
    "has_wildcard",
    "principal_entry_matches",
    "string_glob_matches",
]


class _Wild(str):
    """A wildcard glob part. A ``str`` subclass so that globs hash and sort, distinct from literals."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "STAR" if self == "\x00*" else "QMARK"


STAR: Final = _Wild("\x00*")
QMARK: Final = _Wild("\x00?")

#: A pattern: literal strings interleaved with STAR / QMARK.
Glob = tuple[str, ...]


def has_wildcard(text: str) -> bool:
    """True if a policy string carries ``*`` or ``?``."""
    return "*" in text or "?" in text


@lru_cache(maxsize=65536)
def glob_parts(pattern: str) -> Glob:
    """Split a plain pattern (no policy variables) into glob parts."""
    parts: list[str] = []
    literal = ""
    for ch in pattern:
        if ch == "*" or ch == "?":
            if literal:
                parts.append(literal)
                literal = ""
            parts.append(STAR if ch == "*" else QMARK)
        else:
            literal += ch
    if literal:
        parts.append(literal)
    return tuple(parts)


@lru_cache(maxsize=65536)
def _string_regex(glob: Glob, ignore_case: bool) -> re.Pattern[str]:
    out = []
    for part in glob:
        if part is STAR or part == STAR:
            out.append(".*")
        elif part is QMARK or part == QMARK:
            out.append(".")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def string_glob_matches(glob: Glob, value: str, *, ignore_case: bool = False) -> bool:
    """``StringLike`` and action matching: ``*`` any run, ``?`` one character."""
    if len(glob) == 1 and not isinstance(glob[0], _Wild):
        literal = glob[0]
        return literal.lower() == value.lower() if ignore_case else literal == value
    return _string_regex(glob, ignore_case).fullmatch(value) is not None


@lru_cache(maxsize=65536)
def _arn_regex(glob: Glob) -> re.Pattern[str]:
    # Flatten to characters (literal) and wildcards, tracking which ARN field we are in.
    items: list[str] = []
    for part in glob:
        if isinstance(part, _Wild):
            items.append(part)
        else:
            items.extend(part)
    out = []
    field = 0
    for i, item in enumerate(items):
        if item is STAR or item == STAR:
            if field >= 5:
                out.append(".*")
            else:
                ends_field = i + 1 == len(items) or items[i + 1] == ":"
                out.append(".*" if ends_field else "[^:]*")
        elif item is QMARK or item == QMARK:
            out.append("." if field >= 5 else "[^:]")
        else:
            if item == ":":
                field += 1
            out.append(re.escape(item))
    return re.compile("".join(out), re.DOTALL)


def arn_glob_matches(glob: Glob, value: str) -> bool:
    """Resource / ``ArnLike`` matching, field by field (see the module docstring).

    A value that is not ARN-shaped (``arn:`` and five colons) never matches an
    ARN pattern; this is why "some cases match with String operators but not
    ARN operators" (CONDOPS).
    """
    if value.count(":") < 5 or not value.startswith("arn:"):
        return False
    if len(glob) == 1 and not isinstance(glob[0], _Wild):
        return glob[0] == value
    return _arn_regex(glob).fullmatch(value) is not None


def action_matches(patterns: Iterable[Glob], action_lower: str) -> bool:
    """Whether any (lower-cased) action pattern covers the lower-cased action."""
    return any(string_glob_matches(p, action_lower) for p in patterns)


def principal_entry_matches(entry: str, caller: IamUser | RoleSession | Root | FederatedUser) -> str | None:
    """Match one canonical ``AWS`` principal entry against an AWS caller.

    Returns the trust class of the match (SPEC.md R8) or ``None``:

    * ``"wildcard"``: the entry is ``*``;
    * ``"account"``: ``arn:P:iam::A:root`` and the caller belongs to account A
      (delegation to the account, not "the root user", PRINC);
    * ``"user"``: the caller's exact IAM user ARN, or its ``AIDA…`` unique id;
    * ``"role"``: the exact ARN of the caller's role *with its path*, or the
      role's ``AROA…`` id; any session of the role matches;
    * ``"session"``: the exact ``assumed-role/ROLE/SESSION`` ARN;
    * ``"federated"``: the exact federated-user ARN.

    Matching is exact and case-sensitive (PRINC: the user-name part is case
    sensitive); never a substring, never a wildcard other than the lone ``*``.
    """
    if entry == "*":
        return "wildcard"
    if entry == caller.unique_id and not isinstance(caller, (Root, FederatedUser)):
        return "role" if isinstance(caller, RoleSession) else "user"
    if entry.endswith(":root"):
        return "account" if entry == f"arn:{caller.partition}:iam::{caller.account}:root" else None
    if isinstance(caller, IamUser):
        return "user" if entry == caller.arn else None
    if isinstance(caller, RoleSession):
        if entry == caller.role_arn:
            return "role"
        return "session" if entry == caller.arn else None
    if isinstance(caller, FederatedUser):
        return "federated" if entry == caller.arn else None
    return None


def service_entry_matches(entry: str, caller: ServicePrincipal) -> bool:
    """A ``Service`` principal entry names exactly the calling service (R11)."""
    return entry == caller.name


__all__ += ["action_matches", "service_entry_matches", "is_account_id"]
