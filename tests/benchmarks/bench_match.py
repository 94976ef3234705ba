"""Wildcard matching on hostile patterns: rolecall's matcher beside a backtracking regular expression.

The reliability issue's patterns: a ``*`` that does not end one of the first five ARN fields
(``arn:aws:i*m::*:…``) is bounded by the colons; matching such a glob with one backtracking
regular expression for the whole ARN (what rolecall did before, and what a straightforward
implementation does) is exponential in the number of stars: ``role/*a*a…*c`` against a role
name of 32 ``a``s took 4.9 s, 64 (AWS's longest role name) over two minutes. rolecall's matcher
(``rolecall.model.match``, a bit-set automaton for these globs) is linear in the value.

Printed side by side, in one run: the median time of rolecall's ``arn_glob_matches`` and of the
peer, Python's ``re.fullmatch`` on the same glob rendered as one regular expression (each
measured in a child process stopped after ``--cap`` seconds, shown as ``> cap``). The exit
status is 0 when every rolecall figure is under 1 ms (the target: "microseconds"), 1 otherwise.

    python -m tests.benchmarks.bench_match            # about a minute (the peer's capped runs)
    python -m tests.benchmarks.bench_match --quick    # a smaller peer cap
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time

from rolecall.model.match import arn_glob_matches, glob_parts

PREFIX = "arn:aws:iam::111122223333:role/"
CASES: list[tuple[str, str, list[int]]] = [
    # (label, pattern, name lengths): each value is PREFIX + "a" * n (for the account case, the account)
    ("role/*a*a…*c (10 stars), mid-field i*m", "arn:aws:i*m::*:role/" + "*a" * 10 + "*c", [16, 20, 24, 28, 32, 64]),
    ("role/*?*?…*b (30 stars), mid-field a*s", "arn:a*s:iam::*:role/" + "*?" * 30 + "*b", [24, 64]),
    ("*1*1…*2 in the account field", "arn:aws:iam::" + "*1" * 11 + "*2:role/x", [12]),
]


def _value(pattern: str, n: int) -> str:
    if "*1*1" in pattern:
        return "arn:aws:iam::" + "1" * n + ":role/x"
    return PREFIX + "a" * n


def _regex(pattern: str) -> str:
    """The glob as one regular expression over the whole ARN (field-bounded wildcards)."""
    out, field = [], 0
    for i, ch in enumerate(pattern):
        if ch == "*":
            ends = i + 1 == len(pattern) or pattern[i + 1] == ":"
            out.append("[^:]*" if field < 5 and not ends else ".*")
        elif ch == "?":
            out.append("[^:]" if field < 5 else ".")
        else:
            field += ch == ":"
            out.append(re.escape(ch))
    return "".join(out)


def _ours(pattern: str, value: str, rounds: int) -> float:
    glob = glob_parts(pattern)
    arn_glob_matches(glob, value)  # compile once, as every policy is compiled once
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        arn_glob_matches(glob, value)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _peer(pattern: str, value: str, cap: float) -> float | None:
    code = (
        "import re, sys, time\n"
        f"rx = re.compile({_regex(pattern)!r}, re.DOTALL)\n"
        "t = time.perf_counter()\n"
        f"rx.fullmatch({value!r})\n"
        "print(time.perf_counter() - t)\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=cap, check=True)
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout)


def _fmt(seconds: float | None, cap: float) -> str:
    if seconds is None:
        return f"> {cap:.0f} s"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="cap the peer at 2 s")
    parser.add_argument("--cap", type=float, default=10.0, help="seconds before a peer run is stopped (10)")
    parser.add_argument("--rounds", type=int, default=200, help="timed rolecall matches per value (200)")
    args = parser.parse_args(argv)
    cap = 2.0 if args.quick else args.cap
    print("rolecall wildcard matching on hostile patterns  (python -m tests.benchmarks.bench_match)")
    print(f"peer: Python re.fullmatch, one backtracking regex for the whole ARN (capped at {cap:.0f} s)")
    print(f"  {'pattern':44}{'name':>6}{'rolecall':>12}{'regex':>12}")
    worst = 0.0
    for label, pattern, lengths in CASES:
        for n in lengths:
            value = _value(pattern, n)
            ours = _ours(pattern, value, args.rounds)
            worst = max(worst, ours)
            peer = _peer(pattern, value, cap)
            print(f"  {label:44}{n:>6}{_fmt(ours, cap):>12}{_fmt(peer, cap):>12}", flush=True)
    verdict = "PASS" if worst < 1e-3 else "FAIL"
    print(f"slowest rolecall match: {_fmt(worst, cap)} (target: under 1 ms) {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
