"""The one place where wildcard, action, ARN and principal matching live.

* Actions (docs/semantics.md §4.4, AWS ACTION page): ``service:Name``, case-insensitive in
  both parts, with ``*`` (any run) and ``?`` (exactly one character).
* ARNs (Resource elements and the ``Arn*`` condition operators, docs/semantics.md §4.5,
  AWS RES page): matched *field by field*: the partition, service, region and
  account fields are matched separately, so ``?`` or a ``*`` inside a field
  never crosses a colon; a ``*`` that ends a field may run on past the colon
  ("If the * wildcard is the last character of a resource ARN segment, it can
  expand to match beyond the colon boundaries", RES); the resource field is
  everything after the fifth colon. Case-sensitive.
* Strings (``StringLike``): ``*`` and ``?`` anywhere, case-sensitive.
* Principals (docs/semantics.md §4.3): exact, never substring, never wildcard except the
  lone ``*``; see :func:`principal_entry_matches`.

Patterns are sequences of *glob parts*: literal text, :data:`STAR` or
:data:`QMARK`. Policy variables and the ``${*}`` escapes are resolved into
literal parts by :mod:`rolecall.model.conditions` before a pattern reaches this module,
so an escaped ``*`` can never become a wildcard. Compiled patterns are cached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

from .arn import FederatedUser, IamUser, RoleSession, Root, ServicePrincipal

__all__ = [
    "QMARK",
    "STAR",
    "Glob",
    "arn_glob_matches",
    "caller_key",
    "compiled_glob",
    "glob_parts",
    "glob_units",
    "principal_classes",
    "principal_entry_matches",
    "principal_keys",
    "string_glob_matches",
    "unit_regex",
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


_WILDCARDS = re.compile(r"([*?])")


_WILD_PARTS: dict[str, str] = {"*": STAR, "?": QMARK}


@lru_cache(maxsize=65536)
def glob_parts(pattern: str) -> Glob:
    """Split a plain pattern (no policy variables) into glob parts."""
    if "*" not in pattern and "?" not in pattern:
        return (pattern,) if pattern else ()
    wild = _WILD_PARTS
    return tuple([wild.get(token, token) for token in _WILDCARDS.split(pattern) if token])


# A compiled glob is a list of units. Each unit is one of:
#   ("lit", c)  one literal character       ("any", ".") / ("any", "[^:]")  exactly one character
#   ("star", ".*")  any run                 ("star", "[^:]*")  any run without a colon
# Units are the semantics; the back ends of _Compiled run them.


def glob_units(glob: Glob, *, arn: bool) -> list[tuple[str, str]]:
    """Glob parts as units. For ARNs, wildcards in the partition, service, region and account
    fields never cross a colon, except a ``*`` that ends its field (RES); in the resource
    field (after the fifth colon) they match anything."""
    items: list[str] = []
    for part in glob:
        items.extend((part,) if isinstance(part, _Wild) else part)
    units = []
    field = 0
    for i, item in enumerate(items):
        local = arn and field < 5
        if item == STAR:
            ends_field = i + 1 == len(items) or items[i + 1] == ":"
            units.append(("star", "[^:]*" if local and not ends_field else ".*"))
        elif item == QMARK:
            units.append(("any", "[^:]" if local else "."))
        else:
            field += item == ":"
            units.append(("lit", item))
    return units


class _Compiled:
    """A glob compiled for matching in time linear in the value, whatever the pattern.

    Three exact back ends, none of which backtracks:

    * no star: the units have a fixed width; one regular expression of literals and
      single-character classes (no repetition, so no backtracking);
    * every star an unconstrained run: the classic greedy algorithm. The segments between
      stars have a fixed length; the first must match at the start, the last at the end,
      and each middle one is placed at its leftmost occurrence;
    * a colon-bounded star (a mid-field wildcard in the first five ARN fields): the units
      as a nondeterministic automaton run on bit sets (one bit per unit, Shift-And with
      star self-loops), one step per character of the value.

    A backtracking regular expression for the whole ARN took seconds on
    ``role/*a*a*a*a*a*a*a*a*a*a*c`` against a 32-character name and minutes at 64
    (``tests/benchmarks/bench_match.py`` prints both).
    """

    __slots__ = ("first", "last", "last_len", "middle", "nfa", "whole")

    def __init__(self, units: list[tuple[str, str]], flags: int) -> None:
        self.nfa: _BitAutomaton | None = None
        self.whole: re.Pattern[str] | None = None
        self.middle: list[re.Pattern[str]] = []
        if any(kind == "star" and text != ".*" for kind, text in units):
            self.nfa = _BitAutomaton(units, ignore_case=bool(flags & re.IGNORECASE))
            return
        segments: list[list[tuple[str, str]]] = [[]]
        for unit in units:
            if unit[0] == "star":
                segments.append([])
            else:
                segments[-1].append(unit)
        compiled = [re.compile("".join(unit_regex(u) for u in seg), flags) for seg in segments]
        if len(segments) == 1:
            self.whole = compiled[0]
            return
        self.first, self.last, self.middle = compiled[0], compiled[-1], compiled[1:-1]
        self.last_len = len(segments[-1])

    def matches(self, value: str) -> bool:
        if self.nfa is not None:
            return self.nfa.matches(value)
        if self.whole is not None:
            return self.whole.fullmatch(value) is not None
        head = self.first.match(value)
        if head is None:
            return False
        end = len(value) - self.last_len
        pos = head.end()
        if end < pos:
            return False
        for seg in self.middle:
            m = seg.search(value, pos, end)
            if m is None:
                return False
            pos = m.end()
        return self.last.fullmatch(value, end) is not None


class _BitAutomaton:
    """The units as an automaton whose state set is one integer: bit ``j`` set means the first
    ``j`` units have matched the characters read so far. A character advances every state whose
    unit takes it (a literal equal to it, any character, a character other than ``:``) and
    keeps every state whose unit is a star that takes it; a star may also match nothing (the
    closure). Time: one step per character, a few integer operations each."""

    __slots__ = ("accept", "any_all", "any_local", "ignore_case", "literal", "star_all", "star_local", "stars")

    def __init__(self, units: list[tuple[str, str]], *, ignore_case: bool) -> None:
        self.ignore_case = ignore_case
        self.literal: dict[str, int] = {}
        self.any_all = self.any_local = self.star_all = self.star_local = 0
        for j, (kind, text) in enumerate(units):
            bit = 1 << j
            if kind == "lit":
                ch = text.lower() if ignore_case else text
                self.literal[ch] = self.literal.get(ch, 0) | bit
            elif kind == "any":
                if text == ".":
                    self.any_all |= bit
                else:
                    self.any_local |= bit
            elif text == ".*":
                self.star_all |= bit
            else:
                self.star_local |= bit
        self.stars = self.star_all | self.star_local
        self.accept = 1 << len(units)

    def _closure(self, states: int) -> int:
        while True:  # a star matches nothing: state j also stands for j + 1 (chains of stars too)
            more = states | ((states & self.stars) << 1)
            if more == states:
                return states
            states = more

    def matches(self, value: str) -> bool:
        states = self._closure(1)
        literal, any_all, star_all = self.literal, self.any_all, self.star_all
        any_local, star_local = self.any_local, self.star_local
        for ch in value:
            if self.ignore_case and len(low := ch.lower()) == 1:  # as the literals were folded
                ch = low
            step = literal.get(ch, 0) | any_all
            stay = star_all
            if ch != ":":
                step |= any_local
                stay |= star_local
            states = ((states & step) << 1) | (states & stay)
            if not states:
                return False
            states = self._closure(states)
        return bool(states & self.accept)


def unit_regex(unit: tuple[str, str]) -> str:
    """One unit as a regular expression (for fixed-width segments, and for the solver's rendering)."""
    kind, text = unit
    return re.escape(text) if kind == "lit" else text


class _Segments:
    """A glob whose every star is an unconstrained run (``StringLike``, actions), compiled from its parts
    without a unit per character: the greedy algorithm of :class:`_Compiled` over the segments between
    stars, each a plain string (compared with ``str`` methods) or, when it holds a ``?`` or the match
    ignores case, a regular expression of fixed width (compiled once per distinct segment). Time and
    memory linear in the pattern, matching linear in the value; a policy of a million wildcards costs
    what its text does (:class:`_Compiled` made a unit, and a regular expression, per character)."""

    __slots__ = ("first", "last", "last_len", "middle")
    first: str | re.Pattern[str]
    last: str | re.Pattern[str]
    middle: list[str | re.Pattern[str]]

    def __init__(self, glob: Glob, ignore_case: bool) -> None:
        # A wildcard part is a str that no policy text holds (a NUL and the character): the joined parts
        # split at each STAR into the segments, in C, whatever the number of stars.
        texts = "".join(glob).split(STAR)
        self.last_len = len(texts[-1]) - texts[-1].count(QMARK)
        if not ignore_case and QMARK not in glob:  # plain strings: str.startswith, find and endswith
            self.first, self.last = texts[0], texts[-1]
            self.middle = [seg for seg in texts[1:-1] if seg]
            return
        compiled: dict[str, re.Pattern[str]] = {}
        flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)

        def regex(seg: str) -> re.Pattern[str]:
            if seg not in compiled:
                compiled[seg] = re.compile(".".join(re.escape(x) for x in seg.split(QMARK)), flags)
            return compiled[seg]

        self.first, self.last = regex(texts[0]), regex(texts[-1])
        self.middle = [regex(seg) for seg in texts[1:-1] if seg]

    def matches(self, value: str) -> bool:
        first = self.first
        if isinstance(first, str):
            if not value.startswith(first):
                return False
            pos = len(first)
        else:
            head = first.match(value)
            if head is None:
                return False
            pos = head.end()
        end = len(value) - self.last_len
        if end < pos:
            return False
        for seg in self.middle:
            if isinstance(seg, str):
                at = value.find(seg, pos, end)
                if at < 0:
                    return False
                pos = at + len(seg)
            else:
                m = seg.search(value, pos, end)
                if m is None:
                    return False
                pos = m.end()
        last = self.last
        return value.endswith(last) if isinstance(last, str) else last.fullmatch(value, end) is not None


@lru_cache(maxsize=65536)
def compiled_glob(glob: Glob, arn: bool, ignore_case: bool) -> _Compiled | _Segments:
    """The glob compiled once (cached): ``.matches(value)`` in time linear in the value."""
    if not arn and STAR in glob:
        return _Segments(glob, ignore_case)
    return _Compiled(glob_units(glob, arn=arn), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def string_glob_matches(glob: Glob, value: str, *, ignore_case: bool = False) -> bool:
    """``StringLike`` and action matching: ``*`` any run, ``?`` one character."""
    if len(glob) == 1 and not isinstance(glob[0], _Wild):
        literal = glob[0]
        return literal.lower() == value.lower() if ignore_case else literal == value
    return compiled_glob(glob, False, ignore_case).matches(value)


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
    return compiled_glob(glob, True, False).matches(value)


def principal_keys(caller: IamUser | RoleSession | Root | FederatedUser) -> dict[str, str]:
    """Every canonical ``AWS`` principal entry that names this caller, with its trust class.

    This table *is* principal matching (docs/semantics.md §4.3, R8): an entry matches the
    caller iff it is a key here, exactly and case-sensitively (PRINC: the
    user-name part is case sensitive), never by substring and never by a
    wildcard other than the lone ``*``:

    * ``"wildcard"``: ``*``;
    * ``"account"``: ``arn:P:iam::A:root`` of the caller's account (delegation to
      the account's IAM policies, not "the root user", PRINC);
    * ``"user"``: the caller's exact IAM user ARN (with path) or its ``AIDA…`` id;
    * ``"role"``: the exact ARN of the caller's role *with its path*, or the role's
      ``AROA…`` id: every session of the role matches (docs/semantics.md scenario 56);
    * ``"session"``: the exact ``assumed-role/ROLE/SESSION`` ARN;
    * ``"federated"``: the exact federated-user ARN.
    """
    keys = {"*": "wildcard", f"arn:{caller.partition}:iam::{caller.account}:root": "account"}
    if isinstance(caller, IamUser):
        keys[caller.arn] = keys[caller.unique_id] = "user"
    elif isinstance(caller, RoleSession):
        keys[caller.role_arn] = keys[caller.unique_id] = "role"
        keys[caller.arn] = "session"
    elif isinstance(caller, FederatedUser):
        keys[caller.arn] = "federated"
    return keys


def principal_entry_matches(entry: str, caller: IamUser | RoleSession | Root | FederatedUser) -> str | None:
    """The trust class with which one canonical ``AWS`` entry matches the caller, or ``None``."""
    return principal_keys(caller).get(entry)


def principal_classes(
    aws: Iterable[str],
    service: Iterable[str],
    caller: IamUser | RoleSession | Root | FederatedUser | ServicePrincipal,
    wildcard_matches_services: bool,
) -> frozenset[str]:
    """The trust classes with which a Principal (its ``AWS`` and ``Service`` entries) matches.

    A service principal matches its own ``Service`` entry (R11), and ``*`` only
    when ``wildcard_matches_services`` (a contested point, docs/semantics.md §5.3).
    """
    if isinstance(caller, ServicePrincipal):
        classes = {"service"} if caller.name in service else set()
        if wildcard_matches_services and "*" in aws:
            classes.add("wildcard")
        return frozenset(classes)
    keys = principal_keys(caller)
    return frozenset(keys[e] for e in aws if e in keys)


def caller_key(caller: IamUser | RoleSession | Root | FederatedUser | ServicePrincipal) -> str:
    """A string that identifies a caller for matching purposes (a cache key)."""
    if isinstance(caller, ServicePrincipal):
        return "service:" + caller.name
    return f"{caller.arn}|{caller.unique_id}|{getattr(caller, 'role_path', '')}"
