"""No function in ``model/``, ``strategies/`` or ``conformance/`` is too branchy to read (issue 19 item 5).

Radon's cyclomatic complexity, rank C or better (at most 20), for every function, method and class,
the check ``radon cc -n D model strategies conformance`` makes from the command line: a function that
grows past it is split into named steps (one parser per policy element, one function per R13 check, a
table of plans), so that a reader meets each rule once, under its name.
"""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("model", "strategies", "conformance")
LIMIT = 20  # radon's rank C ends here; D starts at 21


def _blocks(source: str) -> list[tuple[str, int, int]]:
    """(name, line, complexity) of every function, method and class radon sees in ``source`` (its list
    holds the methods beside their classes)."""
    return [(block.fullname, block.lineno, block.complexity) for block in cc_visit(source)]


def test_no_function_ranks_d_or_worse() -> None:
    files = sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py"))
    assert len(files) > 50  # the three packages, not an empty glob
    too_branchy = [
        f"{path.relative_to(ROOT)}:{line} {name}: {complexity} (rank {cc_rank(complexity)})"
        for path in files
        for name, line, complexity in _blocks(path.read_text(encoding="utf-8"))
        if complexity > LIMIT
    ]
    assert not too_branchy, "split these into named steps:\n" + "\n".join(too_branchy)


def test_the_check_sees_a_branchy_function() -> None:
    """The check itself: a function of 21 branches is reported, one of 20 is not."""

    def branches(n: int) -> str:
        tests = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(n - 1))
        return "def f(x):\n" + tests + "    return -1\n"

    assert [c for _, _, c in _blocks(branches(21))] == [21]
    assert [c for _, _, c in _blocks(branches(20))] == [20]
