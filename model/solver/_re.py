"""Regular expressions over Z3 strings: globs, ARN globs and case folding.

The only Z3 rendering of the model's matching (``model/match.py``): a glob is
first turned into the model's own *units* (:func:`rolecall.model.match.glob_units`, which
fixes how ``*`` and ``?`` behave in each ARN field), and each unit becomes one
regular-expression piece. So the solver cannot drift from the model on what a
wildcard matches; it only chooses the Z3 spelling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import z3

from ..match import QMARK, STAR, Glob, glob_units

__all__ = [
    "ANY",
    "ANY_RUN",
    "POLICY_CHAR",
    "arn_shape",
    "fold_regex",
    "folds_below_range",
    "glob_regex",
    "literal_re",
    "template_regex",
    "units_regex",
]

_RS = z3.ReSort(z3.StringSort())

#: Any one character (the model matches with ``re.DOTALL``).
ANY = z3.AllChar(_RS)
ANY_RUN = z3.Star(ANY)
_NOT_COLON = z3.Intersect(ANY, z3.Complement(z3.Re(":")))

#: One character of the policy alphabet: U+0009, U+000A, U+000D, U+0020-U+00FF (QUOTAS, docs/architecture.md).
POLICY_CHAR = z3.Union(z3.Re("\t"), z3.Re("\n"), z3.Re("\r"), z3.Range(" ", "\u00ff"))

_UNIT = {
    ("any", "."): ANY,
    ("any", "[^:]"): _NOT_COLON,
    ("star", ".*"): ANY_RUN,
    ("star", "[^:]*"): z3.Star(_NOT_COLON),
}


def literal_re(text: str) -> z3.ReRef:
    return z3.Re(z3.StringVal(text))


def _concat(pieces: Sequence[z3.ReRef]) -> z3.ReRef:
    if not pieces:
        return z3.Re(z3.StringVal(""))
    return pieces[0] if len(pieces) == 1 else z3.Concat(*pieces)


@lru_cache(maxsize=16384)
def glob_regex(glob: Glob, arn: bool) -> z3.ReRef:
    """The regular expression of a concrete glob (``*`` / ``?`` per :func:`rolecall.model.match.glob_units`)."""
    return units_regex(glob_units(glob, arn=arn))


def units_regex(units: Sequence[tuple[str, str]]) -> z3.ReRef:
    """The regular expression of a run of the model's glob units."""
    pieces: list[z3.ReRef] = []
    literal = ""
    for kind, text in units:
        if kind == "lit":
            literal += text
            continue
        if literal:
            pieces.append(literal_re(literal))
            literal = ""
        pieces.append(_UNIT[(kind, text)])
    if literal:
        pieces.append(literal_re(literal))
    return _concat(pieces)


def template_regex(parts: Sequence[str | z3.SeqRef], arn: bool) -> z3.ReRef | None:
    """A glob whose literal pieces may be symbolic (resolved policy variables).

    The value of a variable is literal text (``model.conditions.resolve``). In an
    ARN glob the model counts colons, those inside a variable's value included,
    to decide whether a wildcard of the first five fields may cross a colon. When
    such a wildcard comes after (or right before) a symbolic value, that cannot be
    rendered without knowing the value, and ``None`` is returned: the caller
    reports the construct as unsupported. Wildcards after a symbolic value in the
    resource field (the fifth colon already written literally) are exact.
    """
    if all(isinstance(p, str) for p in parts):
        return glob_regex(tuple(parts), arn)
    pieces: list[z3.ReRef] = []
    run: list[str] = []
    colons = 0  # literal colons so far
    symbolic_seen = False
    for part in parts:
        if isinstance(part, str):
            if _is_wild(part):
                if arn and symbolic_seen and colons < 5:
                    return None
            else:
                colons += part.count(":")
            run.append(part)
            continue
        if run:
            if arn and colons < 5 and _is_wild(run[-1]):
                return None  # whether this star ends its field depends on the value that follows
            pieces.append(glob_regex(tuple(run), arn and not symbolic_seen))
            run = []
        pieces.append(z3.Re(part))
        symbolic_seen = True
    if run:
        pieces.append(glob_regex(tuple(run), False))
    return _concat(pieces)


def _is_wild(part: str) -> bool:
    return part in (STAR, QMARK)


def arn_shape() -> z3.ReRef:
    """``arn:`` and at least five colons: the only values an ARN pattern can match (CONDOPS)."""
    return _ARN_SHAPE


_FIELD = z3.Concat(z3.Star(_NOT_COLON), z3.Re(":"))
_ARN_SHAPE = z3.Concat(z3.Re("arn:"), _FIELD, _FIELD, _FIELD, _FIELD, ANY_RUN)

#: Characters the symbolic universe draws from, for case folding (the policy alphabet and
#: Latin Extended, so that every fold into the alphabet is seen).
_FOLD_RANGE = 0x300


@lru_cache(maxsize=4)
def _fold_table(fold: Callable[[str], str]) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    single: dict[str, list[str]] = {}
    multi: list[tuple[str, str]] = []
    for code in range(_FOLD_RANGE):
        ch = chr(code)
        folded = fold(ch)
        if len(folded) == 1:
            single.setdefault(folded, []).append(ch)
        elif folded:
            multi.append((folded, ch))
    return single, multi


@lru_cache(maxsize=8192)
def fold_regex(folded: str, fold: Callable[[str], str]) -> z3.ReRef:
    """Every string ``s`` over characters below U+0300 with ``fold(s) == folded``.

    ``fold`` is ``str.casefold`` (``StringEqualsIgnoreCase``) or ``str.lower``
    (``Bool``); multi-character folds such as ``ß`` -> ``ss`` are included.
    """
    single, multi = _fold_table(fold)
    memo: dict[int, z3.ReRef] = {}

    def from_(i: int) -> z3.ReRef:
        if i in memo:
            return memo[i]
        if i == len(folded):
            memo[i] = z3.Re(z3.StringVal(""))
            return memo[i]
        chars = single.get(folded[i], [])
        options: list[z3.ReRef] = []
        if chars:
            head = (
                z3.Union(*[z3.Re(z3.StringVal(c)) for c in chars]) if len(chars) > 1 else z3.Re(z3.StringVal(chars[0]))
            )
            options.append(z3.Concat(head, from_(i + 1)))
        for target, ch in multi:
            if folded.startswith(target, i):
                options.append(z3.Concat(z3.Re(z3.StringVal(ch)), from_(i + len(target))))
        if not options:
            memo[i] = z3.Empty(_RS)
        else:
            memo[i] = options[0] if len(options) == 1 else z3.Union(*options)
        return memo[i]

    return from_(0)


def folds_below_range(text: str) -> bool:
    """Whether :func:`fold_regex` covers ``text`` (every character below U+0300)."""
    return all(ord(c) < _FOLD_RANGE for c in text)
