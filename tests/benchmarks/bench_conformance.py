"""Conformance-run throughput against moto (see ``tests/benchmarks/README.md``).

Run from the repository root::

    python -m tests.benchmarks.bench_conformance              # full run (a few minutes)
    python -m tests.benchmarks.bench_conformance --quick      # smoke run: same table, tiny sizes
    python -m tests.benchmarks.bench_conformance --what-if    # also time MotoServerTarget variants

The issue's target: at least **100 scenarios a second against moto in-process** and at
least **30 over the moto server**, provisioning included, printed side by side with
moto's own bare ``assume_role`` rate from the same run. One run measures both sides:

1. **rolecall**: a fixed corpus of N scenarios (user and role-session callers), drawn
   once from the suite's own Hypothesis strategy with a fixed seed, goes through
   ``Conformance.run(doc, "bench", ("decision",))`` R times per target. That is
   everything one property example costs: adapting the scenario to the target,
   fresh accounts, the model's decision, provisioning, the AssumeRole under test and
   the comparison.
2. **moto bare** (the peer): one IAM user with an inline policy allowing
   ``sts:AssumeRole`` and a same-account role whose trust names the user, IAM
   enforcement on; one boto3 STS client calls ``assume_role`` ``--bare-calls`` times
   per repetition, in-process (``mock_aws``) and over a ``ThreadedMotoServer``: the
   target's own, each bare repetition right after a corpus pass.

Figures are medians of the repetitions (the range is printed too). After them, a
**diagnostic** pass (one more pass of the corpus with timers wrapped around the
targets' internals; never part of the main figures) splits a scenario's time into
provisioning, AssumeRole, moto control calls, the model and the rest; ``--what-if``
times variants of ``MotoServerTarget`` defined in this file (also diagnostic).

Exit status 0 when every target is met, 1 otherwise (also on a crash).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import shlex
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROG = "python -m tests.benchmarks.bench_conformance"

TARGETS: dict[str, float] = {"moto": 100.0, "moto-server": 30.0}
"""Target name -> the issue's minimum scenarios per second (provisioning included)."""
TRANSPORT = {"moto": "moto in-process", "moto-server": "moto server (HTTP)"}
CALLER_KINDS = ("user", "role-session")
SEED = 20_240_601
"""The Hypothesis seed of the corpus (same seed and Hypothesis version: same corpus)."""
WARMUP_SCENARIOS = 5
"""Untimed scenarios per target before the repetitions (first boto3 clients, imports)."""
WARMUP_CALLS = 10
"""Untimed bare calls before the repetitions."""

BARE_USER = "bench-user"
BARE_ROLE = "bench-role"
BARE_ACCOUNT = "123456789012"  # moto's default account (credentials "testing")


# =========================================================================== the corpus


def draw_corpus(n: int, seed: int = SEED) -> list[dict[str, Any]]:
    """``n`` scenarios drawn once from the suite's strategy, reproducibly (nothing saved to disk).

    The strategy is ``Conformance(model target).scenarios(caller_kinds=("user", "role-session"))``,
    i.e. every feature the model can express; each target's ``Conformance.run`` then adapts
    them to what the target can provision, as in a real conformance run. ``@seed`` with the
    database off and only the generate phase makes the draw the same on every run.
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from rolecall.conformance.expectations import Expectations
    from rolecall.conformance.session import Conformance
    from rolecall.conformance.targets import load_target

    strategy = Conformance(load_target("model"), Expectations(target="model")).scenarios(caller_kinds=CALLER_KINDS)
    drawn: list[dict[str, Any]] = []

    @hypothesis_seed(seed)
    @settings(
        database=None,
        max_examples=n,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=False,
        print_blob=False,
    )
    @given(strategy)
    def collect(doc: dict[str, Any]) -> None:
        drawn.append(doc)

    collect()
    return drawn[:n]


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def describe_corpus(corpus: Sequence[dict[str, Any]]) -> str:
    """One line: how many scenarios of each caller kind, how many cross-account."""
    from rolecall.conformance._world import caller_kind

    kinds = Counter(caller_kind(d) for d in corpus)
    cross = sum(_account(str(d["caller"].get("arn", ""))) != _account(str(d["role"].get("arn", ""))) for d in corpus)
    return f"{', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}; cross-account {cross}"


# =========================================================================== rolecall through a target


@dataclass
class TargetRun:
    """R timed passes of the corpus through ``Conformance.run`` on one target."""

    name: str
    scenarios: int
    """Scenarios per timed pass (the corpus minus the target's ``Unsupported`` ones)."""
    unsupported: int
    times: list[float]
    start_seconds: float
    warmup_seconds: float
    outcomes: Counter[str] = field(default_factory=Counter)
    """Of the first pass: agreed / diverged (a difference, known or not) / target-error."""
    decisions: Counter[str] = field(default_factory=Counter)
    """Of the first pass: the model's decisions."""
    results: list[tuple[str, str]] = field(default_factory=list)
    """Of the first pass: each scenario's (target decision, error code), to compare what-if variants."""

    @property
    def rates(self) -> list[float]:
        return [self.scenarios / t for t in self.times]

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def _summary(result: dict[str, Any]) -> tuple[str, str]:
    return str(result.get("decision", "")), str(result.get("error_code") or "")


def _quiet_werkzeug() -> None:
    """Silence werkzeug's per-request error log (moto crashes are counted as target-error instead).

    ``MotoServerTarget.start`` sets the ``werkzeug`` logger to ERROR, so every moto crash on a
    request prints a traceback; werkzeug formats that traceback before logging it, so raising
    the level only saves the printing.
    """
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)


def reset_moto() -> None:
    """Empty moto's backends, which every moto target and server in this process shares.

    Each target object numbers its fresh accounts from the same base, so a second target
    started in this process would otherwise find the first one's users and roles
    (``EntityAlreadyExists``). A conformance run starts one target per process, in a fresh world.
    """
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


def run_corpus(conf: Any, corpus: Sequence[dict[str, Any]], tally: TargetRun | None = None) -> tuple[int, int]:
    """One pass of ``corpus`` through ``conf.run``: (scenarios run, ``Unsupported`` skipped).

    With ``tally``, also records decisions, outcomes and per-scenario results into it.
    """
    from rolecall.conformance._world import Unsupported

    done = skipped = 0
    for doc in corpus:
        try:
            found, _, expected, outcome = conf.run(doc, "bench", ("decision",))
        except Unsupported:
            skipped += 1
            continue
        done += 1
        if tally is not None:
            tally.decisions[expected.decision] += 1
            if outcome.phase == "target-error":
                tally.outcomes["target-error"] += 1
            else:
                tally.outcomes["diverged" if found else "agreed"] += 1
            tally.results.append(_summary(outcome.result))
    return done, skipped


def bench_target(
    name: str, corpus: Sequence[dict[str, Any]], repeat: int, bare_calls: int
) -> tuple[TargetRun, BareRun]:
    """Start target ``name`` once, warm up, then ``repeat`` times: one timed pass of the corpus,
    then one timed repetition of the bare peer on the same transport (interleaved, so that both
    sides see the same machine conditions)."""
    from rolecall.conformance.expectations import Expectations
    from rolecall.conformance.session import Conformance
    from rolecall.conformance.targets import load_target

    target: Any = load_target(name)
    reset_moto()
    t0 = time.perf_counter()
    target.start()
    start_seconds = time.perf_counter() - t0
    try:
        _quiet_werkzeug()
        conf = Conformance(target, Expectations(target=name))
        t0 = time.perf_counter()
        run_corpus(conf, corpus[:WARMUP_SCENARIOS])
        warmup = time.perf_counter() - t0
        out = TargetRun(name, 0, 0, [], start_seconds, warmup)
        peer = BarePeer(getattr(target, "endpoint_url", None) if name == "moto-server" else None)
        bare = BareRun(TRANSPORT[name], bare_calls, [])
        for i in range(repeat):
            t0 = time.perf_counter()
            done, skipped = run_corpus(conf, corpus, out if i == 0 else None)
            out.times.append(time.perf_counter() - t0)
            out.scenarios, out.unsupported = done, skipped
            bare.times.append(peer.repetition(bare_calls))
        return out, bare
    finally:
        target.stop()


# =========================================================================== the peer: moto's bare assume_role


@dataclass
class BareRun:
    """moto's own ``assume_role`` rate: ``calls`` per repetition, one boto3 STS client."""

    transport: str
    calls: int
    times: list[float]

    @property
    def rates(self) -> list[float]:
        return [self.calls / t for t in self.times]

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def _bare_world(endpoint_url: str | None) -> tuple[Any, str]:
    """User + inline policy + access key + role trusting the user (IAM enforcement still off).

    Returns an STS client signing with the user's key, and the role ARN. The clients use the
    suite's botocore ``Config`` (no client-side validation, no retries), as the targets do.
    """
    import boto3

    from rolecall.conformance.targets._aws import CONFIG

    common: dict[str, Any] = {"region_name": "us-east-1", "endpoint_url": endpoint_url, "config": CONFIG}
    iam = boto3.client("iam", aws_access_key_id="testing", aws_secret_access_key="testing", **common)
    role_arn = f"arn:aws:iam::{BARE_ACCOUNT}:role/{BARE_ROLE}"
    allow = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}
    trust = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{BARE_ACCOUNT}:user/{BARE_USER}"},
        "Action": "sts:AssumeRole",
    }
    iam.create_user(UserName=BARE_USER)
    iam.put_user_policy(
        UserName=BARE_USER,
        PolicyName="assume",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
    )
    key = iam.create_access_key(UserName=BARE_USER)["AccessKey"]
    iam.create_role(
        RoleName=BARE_ROLE, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]})
    )
    sts = boto3.client(
        "sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], **common
    )
    return sts, role_arn


def _post(url: str, body: str) -> None:
    import urllib.request

    req = urllib.request.Request(url, data=body.encode(), method="POST", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()


class BarePeer:
    """moto's own bare ``assume_role``, on the transport of a started target.

    In-process (``endpoint_url`` None) it runs inside the ``MotoTarget``'s ``mock_aws``; over
    HTTP, against the ``MotoServerTarget``'s ``ThreadedMotoServer`` (127.0.0.1, port 0). Before
    each repetition moto's backends are emptied, the target's world included (harmless: every
    scenario is provisioned and run within one ``Conformance.run``, in fresh accounts), so the
    bare calls meet a small world as in a standalone measurement. The world is built with IAM
    enforcement off, then enforcement is switched on (in-process ``INITIAL_NO_AUTH_ACTION_COUNT = 0``
    and ``request_count = 0``, the values ``MotoTarget`` runs with; over HTTP
    ``POST /moto-api/reset-auth`` ``0``, which ``MotoServerTarget`` overrides per scenario anyway).
    """

    def __init__(self, endpoint_url: str | None, enforce: bool = True) -> None:
        self.endpoint_url = endpoint_url
        self.enforce = enforce
        """False: moto's own default, IAM enforcement off (every AssumeRole allowed, nothing checked)."""

    def _enforce_after(self, count: str) -> None:
        """Authenticate and authorize every request after the next ``count`` (``inf``: none)."""
        if self.endpoint_url is None:
            from moto import settings
            from moto.core.authorization import ActionAuthenticatorMixin

            settings.INITIAL_NO_AUTH_ACTION_COUNT = float(count)
            ActionAuthenticatorMixin.request_count = 0
        else:
            _post(f"{self.endpoint_url}/moto-api/reset-auth", count)

    def repetition(self, calls: int) -> float:
        """Seconds for ``calls`` calls, after a fresh world and ``WARMUP_CALLS`` untimed calls."""
        reset_moto()
        self._enforce_after("inf")
        try:
            sts, role_arn = _bare_world(self.endpoint_url)
        finally:
            self._enforce_after("0" if self.enforce else "inf")
        for _ in range(WARMUP_CALLS):  # also proves the call is allowed with enforcement on (else ClientError)
            sts.assume_role(RoleArn=role_arn, RoleSessionName="bench")
        t0 = time.perf_counter()
        for _ in range(calls):
            sts.assume_role(RoleArn=role_arn, RoleSessionName="bench")
        return time.perf_counter() - t0


# =========================================================================== diagnostic: where the time goes


class Stopwatch:
    """Seconds and call counts per label, for functions wrapped with :meth:`patch`."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()

    def timed(self, fn: Callable[..., Any], label: Callable[..., str] | str) -> Callable[..., Any]:
        """``fn`` timed under ``label`` (a string, or a function of the call's arguments)."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                key = label if isinstance(label, str) else label(*args, **kwargs)
                self.seconds[key] += time.perf_counter() - t0
                self.calls[key] += 1

        return wrapper

    @contextlib.contextmanager
    def patch(self, owner: Any, attr: str, label: Callable[..., str] | str) -> Iterator[None]:
        """Replace ``owner.attr`` by a timed wrapper for the duration (restored afterwards, exactly)."""
        missing = object()
        own = vars(owner).get(attr, missing)
        setattr(owner, attr, self.timed(getattr(owner, attr), label))
        try:
            yield
        finally:
            if own is missing:
                delattr(owner, attr)
            else:
                setattr(owner, attr, own)


@dataclass
class Split:
    """One diagnostic pass: total time and the time inside each instrumented part."""

    name: str
    scenarios: int
    total: float
    parts: list[tuple[str, float, int]]
    """(label, seconds, calls) of the parts that add up (with the remainder) to ``total``."""
    inside: list[tuple[str, float, int]]
    """(label, seconds, calls) measured *inside* the parts above (HTTP round trips, their server side)."""
    provisioning_calls: int

    @property
    def rest(self) -> float:
        return self.total - sum(s for _, s, _ in self.parts)


MODEL = "model: load_scenario x2 (run, plan) + decide"
PROVISION = "provisioning"
ASSUME = "AssumeRole under test"


def split_target(name: str, corpus: Sequence[dict[str, Any]]) -> Split:
    """DIAGNOSTIC: one more pass of ``corpus`` with timers wrapped around the target's internals.

    Wraps (and restores) ``model.load_scenario``/``model.decide``, the target's provisioning,
    its ``AwsApi.assume``, moto resets and, for the server, each ``/moto-api`` control call,
    the number of provisioning calls (``ApiProvisioner.calls``), botocore's HTTP round trip
    (``Endpoint._send``: connect, send, server, receive) and the time moto's WSGI app spends per
    HTTP request on the server thread. The wrappers cost a few microseconds a call.
    """
    from rolecall import model
    from rolecall.conformance.expectations import Expectations
    from rolecall.conformance.session import Conformance
    from rolecall.conformance.targets import load_target
    from rolecall.conformance.targets._aws import ApiProvisioner

    target: Any = load_target(name)
    reset_moto()
    target.start()
    watch = Stopwatch()
    provisioning_calls = 0

    def count_calls(fn: Callable[..., int]) -> Callable[..., int]:
        def wrapper(*args: Any, **kwargs: Any) -> int:
            nonlocal provisioning_calls
            n = fn(*args, **kwargs)
            provisioning_calls += n
            return n

        return wrapper

    try:
        _quiet_werkzeug()
        conf = Conformance(target, Expectations(target=name))
        run_corpus(conf, corpus[:WARMUP_SCENARIOS])
        with contextlib.ExitStack() as stack:
            stack.enter_context(watch.patch(model, "load_scenario", MODEL))
            stack.enter_context(watch.patch(model, "decide", MODEL))
            stack.enter_context(watch.patch(target._api, "assume", ASSUME))
            if name == "moto" or getattr(target, "provision", "") == "backend":
                import rolecall.conformance.targets.moto as moto_targets

                stack.enter_context(watch.patch(moto_targets, "_provision_in_backends", f"{PROVISION} (moto backends)"))
                if name == "moto":
                    stack.enter_context(watch.patch(target._mock, "reset", "world reset (mock_aws.reset)"))
                else:
                    stack.enter_context(
                        watch.patch(target, "_moto_api", lambda path, body: f"control: /moto-api/{path}")
                    )
            else:
                from botocore.endpoint import Endpoint
                from moto.moto_server.werkzeug_app import DomainDispatcherApplication

                stack.enter_context(watch.patch(ApiProvisioner, "provision", f"{PROVISION} (IAM/STS over HTTP)"))
                stack.enter_context(watch.patch(target, "_moto_api", lambda path, body: f"control: /moto-api/{path}"))
                stack.enter_context(watch.patch(Endpoint, "_send", "http: botocore round trip (Endpoint._send)"))
                stack.enter_context(watch.patch(DomainDispatcherApplication, "__call__", "server: moto WSGI app"))
                stack.enter_context(
                    watch.patch(
                        DomainDispatcherApplication, "get_application", "server: of which URL->service dispatch"
                    )
                )
                original_calls = ApiProvisioner.calls
                ApiProvisioner.calls = count_calls(original_calls)  # type: ignore[method-assign]
                stack.callback(setattr, ApiProvisioner, "calls", original_calls)
            t0 = time.perf_counter()
            done, _ = run_corpus(conf, corpus)
            total = time.perf_counter() - t0
    finally:
        target.stop()
    inside_labels = [k for k in watch.seconds if k.startswith(("http:", "server:"))]
    parts = [(k, watch.seconds[k], watch.calls[k]) for k in watch.seconds if k not in inside_labels]
    inside = [(k, watch.seconds[k], watch.calls[k]) for k in inside_labels]
    return Split(name, done, total, parts, inside, provisioning_calls)


# =========================================================================== diagnostic: MotoServerTarget what-ifs


def what_if_targets() -> list[tuple[str, Any]]:
    """DIAGNOSTIC variants of ``MotoServerTarget`` (nothing in ``conformance/`` is changed).

    * ``control calls in-process``: ``/moto-api/reset-auth`` and ``/moto-api/reset`` done by
      setting moto's settings / resetting its backends directly (the suite starts the
      ``ThreadedMotoServer`` in its own process, so it can); provisioning stays on HTTP.
    * ``single-threaded server``: moto's WSGI app on werkzeug's server with ``threaded=False``
      instead of ``ThreadedMotoServer`` (a new thread per request); everything else unchanged.
    * both of the above.
    * ``backend provisioning``: provision through moto's backends in this process, exactly as
      ``MotoTarget._provision`` does, with enforcement on all along; only the AssumeRole under
      test (and the reset every ``RESET_EVERY`` scenarios) goes over HTTP.
    """
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    from rolecall.conformance.targets._aws import AwsApi
    from rolecall.conformance.targets.moto import MotoServerTarget

    class InProcessControl(MotoServerTarget):
        """MotoServerTarget with its control calls done in-process instead of over HTTP."""

        def _moto_api(self, path: str, body: str) -> None:
            if path == "reset-auth":
                settings.INITIAL_NO_AUTH_ACTION_COUNT = float(body)
                ActionAuthenticatorMixin.request_count = 0
            elif path == "reset":
                from moto.moto_api._internal.models import moto_api_backend

                moto_api_backend.reset()
            else:
                super()._moto_api(path, body)

    class SingleThreaded(MotoServerTarget):
        """MotoServerTarget on a single-threaded werkzeug server (no thread started per request)."""

        def start(self) -> None:
            if self._server is not None:
                return
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            self._server = SingleThreadedMotoServer()
            self._server.start()
            _, port = self._server.get_host_and_port()
            self.endpoint_url = f"http://127.0.0.1:{port}"
            self._api = AwsApi(self.endpoint_url, self._headers)
            self._moto_api("reset-auth", "0")

    class SingleThreadedInProcessControl(SingleThreaded, InProcessControl):
        """Both: single-threaded server, control calls in-process."""

    return [
        ("control calls in-process", InProcessControl(provision="http")),
        ("single-threaded werkzeug server", SingleThreaded(provision="http")),
        ("single-threaded server + control in-process", SingleThreadedInProcessControl(provision="http")),
        ("backend provisioning, AssumeRole over HTTP (today's moto-server)", MotoServerTarget()),
    ]


class SingleThreadedMotoServer:
    """DIAGNOSTIC: what ``ThreadedMotoServer`` runs (moto's WSGI app, its request handler) with ``threaded=False``.

    Same interface as ``ThreadedMotoServer`` (``start``, ``get_host_and_port``, ``stop``), on
    127.0.0.1 and a free port. werkzeug closes every connection either way; this only saves
    starting a thread per request.
    """

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-single", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def get_host_and_port(self) -> tuple[str, int]:
        return "127.0.0.1", int(self._server.server_address[1])

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


@dataclass
class WhatIf:
    """A what-if variant's timing, and how often its outcomes equal the unmodified target's."""

    label: str
    run: TargetRun
    same: int
    compared: int


def bench_what_ifs(corpus: Sequence[dict[str, Any]], repeat: int) -> list[WhatIf]:
    """Time the unmodified ``MotoServerTarget`` and each :func:`what_if_targets` variant, interleaved.

    All are started at once (each on its own server, with its own range of fresh accounts,
    so that their scenarios never collide in moto's shared backends); every repetition runs
    one pass of each, in a rotating order, so all see the same machine conditions. The first
    entry of the result is the unmodified target; outcomes are compared with its first pass.
    """
    from rolecall.conformance._world import FreshAccounts
    from rolecall.conformance.expectations import Expectations
    from rolecall.conformance.session import Conformance
    from rolecall.conformance.targets.moto import MotoServerTarget

    entries: list[tuple[str, Any]] = [
        ("MotoServerTarget(provision='http') (moto-server-http)", MotoServerTarget(provision="http")),
        *what_if_targets(),
    ]
    reset_moto()
    started: list[Any] = []
    confs: list[Any] = []
    runs: list[TargetRun] = []
    try:
        for k, (label, target) in enumerate(entries):
            target._fresh = FreshAccounts(200_000_000_000 + k * 10_000_000_000)
            t0 = time.perf_counter()
            target.start()
            started.append(target)
            start_seconds = time.perf_counter() - t0
            _quiet_werkzeug()
            confs.append(Conformance(target, Expectations(target="moto-server")))
            t0 = time.perf_counter()
            run_corpus(confs[-1], corpus[:WARMUP_SCENARIOS])
            runs.append(TargetRun(label, 0, 0, [], start_seconds, time.perf_counter() - t0))
        for i in range(repeat):
            for k in [(i + j) % len(entries) for j in range(len(entries))]:
                t0 = time.perf_counter()
                done, skipped = run_corpus(confs[k], corpus, runs[k] if i == 0 else None)
                runs[k].times.append(time.perf_counter() - t0)
                runs[k].scenarios, runs[k].unsupported = done, skipped
    finally:
        for target in reversed(started):
            target.stop()
    base = runs[0].results
    return [
        WhatIf(r.name, r, sum(a == b for a, b in zip(base, r.results, strict=False)), min(len(base), len(r.results)))
        for r in runs
    ]


# =========================================================================== report


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def other_conformance_runs() -> list[str]:
    """Other processes running ``rolecall conformance`` (their pid and command), read from /proc."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        if entry.name == str(os.getpid()):
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if "rolecall conformance" in cmd and not cmd.startswith("timeout "):
            found.append(f"pid {entry.name}: {cmd[:100]}")
    return found


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine() -> str:
    """Cores, Python, and the versions that matter."""
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return (
        f"{platform.python_implementation()} {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{cores} CPUs ({usable} usable), moto {_version('moto')}, boto3 {_version('boto3')}, "
        f"werkzeug {_version('werkzeug')}, hypothesis {_version('hypothesis')}"
    )


def _rate(rates: Sequence[float]) -> str:
    med = statistics.median(rates)
    return f"{med:,.1f} (range {min(rates):,.1f}-{max(rates):,.1f})"


# =========================================================================== the switch's overhead

EXACT_LIMIT = 1.3
"""The issue's limit: moto with the switch at most 1.3 x slower per AssumeRole than moto without it."""


@dataclass
class ExactRun:
    """Per transport: moto's own AssumeRole (IAM enforcement off, moto's default; and on) and the same
    calls with the switch of :mod:`rolecall.conformance.moto_exact` on, interleaved repetitions."""

    transport: str
    calls: int
    off: list[float] = field(default_factory=list)
    on: list[float] = field(default_factory=list)
    exact: list[float] = field(default_factory=list)

    @staticmethod
    def ms(times: list[float], calls: int) -> float:
        return statistics.median(times) / calls * 1e3

    def ratio(self) -> float:
        """The switch's time per call over moto's fastest own (enforcement off): the stricter ratio."""
        return self.ms(self.exact, self.calls) / self.ms(self.off, self.calls)


def bench_exact(name: str, repeat: int, calls: int) -> ExactRun:
    """Start target ``name`` (for its moto: ``mock_aws`` or a ``ThreadedMotoServer``), then ``repeat``
    times: ``calls`` bare AssumeRole calls by moto with enforcement off, on, and with the switch
    (rolecall's model decides; moto's enforcement, which the switch bypasses for AssumeRole, stays on)."""
    from rolecall.conformance.moto_exact import exact_sts
    from rolecall.conformance.targets import load_target

    target: Any = load_target(name)
    reset_moto()
    target.start()
    try:
        _quiet_werkzeug()
        url = getattr(target, "endpoint_url", None) if name == "moto-server" else None
        run = ExactRun(TRANSPORT[name], calls)
        for _ in range(repeat):
            run.off.append(BarePeer(url, enforce=False).repetition(calls))
            run.on.append(BarePeer(url).repetition(calls))
            with exact_sts():
                run.exact.append(BarePeer(url).repetition(calls))
        return run
    finally:
        target.stop()


def report_exact(runs: Sequence[ExactRun], repeat: int) -> bool:
    """The switch's table: ms per AssumeRole side by side; whether every ratio is within the limit."""
    print(
        f"moto with AWS-exact AssumeRole (rolecall.conformance.moto_exact) vs moto without it: {repeat} interleaved "
        f"repetition(s) of {runs[0].calls if runs else 0} bare assume_role calls each (median ms per call)"
    )
    print()
    head = (
        f"{'transport':<20} | {'moto, enforcement off':>21} | {'moto, enforcement on':>20} | "
        f"{'moto + exact_sts':>16} | {'ratio':>5} | target"
    )
    print(head)
    print("-" * len(head) + "-------------")
    ok_all = True
    for r in runs:
        ok = r.ratio() <= EXACT_LIMIT
        ok_all &= ok
        print(
            f"{r.transport:<20} | {r.ms(r.off, r.calls):21.3f} | {r.ms(r.on, r.calls):20.3f} | "
            f"{r.ms(r.exact, r.calls):16.3f} | {r.ratio():5.2f} | <= {EXACT_LIMIT} {_status(ok)}"
        )
    print()
    print(
        "ratio = moto + exact_sts / moto with enforcement off (moto's default and its fastest AssumeRole: it checks "
        "nothing); the switch reads the accounts from moto and decides with the model on every call"
    )
    return ok_all


def report_main(runs: dict[str, TargetRun], bares: dict[str, BareRun], n: int, repeat: int, bare_calls: int) -> bool:
    """The side-by-side table; returns whether every target is met."""
    print(
        f"Timing: {repeat} repetition(s) of the whole corpus per target (median, range); peer: {repeat} x "
        f"{bare_calls} bare assume_role calls (median, range); gc on; {WARMUP_SCENARIOS} scenarios / "
        f"{WARMUP_CALLS} calls of warm-up untimed"
    )
    print()
    head = (
        f"{'transport':<20} | {'rolecall scenarios/s (provisioning included)':<44} | "
        f"{'moto bare assume_role calls/s':<32} | {'ratio':>5} | target"
    )
    print(head)
    print("-" * len(head) + "-------------")
    ok_all = True
    for name, run in runs.items():
        bare = bares[name]
        ok = run.median >= TARGETS[name]
        ok_all &= ok
        print(
            f"{TRANSPORT[name]:<20} | {_rate(run.rates):<44} | {_rate(bare.rates):<32} | "
            f"{run.median / bare.median:5.3f} | >= {TARGETS[name]:.0f} {_status(ok)}"
        )
    print()
    print(
        "ratio = rolecall scenarios/s / bare calls/s (a scenario costs 1/ratio bare AssumeRole calls: it also "
        "adapts, renames accounts, decides with the model, provisions and compares)"
    )
    for name, run in runs.items():
        bare = bares[name]
        out = ", ".join(f"{k} {v}" for k, v in sorted(run.outcomes.items()))
        dec = ", ".join(f"{k} {v}" for k, v in sorted(run.decisions.items()))
        print(
            f"  {TRANSPORT[name]}: {run.scenarios} scenarios per pass ({run.unsupported} Unsupported excluded), "
            f"{1e3 / run.median:.2f} ms/scenario vs {1e3 / bare.median:.2f} ms/bare call; start "
            f"{run.start_seconds * 1e3:.0f} ms, warm-up {run.warmup_seconds * 1e3:.0f} ms (untimed)"
        )
        print(f"    model decisions: {dec}; vs the model: {out}")
        print(f"    all passes (s): {' '.join(f'{t:.3f}' for t in run.times)}")
    return ok_all


def report_split(split: Split) -> None:
    """Per-scenario milliseconds of each instrumented part (diagnostic)."""
    n = max(split.scenarios, 1)
    print(
        f"  {TRANSPORT[split.name]}: {split.scenarios} scenarios in {split.total:.2f} s = {n / split.total:.1f}/s "
        f"with timers on ({1e3 * split.total / n:.2f} ms/scenario)"
    )
    rows = [*split.parts, ("rest: adapt, fresh accounts, plan, compare, timers", split.rest, 0)]
    for label, seconds, calls in rows:
        per = f"{calls / n:5.2f} calls/scenario" if calls and label != MODEL else ""
        print(f"    {label:<52}{1e3 * seconds / n:8.2f} ms/scenario {100 * seconds / split.total:5.1f}%  {per}")
    if split.provisioning_calls:
        prov = next((s for label, s, _ in split.parts if label.startswith(PROVISION)), 0.0)
        sent = sum(c for label, _, c in split.inside if label.startswith("http:"))
        assumed = sum(c for label, _, c in split.parts if label == ASSUME)
        made = max(sent - assumed, 1)  # botocore requests outside the AssumeRole under test
        print(
            f"    {'':<52}(provisioning: {split.provisioning_calls / n:.2f} HTTP calls/scenario planned "
            f"(ApiProvisioner.calls), {made / n:.2f} made (a refused call ends it), {1e3 * prov / made:.2f} ms "
            "per call made)"
        )
    for label, seconds, calls in split.inside:
        print(
            f"    {label:<52}{1e3 * seconds / n:8.2f} ms/scenario, {1e3 * seconds / max(calls, 1):.2f} ms per "
            f"HTTP request ({calls / n:.2f} requests/scenario; inside the parts above)"
        )
    control = sum(s for label, s, _ in split.parts if label.startswith("control:"))
    if control:
        print(
            f"    projection (arithmetic, not measured): without the control calls {n / (split.total - control):.1f}"
            " scenarios/s"
        )


def report_what_ifs(what_ifs: list[WhatIf]) -> None:
    """What-if variants next to the unmodified MotoServerTarget, timed interleaved with them (diagnostic)."""
    base = what_ifs[0].run
    for w in what_ifs:
        print(
            f"  {w.label:<46}{_rate(w.run.rates):<30}x{w.run.median / base.median:.2f}  "
            f"({1e3 / w.run.median:.2f} ms/scenario; same outcome as unmodified on {w.same} of {w.compared})"
        )


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run every measurement, print the report; 0 when every target is met."""
    ap = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").split("\n", 1)[0])
    ap.add_argument("--scenarios", type=int, help="corpus size (default 400; --quick 20)")
    ap.add_argument("--repeat", type=int, help="timed passes per target and bare repetitions (default 3; --quick 1)")
    ap.add_argument("--bare-calls", type=int, help="bare assume_role calls per repetition (default 500; --quick 50)")
    ap.add_argument(
        "--targets", default="moto,moto-server", help="comma-separated, among moto,moto-server (default both)"
    )
    ap.add_argument("--seed", type=int, default=SEED, help=f"Hypothesis seed of the corpus (default {SEED})")
    ap.add_argument("--quick", action="store_true", help="smoke run: 20 scenarios, 1 repetition, 50 bare calls")
    ap.add_argument("--no-split", action="store_true", help="skip the diagnostic split pass")
    ap.add_argument("--what-if", action="store_true", help="also time diagnostic MotoServerTarget variants")
    args = ap.parse_args(argv)
    names = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in names if t not in TARGETS]
    if unknown or not names:
        ap.error(f"--targets: choose among {','.join(TARGETS)}, not {args.targets!r}")
    n = args.scenarios or (20 if args.quick else 400)
    repeat = args.repeat or (1 if args.quick else 3)
    bare_calls = args.bare_calls or (50 if args.quick else 500)
    if min(n, repeat, bare_calls) < 1:
        ap.error("--scenarios, --repeat and --bare-calls must be at least 1")
    command = " ".join([PROG, *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    try:
        return run(args, names, n, repeat, bare_calls, command)
    finally:
        werkzeug.setLevel(level)  # the targets and _quiet_werkzeug change it


def run(args: argparse.Namespace, names: list[str], n: int, repeat: int, bare_calls: int, command: str) -> int:
    """Everything :func:`main` measures and prints, in order; 0 when every target is met."""
    others_before, load_before = other_conformance_runs(), _load()
    print(f"rolecall conformance throughput vs moto{'  [--quick: indicative figures only]' if args.quick else ''}")
    print(f"command: {command}")
    print(f"machine: {machine()}")
    t0 = time.perf_counter()
    corpus = draw_corpus(n, args.seed)
    print(
        f"corpus:  {len(corpus)} scenarios drawn in {time.perf_counter() - t0:.1f} s from "
        f"Conformance(model).scenarios(caller_kinds={CALLER_KINDS}), seed {args.seed}: {describe_corpus(corpus)}"
    )
    runs: dict[str, TargetRun] = {}
    bares: dict[str, BareRun] = {}
    for name in names:
        print(f"... {name}: {repeat} x ({len(corpus)} scenarios, {bare_calls} bare calls)", file=sys.stderr, flush=True)
        runs[name], bares[name] = bench_target(name, corpus, repeat, bare_calls)
        others_before += other_conformance_runs()
    others = sorted(set(others_before))
    print(f"load:    loadavg {load_before} before, {_load()} after the main figures")
    if others:
        print(f"LOADED:  another conformance run was using the machine: {'; '.join(others)}")
    print()
    ok = report_main(runs, bares, len(corpus), repeat, bare_calls)
    print()
    exact = []
    for name in names:
        print(f"... {name} + exact_sts: {repeat} x 3 x {bare_calls} bare calls", file=sys.stderr, flush=True)
        exact.append(bench_exact(name, repeat, bare_calls))
    ok = report_exact(exact, repeat) and ok

    if not args.no_split:
        print()
        print("DIAGNOSTIC (not in the figures above): one more pass per target, timers wrapped around internals")
        for name in names:
            report_split(split_target(name, corpus))
    if args.what_if and "moto-server" in runs:
        print()
        print(
            f"DIAGNOSTIC what-if: MotoServerTarget variants defined in this benchmark, {repeat} interleaved pass(es) "
            "each, median (range)"
        )
        report_what_ifs(bench_what_ifs(corpus, repeat))
    print()
    print(f"RESULT: {_status(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
