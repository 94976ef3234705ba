"""Benchmarks for rolecall's reference model (see ``tests/benchmarks/README.md``).

Run from the repository root::

    python -m tests.benchmarks.bench_model            # full run (about 20 s)
    python -m tests.benchmarks.bench_model --quick    # smoke run: same figures, few rounds

Two benchmarks, printed side by side in one run:

1. **Decision speed.** ``decide(scenario)`` against moto's own policy evaluator
   (``moto.iam.access_control.IAMPolicy``) doing what moto does for one
   ``sts:AssumeRole``: one identity-policy evaluation plus one trust-policy
   evaluation, on the SPEC scenarios moto can express. Target: rolecall at
   least 1.5x faster per decision.
2. **Corpus parse+compile.** ``parse_policy(doc, PolicyKind.IDENTITY)`` over the
   1,641 AWS managed policies, in fresh subprocesses (cold caches). Targets:
   under 3 s, under 200 MB peak (tracemalloc).

Exit status 0 when every target is met, 1 otherwise (also on a crash).
This module imports only the standard library at the top so that the corpus
subprocess starts cold; ``model`` and ``moto`` are imported where used.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT / "tests" / "scenarios" / "spec"
CORPUS = ROOT / "model" / "data" / "aws-managed-policies.jsonl.gz"

ACTION = "sts:AssumeRole"
SPEED_TARGET = 1.5  # moto time / rolecall time, per decision
CORPUS_SECONDS_TARGET = 3.0
CORPUS_MB_TARGET = 200.0  # MB = 10**6 bytes
MB = 1_000_000
EMPTY_POLICY = '{"Version": "2012-10-17", "Statement": []}'


# =========================================================================== 1. decision speed


@dataclass
class SpeedCase:
    """One SPEC scenario, pre-loaded for both sides."""

    short_id: str
    document: dict[str, Any]  # the scenario JSON, for the first-decision figure
    scenario: Any  # model.Scenario
    moto_identity: Any  # moto IAMPolicy
    moto_trust: Any  # moto IAMPolicy
    role_arn: str
    principal_arn: str
    condition_values: dict[str, str]
    rolecall_decision: str
    moto_decision: str


def _short_ids(paths: list[Path]) -> dict[Path, str]:
    """``01`` for ``01-user-named….json``; ``09-false`` where two files share a number."""
    numbers = Counter(p.stem.split("-", 1)[0] for p in paths)
    out = {}
    for p in paths:
        num = p.stem.split("-", 1)[0]
        out[p] = num if numbers[num] == 1 else f"{num}-{p.stem.rsplit('-', 1)[-1]}"
    return out


def _statements(doc: Any) -> list[Any]:
    raw = doc.get("Statement", []) if isinstance(doc, dict) else []
    return raw if isinstance(raw, list) else [raw]


def _plain_string_equals(docs: list[Any]) -> tuple[bool, list[str]]:
    """Whether every Condition in ``docs`` is a plain ``StringEquals`` (no variables),
    the only operator moto evaluates; also the condition keys as written."""
    keys: list[str] = []
    for doc in docs:
        for st in _statements(doc):
            block = st.get("Condition") if isinstance(st, dict) else None
            if not block:
                continue
            for operator, tests in block.items():
                if operator != "StringEquals" or not isinstance(tests, dict):
                    return False, keys
                for key, values in tests.items():
                    vals = values if isinstance(values, list) else [values]
                    if not all(isinstance(v, str) and "${" not in v for v in vals):
                        return False, keys
                    keys.append(key)
    return True, keys


def _exclusion(raw: dict[str, Any], s: Any) -> str | None:
    """Why moto cannot express this scenario, or ``None`` if it can."""
    from rolecall.model.arn import IamUser, RoleSession

    caller, role, request = raw["caller"], raw["role"], raw["request"]
    if s.malformed is not None:
        return "MalformedPolicyDocument"
    if not isinstance(s.caller.principal, (IamUser, RoleSession)):
        return "caller not an IAM user or role session"
    if len(caller.get("identity_policies") or []) > 1:
        return "more than one identity policy"
    if role.get("trust_policy") is None:
        return "no trust policy"
    if raw.get("organization") is not None:
        return "organization (SCP/RCP)"
    if caller.get("permissions_boundary") is not None:
        return "permissions boundary"
    if caller.get("session_policy") is not None or request.get("policy") is not None or request.get("policy_arns"):
        return "session policy"
    if (
        caller.get("tags")
        or role.get("tags")
        or request.get("tags")
        or caller.get("transitive_tag_keys")
        or request.get("transitive_tag_keys")
    ):
        return "tags"
    if caller.get("source_identity") is not None or request.get("source_identity") is not None:
        return "source identity"
    ok, _ = _plain_string_equals([*(caller.get("identity_policies") or []), role["trust_policy"]])
    if not ok:
        return "condition other than plain StringEquals"
    return None


def load_speed_cases() -> tuple[list[SpeedCase], Counter[str], int]:
    """The SPEC scenarios both sides can decide, pre-loaded (policies parsed and compiled,
    moto ``IAMPolicy`` objects constructed). Returns (cases, exclusion reasons, total)."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    from rolecall.model import decide, load_assume_role, request_context

    paths = sorted(SPEC_DIR.glob("*.json"))
    short = _short_ids(paths)
    excluded: Counter[str] = Counter()
    cases: list[SpeedCase] = []
    for path in paths:
        raw = json.loads(path.read_text(encoding="utf-8"))
        s = load_assume_role(raw)
        why = _exclusion(raw, s)
        result = decide(s) if why is None else None
        if result is not None and result.rule in ("R0", "R1", "R2"):
            # Fairness: rolecall would answer before reading any policy (request validation,
            # root / federated caller, missing role) while moto still evaluates two policies.
            why = "decided before policy evaluation (R0-R2)"
        if why is not None:
            excluded[why] += 1
            continue
        identity_docs = raw["caller"].get("identity_policies") or []
        trust_doc = raw["role"]["trust_policy"]
        _, keys = _plain_string_equals([*identity_docs, trust_doc])
        # Context values the model derives (sts:ExternalId, aws:PrincipalOrgID, …), under the
        # key spelling of the policy: moto looks keys up case-sensitively and ignores absent ones.
        ctx = request_context(s)
        values = {k: v for k in keys if isinstance(v := ctx.get(k.lower()), str)}
        p = s.caller.principal
        moto_identity = IAMPolicy(json.dumps(identity_docs[0]) if identity_docs else EMPTY_POLICY)
        moto_trust = IAMPolicy(json.dumps(trust_doc))
        role_arn = s.role.arn.arn
        # What moto's _check_role_trust_relationship passes: the access key's ARN, i.e. the
        # IAM user ARN or the assumed-role session ARN.
        principal_arn = p.arn
        try:
            ident = moto_identity.is_action_permitted(ACTION, role_arn)
            trust = moto_trust.is_action_permitted(ACTION, role_arn, principal_arn, values)
        except Exception as exc:  # moto's evaluator crashes on e.g. Service principals
            excluded[f"moto evaluator raises {type(exc).__name__}"] += 1
            continue
        moto_allowed = ident is PermissionResult.PERMITTED and trust is PermissionResult.PERMITTED
        assert result is not None
        cases.append(
            SpeedCase(
                short[path],
                raw,
                s,
                moto_identity,
                moto_trust,
                role_arn,
                principal_arn,
                values,
                result.decision,
                "allowed" if moto_allowed else "denied",
            )
        )
    return cases, excluded, len(paths)


def _time_rolecall(scenarios: list[Any], rounds: int) -> float:
    from rolecall.model import decide

    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(rounds):
            for s in scenarios:
                decide(s)
        return time.perf_counter() - t0
    finally:
        gc.enable()


def _time_moto(items: list[tuple[Any, Any, str, str, dict[str, str]]], rounds: int) -> float:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(rounds):
            for identity, trust, role_arn, principal, values in items:
                identity.is_action_permitted(ACTION, role_arn)
                trust.is_action_permitted(ACTION, role_arn, principal, values)
        return time.perf_counter() - t0
    finally:
        gc.enable()


@dataclass
class SpeedResult:
    cases: list[SpeedCase]
    excluded: Counter[str]
    total_scenarios: int
    rounds: int
    repeats: int
    rolecall_times: list[float]
    moto_times: list[float]
    first_decision_us: float
    first_decisions: int
    new_request_us: float

    @property
    def per_repeat(self) -> int:
        return self.rounds * len(self.cases)

    @property
    def rolecall_us(self) -> float:
        return min(self.rolecall_times) / self.per_repeat * 1e6

    @property
    def moto_us(self) -> float:
        return min(self.moto_times) / self.per_repeat * 1e6

    @property
    def ratio(self) -> float:
        return self.moto_us / self.rolecall_us

    @property
    def passed(self) -> bool:
        return self.ratio >= SPEED_TARGET


def bench_speed(total_decisions: int, repeats: int) -> SpeedResult:
    cases, excluded, total = load_speed_cases()
    if not cases:
        raise SystemExit("no SPEC scenario is expressible by moto's evaluator")
    scenarios = [c.scenario for c in cases]
    items = [(c.moto_identity, c.moto_trust, c.role_arn, c.principal_arn, c.condition_values) for c in cases]
    # One warm-up round each (fills rolecall's action cache and match lru_caches, and re's cache for moto).
    _time_rolecall(scenarios, 1)
    _time_moto(items, 1)
    rounds = max(1, math.ceil(total_decisions / (repeats * len(cases))))
    rolecall_times, moto_times = [], []
    for _ in range(repeats):  # interleaved, so both see the same machine conditions
        rolecall_times.append(_time_rolecall(scenarios, rounds))
        moto_times.append(_time_moto(items, rounds))
    documents = [c.document for c in cases]
    first_us, first_n = _first_decisions(documents, copies=5 if total_decisions < 20_000 else 100)
    new_us = _new_requests(documents, variants=20, rounds=2 if total_decisions < 20_000 else 20)
    return SpeedResult(cases, excluded, total, rounds, repeats, rolecall_times, moto_times, first_us, first_n, new_us)


def _first_decisions(documents: list[dict[str, Any]], copies: int, batch: int = 10) -> tuple[float, int]:
    """Informational: µs for the *first* ``decide`` of each freshly loaded scenario.

    The main figure decides the same loaded scenarios over and over, so anything the
    model memoizes per scenario or per policy object is warm there. Here every decision
    is on a scenario just loaded (loading untimed), so only module-level caches (compiled
    glob regexes) are warm. Loaded in small batches to bound memory.
    """
    from rolecall.model import load_scenario
    from rolecall.model.scenario import _WORLDS  # the shared world caches: emptied so every world is cold

    seconds, n = 0.0, 0
    for _ in range(copies):
        for start in range(0, len(documents), batch):
            _WORLDS.clear()
            fresh = [load_scenario(doc) for doc in documents[start : start + batch]]
            seconds += _time_rolecall(fresh, 1)
            n += len(fresh)
    _WORLDS.clear()
    return seconds / n * 1e6, n


def _new_requests(documents: list[dict[str, Any]], variants: int, rounds: int) -> float:
    """Informational: µs per decision when every decision is a *different request*
    (a new session name each time) against the pre-loaded worlds of the scenarios.

    Worlds are compiled once and shared (rolecall's design: a world, many requests);
    what the decision reads from the request is evaluated per request, and a memoised
    outcome is reused only when every context key it read has the same value.
    """
    from rolecall.model import load_scenario

    batch = [
        load_scenario({**doc, "request": {**doc["request"], "role_session_name": f"request-{i:03d}"}})
        for i in range(variants)
        for doc in documents
    ]
    _time_rolecall(batch, 1)
    return min(_time_rolecall(batch, rounds) for _ in range(3)) / (rounds * len(batch)) * 1e6


def profile_decide(top: int, rounds: int = 300) -> None:
    """cProfile of ``decide`` over the benchmark scenarios, top functions by own time."""
    import cProfile
    import pstats

    from rolecall.model import decide

    scenarios = [c.scenario for c in load_speed_cases()[0]]
    for s in scenarios:
        decide(s)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(rounds):
        for s in scenarios:
            decide(s)
    prof.disable()
    print(
        f"\ncProfile of decide(): {rounds} rounds x {len(scenarios)} scenarios, top {top} by own time "
        "(the profiler inflates per-call overhead; read the proportions, not the absolute times)"
    )
    pstats.Stats(prof, stream=sys.stdout).strip_dirs().sort_stats("tottime").print_stats(top)


# =========================================================================== 2. corpus parse+compile


def load_corpus_documents(path: Path = CORPUS) -> list[Any]:
    """The policy documents of the corpus, decoded as rolecall decodes JSON (duplicate keys kept)."""
    from rolecall.model.policy import load_json

    docs = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                docs.append(load_json(line)["document"])
    return docs


def _maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # bytes on macOS, KiB on Linux


def corpus_child(mode: str, path: Path) -> None:
    """Runs in a fresh interpreter: decode (untimed), then parse+compile every document.

    ``time`` mode times with ``perf_counter`` (gc on, as in normal use); ``memory``
    mode measures the tracemalloc peak of the parse alone (tracemalloc slows Python
    down severalfold, hence two separate cold runs). Prints one JSON line.
    """
    from rolecall.model.errors import MalformedPolicyError
    from rolecall.model.policy import PolicyKind, parse_policy

    docs = load_corpus_documents(path)
    parsed: list[Any] = []
    refused: list[str] = []
    gc.collect()
    if mode == "memory":
        import tracemalloc

        tracemalloc.start()
    t0 = time.perf_counter()
    for i, doc in enumerate(docs):
        try:
            parsed.append(parse_policy(doc, PolicyKind.IDENTITY, f"$[{i}]"))
        except MalformedPolicyError as exc:
            refused.append(f"{exc.path}: {exc.message}")
    seconds = time.perf_counter() - t0
    out: dict[str, Any] = {
        "mode": mode,
        "documents": len(docs),
        "parsed": len(parsed),
        "refused": refused[:5],
        "refused_count": len(refused),
        "seconds": seconds,
    }
    if mode == "memory":
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out.update(traced_current=current, traced_peak=peak)
    out["maxrss"] = _maxrss_bytes()
    print(json.dumps(out))


def _run_child(mode: str, path: Path) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "tests.benchmarks.bench_model", "--corpus-child", mode, "--corpus", str(path)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"corpus subprocess ({mode}) failed with status {proc.returncode}:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@dataclass
class CorpusResult:
    timing_runs: list[dict[str, Any]]
    memory_run: dict[str, Any]

    @property
    def seconds(self) -> float:
        return float(min(r["seconds"] for r in self.timing_runs))

    @property
    def peak_mb(self) -> float:
        return float(self.memory_run["traced_peak"]) / MB

    @property
    def time_passed(self) -> bool:
        return self.seconds < CORPUS_SECONDS_TARGET

    @property
    def memory_passed(self) -> bool:
        return self.peak_mb < CORPUS_MB_TARGET


def bench_corpus(runs: int, path: Path = CORPUS) -> CorpusResult:
    timing = [_run_child("time", path) for _ in range(runs)]
    return CorpusResult(timing, _run_child("memory", path))


# =========================================================================== report


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _model_revision() -> str:
    """Which model code was measured: a hash of ``model/*.py`` as imported, plus git HEAD if available."""
    import hashlib

    from rolecall import model

    files = sorted(Path(model.__file__).resolve().parent.glob("*.py"))
    digest = hashlib.sha256(b"".join(f.name.encode() + b"\0" + f.read_bytes() for f in files)).hexdigest()[:12]
    out = f"model/*.py sha256 {digest}"
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "model"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        out += f", git {head}{' + uncommitted model/ changes' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        moto = version("moto")
    except PackageNotFoundError:
        moto = "?"
    return (
        f"{platform.python_implementation()} {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs, moto {moto}"
    )


def report(speed: SpeedResult, corpus: CorpusResult, quick: bool) -> bool:
    n = len(speed.cases)
    print(f"rolecall benchmarks ({_versions()}){'  [--quick: indicative figures only]' if quick else ''}")
    print(f"measured: {_model_revision()}")
    print()
    print("1. Decision speed: rolecall decide(scenario) vs moto IAMPolicy (1 identity + 1 trust evaluation)")
    print(f"   scenarios: {n} of {speed.total_scenarios} SPEC scenarios: {' '.join(c.short_id for c in speed.cases)}")
    excluded = ", ".join(f"{why} {k}" for why, k in speed.excluded.most_common())
    print(f"   excluded:  {sum(speed.excluded.values())} ({excluded})")
    agree = sum((c.rolecall_decision == "allowed") == (c.moto_decision == "allowed") for c in speed.cases)
    print(
        f"   (moto's allowed/denied agrees with rolecall on {agree} of {n}: moto's evaluator is not a model "
        "of AssumeRole; this benchmark compares speed only)"
    )
    print(
        f"   timing:    best of {speed.repeats} repeats x {speed.per_repeat:,} decisions "
        f"({speed.rounds:,} rounds x {n}; {speed.repeats * speed.per_repeat:,} per side), gc disabled for both"
    )
    print(f"   {'':24}{'us/decision':>12}{'decisions/s':>14}   all repeats (s)")
    for name, us, times in (
        ("rolecall decide()", speed.rolecall_us, speed.rolecall_times),
        ("moto identity+trust", speed.moto_us, speed.moto_times),
    ):
        print(f"   {name:24}{us:12.2f}{1e6 / us:14,.0f}   {' '.join(f'{t:.3f}' for t in times)}")
    first, new = speed.first_decision_us, speed.new_request_us
    print(
        f"   (info, no target) a new request (new session name) per decision on the pre-loaded worlds: "
        f"{new:.2f} us; moto / that = {speed.moto_us / new:.2f}x"
    )
    print(
        f"   (info, no target) the first decide() on a freshly loaded scenario, world compiled cold: {first:.2f} us "
        f"over {speed.first_decisions:,} fresh scenarios; moto / that = {speed.moto_us / first:.2f}x"
    )
    print()
    tr, mr = corpus.timing_runs, corpus.memory_run
    print(
        f"2. Corpus parse+compile: {mr['documents']:,} AWS managed policies, parse_policy(doc, IDENTITY), "
        "fresh subprocess each run (cold caches), JSON decoded before timing"
    )
    print(
        f"   parsed {mr['parsed']:,}, refused {mr['refused_count']} (MalformedPolicyError)"
        + (f": {mr['refused'][0]}" if mr["refused"] else "")
    )
    runs = " ".join(f"{r['seconds']:.3f}" for r in tr)
    print(f"   time:      best of {len(tr)} cold run(s): {corpus.seconds:.3f} s   (runs: {runs})")
    print(
        f"   memory:    tracemalloc peak {corpus.peak_mb:.1f} MB during the parse, "
        f"{mr['traced_current'] / MB:.1f} MB still held by the parsed policies"
    )
    print(
        f"   ru_maxrss: {max(r['maxrss'] for r in tr) / MB:.1f} MB (timing run), "
        f"{mr['maxrss'] / MB:.1f} MB (tracemalloc run); whole process: interpreter, decoded JSON, policies"
    )
    print()
    rows = [
        (
            "decision speed-up (moto us / rolecall us)",
            f"{speed.ratio:.2f}x  ({speed.moto_us:.2f} / {speed.rolecall_us:.2f})",
            f">= {SPEED_TARGET:.1f}x",
            speed.passed,
        ),
        (
            "corpus parse+compile time",
            f"{corpus.seconds:.3f} s",
            f"< {CORPUS_SECONDS_TARGET:.0f} s",
            corpus.time_passed,
        ),
        (
            "corpus parse+compile peak memory",
            f"{corpus.peak_mb:.1f} MB",
            f"< {CORPUS_MB_TARGET:.0f} MB",
            corpus.memory_passed,
        ),
    ]
    print(f"{'figure':44}{'measured':30}{'target':12}status")
    for name, value, target, ok in rows:
        print(f"{name:44}{value:30}{target:12}{_status(ok)}")
    failed = sum(not ok for *_, ok in rows)
    print(f"RESULT: {_status(not failed)}" + (f" ({failed} of {len(rows)} targets missed)" if failed else ""))
    return not failed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_model", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: few decisions, one corpus run")
    ap.add_argument("--decisions", type=int, help="decisions per side over all repeats (default 200,000; quick 2,000)")
    ap.add_argument("--repeats", type=int, help="timing repeats, best one counts (default 5; quick 2)")
    ap.add_argument("--corpus-runs", type=int, help="cold timing subprocesses for the corpus (default 3; quick 1)")
    ap.add_argument(
        "--profile", type=int, metavar="N", default=0, help="also print the top N functions of a cProfile of decide()"
    )
    ap.add_argument("--corpus", type=Path, default=CORPUS, help=argparse.SUPPRESS)
    ap.add_argument("--corpus-child", choices=("time", "memory"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.corpus_child:
        corpus_child(args.corpus_child, args.corpus)
        return 0
    decisions = args.decisions or (2_000 if args.quick else 200_000)
    repeats = args.repeats or (2 if args.quick else 5)
    runs = args.corpus_runs or (1 if args.quick else 3)
    speed = bench_speed(decisions, repeats)
    corpus = bench_corpus(runs, args.corpus)
    ok = report(speed, corpus, args.quick)
    if args.profile:
        profile_decide(args.profile)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
