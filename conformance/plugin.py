"""The rolecall pytest plugin (registered through the ``pytest11`` entry point).

Options, each with an ini key and an environment variable (command line >
environment > ini file > default):

==============================  ===========================  ==========================  =========
option                          ini key                      environment                 default
==============================  ===========================  ==========================  =========
``--rolecall-target``           ``rolecall_target``          ``ROLECALL_TARGET``         ``moto``
``--rolecall-endpoint-url``     ``rolecall_endpoint_url``    ``ROLECALL_ENDPOINT_URL``
``--rolecall-accounts``         ``rolecall_accounts``        ``ROLECALL_ACCOUNTS``
``--rolecall-report``           ``rolecall_report``          ``ROLECALL_REPORT``
``--rolecall-expectations``     ``rolecall_expectations``    ``ROLECALL_EXPECTATIONS``   built-in
``--rolecall-call-deadline``    ``rolecall_call_deadline``   ``ROLECALL_CALL_DEADLINE``  ``15``
==============================  ===========================  ==========================  =========

plus ``--rolecall-update-expectations`` (rewrite the expectations file from
the run), ``--rolecall-strict`` (answers on points AWS leaves open count as
divergences; see ``_compare.py``) and ``--rolecall-stop-at-first`` (a property
stops at its first new divergence instead of exploring past its class; see
``session.Conformance.explore``); ``--hypothesis-seed`` draws other examples
under any profile, the derandomized ``ci`` included. Markers:
``rolecall_feature(name)`` tags a property with its feature;
``rolecall_needs(*capabilities)`` skips it, with the reason, on a target that
lacks one of them.

The plugin costs nothing until used: it imports the model, Hypothesis
strategies, boto3 or moto only when a conformance property is collected or
the ``rolecall`` fixture is requested. Safe under pytest-xdist: each worker
starts its own target (one moto server per worker, its own range of account
ids) and sends its observations to the controller, which merges them into one
report.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from .expectations import Expectations
    from .session import Conformance
    from .targets.base import TargetProtocol

__all__: list[str] = []

_OPTIONS = (
    (
        "target",
        "the conformance target: model, solver, moto, moto-server, moto-server-http, moto-exact, "
        "moto-exact-server, endpoint, or "
        "package.module:object",
        "moto",
    ),
    ("endpoint_url", "the emulator's URL, for --rolecall-target endpoint", None),
    ("accounts", "the accounts file (credentials per account), for --rolecall-target endpoint", None),
    ("report", "write report.json and CONFORMANCE.md into this directory", None),
    (
        "expectations",
        "the expectations file (default: the built-in one for the target, if any; for the endpoint target, "
        "./NAME.toml, NAME the accounts file's name)",
        None,
    ),
    (
        "call_deadline",
        "the most one call to the emulator may take, all of it, in seconds, for --rolecall-target endpoint",
        "15",
    ),
)

_STATE_KEY = pytest.StashKey["_State"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rolecall", "rolecall conformance suite for sts:AssumeRole")
    for name, help_text, default in _OPTIONS:
        flag = "--rolecall-" + name.replace("_", "-")
        env = "ROLECALL_" + name.upper()
        suffix = f" (ini rolecall_{name}, env {env}" + (f"; default {default})" if default else ")")
        group.addoption(flag, dest=f"rolecall_{name}", default=None, help=help_text + suffix)
        parser.addini(f"rolecall_{name}", help_text, default=None)
    group.addoption(
        "--rolecall-update-variants",
        action="store_true",
        dest="rolecall_update_variants",
        default=False,
        help="with --rolecall-update-expectations: a divergence is new unless an entry "
        "matches it with its scenario tags too (each tagged variant of a class gets its own entry)",
    )
    group.addoption(
        "--rolecall-update-expectations",
        action="store_true",
        dest="rolecall_update_expectations",
        default=False,
        help="rewrite the target's expectations file from this run",
    )
    group.addoption(
        "--rolecall-strict",
        action="store_true",
        dest="rolecall_strict",
        default=False,
        help="count an unverified divergence (on a point AWS leaves open: the order of validation and "
        "authorization, undocumented error codes, the AccessDenied text after the action, the 2,048-character "
        "session policy, a contested option of the semantics) like any other divergence, and run requests "
        "both invalid and unauthorized",
    )
    group.addoption(
        "--rolecall-stop-at-first",
        action="store_true",
        dest="rolecall_stop_at_first",
        default=False,
        help="a property stops at its first new divergence and Hypothesis shrinks it (the behaviour before "
        "exploring; for CI gates); by default a property runs its whole budget, each new class of divergence "
        "is learned when first met, and its later examples, in any property, count under it",
    )
    group.addoption(
        "--rolecall-no-probe",
        action="store_true",
        dest="rolecall_no_probe",
        default=False,
        help="skip the enforcement probe (an obviously refused AssumeRole must be refused before any "
        "property runs); the properties then show everything the target does not enforce",
    )


def _option(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"rolecall_{name}", None)
    if value is None:
        value = os.environ.get(f"ROLECALL_{name.upper()}") or None
    if value is None:
        ini = config.getini(f"rolecall_{name}")
        value = str(ini) if ini else None
    if value is None:
        value = next(d for n, _, d in _OPTIONS if n == name)
    return None if value is None else str(value)


def _deadline(text: str | None) -> float | None:
    """The call deadline in seconds, from an option's text: a number in (0, 3600]."""
    from .targets.endpoint import parse_deadline

    if text is None:
        return None
    try:
        return parse_deadline(text)
    except ValueError as exc:
        raise pytest.UsageError(f"rolecall: --rolecall-call-deadline: {exc}") from None


class _State:
    """The session's target and conformance tallies (created lazily)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.target_spec = _option(config, "target") or "moto"
        self.worker = getattr(config, "workerinput", {}).get("workerid")
        self._target: TargetProtocol | None = None
        self._conformance: Conformance | None = None
        self._expectations: Expectations | None = None
        self.started = time.time()
        self.tests: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"passed": 0, "failed": 0, "skipped": 0, "error": 0, "skip_reasons": []}
        )
        self.worker_data: list[dict[str, Any]] = []
        self.stopped: str | None = None
        """Why the run stopped before any property ran (the target did not start, the probe), if it did."""

    @property
    def target(self) -> TargetProtocol:
        if self._target is None:
            from .targets import TargetUnavailable, load_target

            try:
                self._target = load_target(
                    self.target_spec,
                    endpoint_url=_option(self.config, "endpoint_url"),
                    accounts=_option(self.config, "accounts"),
                    worker=self.worker,
                    deadline=_deadline(_option(self.config, "call_deadline")),
                )
            except TargetUnavailable as exc:
                raise pytest.UsageError(f"rolecall: {exc}") from None
        return self._target

    @property
    def expectations(self) -> Expectations:
        if self._expectations is None:
            from .expectations import Expectations, ExpectationsError, builtin_path
            from .targets.endpoint import endpoint_expectations_name

            given = _option(self.config, "expectations")
            name = self.target_spec if ":" not in self.target_spec else self.target_spec.replace(":", ".")
            if given:
                path = Path(given)
            elif self.target_spec == "endpoint":
                # an emulator of the user's own: its file is the user's, named after the accounts file's
                # `name`, in the working directory (never in the installed package, never shared)
                path = Path(endpoint_expectations_name(self.target.name))
            else:
                path = builtin_path(name)
            try:
                self._expectations = Expectations.load(path, self.target_spec)
            except ExpectationsError as exc:
                raise pytest.UsageError(f"rolecall: {exc}") from None
        return self._expectations

    def conformance(self) -> Conformance:
        if self._conformance is None:
            from .session import Conformance
            from .targets import TargetError

            target = self.target
            try:
                target.start()
            except TargetError as exc:
                self.stopped = f"target {target.name} is unavailable: {exc}"
                pytest.exit(f"rolecall: {self.stopped}", returncode=3)
            self._conformance = Conformance(
                target,
                self.expectations,
                strict=bool(self.config.getoption("rolecall_strict", False)),
                # explore past found classes, unless told to stop at the first, or rewriting the expectations
                # (whose rounds rerun what failed, each class shrunk by Hypothesis, as before)
                explore=not (
                    self.config.getoption("rolecall_stop_at_first", False)
                    or self.config.getoption("rolecall_update_expectations", False)
                ),
                is_alive=lambda: _answers_the_probe(target),
                update=bool(
                    self.config.getoption("rolecall_update_expectations")
                    and self.config.getoption("rolecall_update_variants")
                ),
            )
            problem = None if self.config.getoption("rolecall_no_probe") else _probe(self._conformance)
            if problem:
                self.stopped = problem  # the report says why nothing ran
                pytest.exit(f"rolecall: {problem}", returncode=3)
        return self._conformance

    def stop(self) -> None:
        if self._target is not None and self._conformance is not None:
            self._target.stop()


def _answers_the_probe(target: TargetProtocol) -> bool:
    """Whether the target still answers the probe's plain request (the circuit breaker's question:
    Conformance.BREAKER_*); a target with no probe request for its capabilities is taken as down."""
    from .targets import TargetError

    probes = _probe_scenarios(target.capabilities)
    if not probes:
        return False
    try:
        target.run(target.prepare(probes[0][1]))
    except TargetError:
        return False
    return True


def _probe_scenarios(caps: frozenset[str]) -> list[tuple[str, dict[str, Any]]]:
    """The probe's requests for a target with capabilities ``caps``: obviously refused AssumeRoles."""
    from .targets import Capability

    probes = []
    user = "arn:aws:iam::111111111111:user/probe"
    allow_all = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }
    if Capability.TRUST_ENFORCEMENT in caps and Capability.USER_CALLERS in caps:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Principal": {"AWS": "arn:aws:iam::111111111111:user/other"},
                }
            ],
        }
        probes.append(
            (
                "a trust policy naming someone else",
                {
                    "caller": {"arn": user, "identity_policies": [allow_all]},
                    "role": {"arn": "arn:aws:iam::111111111111:role/probe", "trust_policy": trust},
                    "request": {"role_session_name": "probe"},
                },
            )
        )
    if Capability.IDENTITY_ENFORCEMENT in caps and Capability.MULTI_ACCOUNT in caps and Capability.USER_CALLERS in caps:
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "111111111111"}}],
        }
        probes.append(
            (
                "a cross-account caller without any identity policy",
                {
                    "caller": {"arn": user},
                    "role": {"arn": "arn:aws:iam::222222222222:role/probe", "trust_policy": trust},
                    "request": {"role_session_name": "probe"},
                },
            )
        )
    return probes


def _probe(c: Conformance) -> str | None:
    """Check that the target enforces what it claims before any property runs: an obviously
    refused AssumeRole must be refused (moto with IAM enforcement off allows everything)."""
    from .targets import TargetError

    probes = _probe_scenarios(c.target.capabilities)
    for what, doc in probes:
        try:
            out = c.target.run(c.target.prepare(doc))
        except TargetError as exc:
            return f"enforcement probe failed on target {c.target.name}: {exc}"
        if out.result.get("decision") == "allowed":
            return (
                f"target {c.target.name} allowed an AssumeRole that AWS refuses ({what}): its IAM "
                "enforcement is off, or it does not have the capabilities it declares; stopping"
            )
    return None


def _state(config: pytest.Config) -> _State:
    state = config.stash.get(_STATE_KEY, None)
    if state is None:
        state = _State(config)
        config.stash[_STATE_KEY] = state
    return state


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    chosen = config.getoption("hypothesis_profile", None)
    if chosen in ("dev", "ci", "nightly"):
        # rolecall's profiles (strategies.register_profiles), registered before Hypothesis loads one
        from rolecall.strategies import register_profiles

        register_profiles()
    elif chosen is None and not os.environ.get("HYPOTHESIS_PROFILE") and _wants_conformance(config):
        # a conformance run told no profile runs the ci profile (derandomized, no deadline), as
        # `rolecall conformance` does, never Hypothesis's defaults (a 200 ms deadline, random draws)
        from hypothesis import settings

        from rolecall.strategies import register_profiles

        register_profiles()
        settings.load_profile("ci")
    report = _option(config, "report")
    if report and _wants_conformance(config):
        # everything Hypothesis stores (its example database among it) under the report directory, never
        # in the working directory (set before Hypothesis creates anything there)
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(str(Path(report) / ".hypothesis"))
    config.addinivalue_line("markers", "rolecall_feature(name): the conformance feature a property checks")
    config.addinivalue_line("markers", "rolecall_needs(*capabilities): target capabilities a property needs")
    _state(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    """A seed given with ``--hypothesis-seed`` draws other examples under every profile: the ``ci``
    profile is derandomized (its draws depend on the property alone), which would ignore the seed
    silently, so a seeded run loads the same profile with ``derandomize`` off (named
    ``PROFILE+seed``).

    Hypothesis's example database never lands in the working directory of a conformance run: it
    goes under the report directory (``DIR/.hypothesis``, so that a rerun with the same report tries
    the last failures first), or is off when there is no report directory (the ``ci`` profile has
    none anyway)."""
    if not _wants_conformance(session.config):
        return
    from hypothesis import settings

    current = settings()
    if current.database is not None:
        from hypothesis.database import DirectoryBasedExampleDatabase

        directory = _option(session.config, "report")
        database = DirectoryBasedExampleDatabase(str(Path(directory) / ".hypothesis")) if directory else None
        settings.register_profile(_profile(), parent=current, database=database)
        settings.load_profile(_profile())
        current = settings()
    seed = session.config.getoption("hypothesis_seed", None)
    if seed is None:
        return
    if current.derandomize:
        name = f"{_profile()}+seed"
        settings.register_profile(name, parent=current, derandomize=False)
        settings.load_profile(name)


_HERE = Path(__file__).resolve().parent


def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """This package's own directory is collected as a plain directory: pytest would otherwise
    import its ``__init__.py`` under the name ``conformance`` (``rolecall`` is a namespace
    package, which pytest's default import mode does not see), beside ``rolecall.conformance``,
    and clash with any other top-level ``conformance`` on the path."""
    if path.resolve() == _HERE:
        return pytest.Dir.from_parent(parent, path=path)
    return None


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """The shipped properties import under their own names, ``rolecall.conformance.test_*``,
    whatever pytest's import mode and namespace-package setting (a user's own ``conformance`` or
    ``model`` module never shadows them)."""
    if module_path.resolve().parent != _HERE:
        return None
    import importlib

    module = pytest.Module.from_parent(parent, path=module_path)
    module.obj = obj = importlib.import_module(f"{__package__}.{module_path.stem}")
    marks = getattr(obj, "pytestmark", [])
    for mark in marks if isinstance(marks, list) else [marks]:  # what pytest reads when it imports the module
        module.add_marker(mark)
    return module


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = _state(config)
    if state._target is None and not _wants_conformance(config):
        return []
    t = state.target
    lines = [f"rolecall: target {t.name} {t.version} ({len(t.capabilities)} capabilities)"]
    note = state.expectations.version_note(t.name, str(t.version))
    if note:
        lines.append(f"rolecall: {note}: entries that no longer reproduce are reported as fixed in this version")
    return lines


def _wants_conformance(config: pytest.Config) -> bool:
    args = " ".join(str(a) for a in config.args)
    return "conformance" in args or any(config.getoption(f"rolecall_{n}", None) for n, _, _ in _OPTIONS)


#: The order the properties run in: the two-sided rule first (same-account, whose direct grants need the trust
#: policy alone, then principals, cross-account, explicit deny), then the features that build on it, then the
#: aspects beyond the decision, the expectations last. A fault in the core is met first by a property whose
#: scenarios are the leanest, so the first report (and what `-x` stops at) is a small counterexample; the
#: detection run (tests/quality) measures this.
FEATURE_ORDER = (
    "same-account",
    "principals",
    "cross-account",
    "explicit-deny",
    "wildcards-and-case",
    "conditions",
    "boundaries-and-session-policies",
    "organizations",
    "session-tags-and-source-identity",
    "durations-and-chaining",
    "request-validation",
    "response",
    "access-denied-message",
    "federation",
    "expectations",
)


def _run_order(item: pytest.Item) -> int:
    feature = _feature(item)
    return FEATURE_ORDER.index(feature) if feature in FEATURE_ORDER else -1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if any(_feature(i) for i in items):
        items.sort(key=_run_order)  # stable; tests without a rolecall feature run first
    needing = [i for i in items if i.get_closest_marker("rolecall_needs")]
    if not needing:
        return
    caps = _state(config).target.capabilities
    for item in needing:
        marker = item.get_closest_marker("rolecall_needs")
        assert marker is not None
        missing = [str(c) for c in marker.args if str(c) not in caps]
        if missing:
            t = _state(config).target
            item.add_marker(pytest.mark.skip(reason=f"target {t.name} lacks {', '.join(missing)}"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rolecall_expectation" in metafunc.fixturenames:
        exp = _state(metafunc.config).expectations
        entries = exp.entries
        if not entries:
            # one skipped row that says why, not pytest's "got empty parameter set"
            where = exp.path if exp.path is not None else "no file"
            why = (
                f"nothing to replay: {where} has no entries"
                if exp.path is not None and exp.path.exists()
                else f"nothing to replay: no expectations file ({where} does not exist; "
                "--update-expectations writes it)"
            )
            metafunc.parametrize(
                "rolecall_expectation", [pytest.param(None, marks=pytest.mark.skip(reason=why))], ids=["none"]
            )
            return
        metafunc.parametrize("rolecall_expectation", entries, ids=[e.id for e in entries])


@pytest.fixture(scope="session")
def rolecall(request: pytest.FixtureRequest, record_testsuite_property: Any) -> Iterator[Conformance]:
    """The :class:`Conformance` session: the started target, its expectations, the tallies."""
    state = _state(request.config)
    c = state.conformance()
    t = c.target
    for key, value in (("rolecall_target", t.name), ("rolecall_target_version", t.version)):
        with contextlib.suppress(Exception):  # xdist workers cannot record suite properties
            record_testsuite_property(key, value)
    yield c
    state.stop()


@pytest.fixture
def rolecall_exact_sts() -> Iterator[None]:
    """moto with AWS-exact AssumeRole for one test: every AssumeRole moto answers in this process
    (``mock_aws``, a ``ThreadedMotoServer``) is decided by rolecall's model
    (:func:`rolecall.conformance.moto_exact.exact_sts`). Use it beside ``mock_aws`` or moto's fixtures."""
    from .moto_exact import exact_sts

    with exact_sts():
        yield


def _feature(item: pytest.Item) -> str | None:
    m = item.get_closest_marker("rolecall_feature")
    return str(m.args[0]) if m and m.args else None


def _progress_writer(config: pytest.Config) -> Callable[[str], None] | None:
    """Write a progress line to the terminal from inside a running property (its output is captured
    then: capture is suspended around the line); ``None`` on an xdist worker, whose terminal nobody sees."""
    if hasattr(config, "workerinput"):
        return None
    tr = config.pluginmanager.get_plugin("terminalreporter")
    capman = config.pluginmanager.get_plugin("capturemanager")
    if tr is None:
        return None

    def write(line: str) -> None:
        with capman.global_and_fixture_disabled() if capman is not None else contextlib.nullcontext():
            tr.write_line(f"rolecall: {line}")
            tr.flush()

    return write


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, None]:
    yield  # after the fixtures: the first property's setup creates the session
    if _feature(item) is not None:
        c = _state(item.config)._conformance
        if c is not None:
            c.start_test(item.name)
            c.progress = _progress_writer(item.config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """An exploring property that ran its whole budget fails at its end with the classes of new divergence
    it met first (one :class:`~rolecall.conformance.session.NewDivergence` each, in an ``ExceptionGroup``):
    the report hook then reduces each and records it, as it does the shrunk one of a stopping run."""
    result = yield
    c = _state(item.config)._conformance if _feature(item) is not None else None
    if c is not None and c.explore and c.pending:
        from .session import new_divergence

        found = [new_divergence(d) for d in c.pending.values()]
        counted = ", ".join(f"{c.classes[k].count} example(s)" for k in c.pending)
        raise ExceptionGroup(
            f"{len(found)} new class(es) of divergence ({counted}; the property ran its whole budget)", found
        )
    return result


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    feature = _feature(item)
    if feature is None:
        return
    rep: pytest.TestReport = outcome.get_result()
    state = _state(item.config)
    tally = state.tests[feature]
    if rep.when == "setup":
        tally_setup(rep, tally)
    elif rep.when == "call":
        _tally_call(item, call, rep, state, tally)


def tally_setup(rep: pytest.TestReport, tally: dict[str, Any]) -> None:
    """A property's setup: skipped (with its reason, once) or an error; a passed setup counts nothing."""
    if rep.skipped:
        tally["skipped"] += 1
        reason = (rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)).removeprefix("Skipped: ")
        if reason not in tally["skip_reasons"]:
            tally["skip_reasons"].append(reason)
    elif rep.failed:
        tally["error"] += 1


def _tally_call(
    item: pytest.Item, call: pytest.CallInfo[None], rep: pytest.TestReport, state: _State, tally: dict[str, Any]
) -> None:
    """A property's call: its divergences reduced and recorded, the breaker's stop, and its count in the tally."""
    exc = call.excinfo.value if call.excinfo else None
    divergences = list(_divergences(exc))
    c = state._conformance
    if c is not None and _is_down(exc):
        # the target went down during the property, maybe while Hypothesis was shrinking: keep the
        # smallest example of each class it had met (not fully shrunk, but real and replayable)
        divergences = list(c.pending.values())
    unanswered = c.test_target_errors if c is not None else 0
    if c is not None:
        divergences = _reduced(c, divergences)
        c.new.extend(divergences)
        if c.down is not None:
            item.session.shouldstop = f"rolecall: {c.down}"  # the circuit breaker: no property runs after
    if _is_down(exc):
        # the breaker's reason in one line, not the traceback of the call that met it
        rep.longrepr = f"rolecall: {exc}; the run stops here"
    tally[_call_outcome(rep, exc, divergences, unanswered)] += 1


def _reduced(c: Conformance, divergences: list[Any]) -> list[Any]:
    """After Hypothesis's shrinking, each divergence with what it does not need deleted from its scenario
    (as found when the target is down, or goes down while reducing)."""
    from ._reduce import reduce_divergence
    from .session import TargetDown

    reduced = []
    for d in divergences:
        try:
            reduced.append(d if c.down else reduce_divergence(c, d))
        except TargetDown:
            reduced.append(d)  # the target went down while reducing: report it as found
    return reduced


def _call_outcome(rep: pytest.TestReport, exc: BaseException | None, divergences: list[Any], unanswered: int) -> str:
    """The tally a property's call counts in: the target failing or not answering is an error, not a failure."""
    if rep.passed and unanswered:
        return "error"  # the target did not answer some examples: they were not checked
    if rep.passed:
        return "passed"
    if rep.skipped:
        return "skipped"
    if (divergences and all(d.facts.get("target") == "target-error" for d in divergences)) or _target_failed(exc):
        return "error"
    return "failed"


def _is_down(exc: BaseException | None) -> bool:
    from .session import TargetDown

    return isinstance(exc, TargetDown)


def _target_failed(exc: BaseException | None) -> bool:
    from .session import TargetDown, TargetFailed

    return isinstance(exc, TargetFailed | TargetDown)


def _divergences(exc: BaseException | None) -> Iterator[Any]:
    from .session import NewDivergence

    if isinstance(exc, NewDivergence):
        yield exc.divergence
    elif isinstance(exc, BaseExceptionGroup):
        for e in exc.exceptions:
            yield from _divergences(e)


def _payload(state: _State) -> dict[str, Any]:
    c = state._conformance
    return {
        "tests": dict(state.tests),
        "data": c.data() if c is not None else None,
        "down": (c.down if c is not None else None) or state.stopped,
    }


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist controller: collect a worker's observations."""
    raw = getattr(node, "workeroutput", {}).get("rolecall")
    if raw:
        _state(node.config).worker_data.append(json.loads(raw))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(_STATE_KEY, None)
    if state is None:
        return
    if hasattr(config, "workerinput"):  # an xdist worker: hand everything to the controller
        config.workeroutput["rolecall"] = json.dumps(_payload(state), default=str)  # type: ignore[attr-defined]
        return
    payloads = [_payload(state), *state.worker_data]
    if not any(p["data"] or p["tests"] or p["down"] for p in payloads):
        return
    from ._report import build_report, merge_data

    tests = _merged_tests(payloads)
    data = merge_data([p["data"] for p in payloads if p["data"]])
    meta = _run_meta(state, exitstatus, payloads)
    report = build_report(meta, dict(tests), data, state.expectations)
    state.report = report  # type: ignore[attr-defined]
    _set_exit_status(session, report, exitstatus)
    _write_outputs(session, state, report)


def _merged_tests(payloads: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The tallies of every process (the controller's and each xdist worker's) summed per feature."""
    tests: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"passed": 0, "failed": 0, "skipped": 0, "error": 0, "skip_reasons": []}
    )
    for p in payloads:
        for feature, t in p["tests"].items():
            for k in ("passed", "failed", "skipped", "error"):
                tests[feature][k] += t[k]
            tests[feature]["skip_reasons"] += [r for r in t["skip_reasons"] if r not in tests[feature]["skip_reasons"]]
    return tests


def _run_meta(state: _State, exitstatus: int, payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's facts about the run: versions, target, profile, timing, how it stopped, how to replay."""
    target = state.target
    return {
        "rolecall_version": _rolecall_version(),
        "target_name": target.name,
        "target_version": target.version,
        "capabilities": sorted(str(c) for c in target.capabilities),
        "profile": _profile(),
        "started": state.started,
        "duration_seconds": time.time() - state.started,
        "interrupted": exitstatus == pytest.ExitCode.INTERRUPTED or any(p.get("down") for p in payloads),
        "stopped": next((p["down"] for p in payloads if p.get("down")), None),
        "replay": _replay_command(state),
        "report_dir": _option(state.config, "report"),
        "scripts": state.target_spec != "endpoint",
    }


def _set_exit_status(session: pytest.Session, report: dict[str, Any], exitstatus: int) -> None:
    """Exit 3 when the target was down, or when the target failing was the only problem."""
    s = report["summary"]
    if report.get("stopped"):
        session.exitstatus = 3  # the circuit breaker found the target down
    elif exitstatus in (pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.OK) and s["failed"] == 0 and s["error"] > 0:
        # the only problems were the target failing (a property's divergences all target errors, a
        # replay the target could not answer, a target that did not start): the target failed, exit 3
        session.exitstatus = 3


def _write_outputs(session: pytest.Session, state: _State, report: dict[str, Any]) -> None:
    """The report directory (--rolecall-report) and the updated expectations (--rolecall-update-expectations)."""
    config = session.config
    directory = _option(config, "report")
    if directory:
        from ._report import write_report

        paths = _written(session, lambda: write_report(Path(directory), report))
        if paths is not None:
            state.report_paths = paths  # type: ignore[attr-defined]
    if config.getoption("rolecall_update_expectations"):
        from ._update import update_expectations

        updated = _written(session, lambda: update_expectations(state.expectations, report, state.target))
        if updated is not None:
            state.updated = updated  # type: ignore[attr-defined]


def _replay_command(state: _State) -> str:
    """The ``rolecall replay`` command line that runs one scenario on this run's target (the scenario
    file to be added): for the endpoint target, its URL and the accounts file by absolute path, so that
    it works from any directory against the same emulator."""
    import shlex

    argv = ["rolecall", "replay", "--target", state.target_spec]
    if state.target_spec == "endpoint":
        url, accounts = _option(state.config, "endpoint_url"), _option(state.config, "accounts")
        argv += ["--endpoint-url", str(url), "--accounts", str(Path(str(accounts)).resolve())]
        deadline = state.config.getoption("rolecall_call_deadline", None)
        if deadline:
            argv += ["--call-deadline", str(deadline)]
    return " ".join(shlex.quote(a) for a in argv)


_W = TypeVar("_W")


def _written(session: pytest.Session, write: Callable[[], _W]) -> _W | None:
    """``write()``; a file that cannot be written (a full disk, a file-size limit) is one line and exit 2
    (``rolecall conformance``; pytest's usage error), the file as it was (written atomically)."""
    try:
        return write()
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"rolecall: cannot write{where} ({exc.strerror or exc}); the file there is unchanged\n")
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
        return None


def _rolecall_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rolecall")
    except PackageNotFoundError:
        return "checkout"


def _profile() -> str:
    """The name of the loaded Hypothesis profile."""
    from hypothesis import settings

    current = getattr(settings, "get_current_profile_name", None)  # Hypothesis 6.120 and later
    if current is not None:
        return str(current())
    return str(getattr(settings(), "_current_profile", None) or os.environ.get("HYPOTHESIS_PROFILE", "default"))


def _verdict(report: dict[str, Any], state: _State) -> list[str]:
    """The plain last words of a run: how many known ways the target diverges, how many new; and,
    against another version than the expectations', which entries it no longer has."""
    s = report["summary"]
    out = _stop_lines(report)
    out += _divergence_lines(report, state)
    out += _class_lines(report)
    unanswered = s.get("target_errors", 0)
    if unanswered:
        out.append(
            f"{unanswered} example{'s' if unanswered != 1 else ''} the target did not answer (refused or reset "
            "connections, deadlines): not checked, not divergences; see target_errors in report.json"
        )
    opened = s.get("open_points", {})
    if opened:
        out.append(
            f"{sum(opened.values())} unverified divergence(s), on points AWS leaves open ("
            + ", ".join(f"{k} {v}" for k, v in opened.items())
            + "; facts the semantics tag inferred or contested): not failing the run, see the report; "
            "--strict counts them"
        )
    return out


def _stop_lines(report: dict[str, Any]) -> list[str]:
    """Whether the run was stopped (the breaker) or interrupted: the report covers only what ran."""
    if report.get("stopped"):
        return [f"stopped: {report['stopped']}; this report covers only what ran before"]
    if report.get("interrupted"):
        return ["interrupted: this report covers only what ran before the run was stopped"]
    return []


def _divergence_lines(report: dict[str, Any], state: _State) -> list[str]:
    """The expectations' version note with the entries fixed since, then the known and new divergence counts."""
    t, s, e = report["target"], report["summary"], report["expectations"]
    replayed: dict[str, str] = e.get("replayed", {})
    fixed = sorted(k for k, v in replayed.items() if v == "fixed")
    out = []
    note = state.expectations.version_note(t["name"], str(t["version"]))
    if note:
        out.append(
            f"the {note}" + (f": fixed in {t['version']}: {', '.join(fixed)}" if fixed else ": every entry still holds")
        )
    known = (e["entries"] - len(fixed)) if replayed else s["known_divergences"]
    new = s["new_divergences"]
    errors = sum(
        1
        for d in report["divergences"]
        if d.get("status") == "new" and d.get("facts", {}).get("target") == "target-error"
    )  # new divergences that are the target failing, not answering
    out.append(
        f"{t['name']} {t['version']} diverges from AWS in {known} known way{'s' if known != 1 else ''}; "
        f"{new} new"
        + (f" ({errors} of them target errors)" if errors else "")
        + ("." if new == 0 else ": see the report.")
    )
    return out


def _class_lines(report: dict[str, Any]) -> list[str]:
    """The classes of new divergence: their sizes when explored, or why there are fewer classes than divergences."""
    new = report["summary"]["new_divergences"]
    classes = report.get("classes", [])
    explored = any("hits" in d for d in report["divergences"] if d.get("status") == "new")
    if classes and explored:
        return [
            f"{len(classes)} class(es) of new divergence, by examples: "
            + ", ".join(f"{c['count']}" for c in classes[:12])
            + (", …" if len(classes) > 12 else "")
            + " (report.json: classes)"
        ]
    if len(classes) < new:
        return [
            f"the {new} new divergences are {len(classes)} classes: later properties stopped on a class an "
            "earlier one found (without --stop-at-first each class is reported once, with its count)"
        ]
    return []


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE_KEY, None)
    report = getattr(state, "report", None)
    if state is None or report is None:
        return
    tr = terminalreporter
    t = report["target"]
    tr.section(f"rolecall conformance: {t['name']} {t['version']}")
    rows = [("feature", "tests", "examples", "agreed", "known", "open", "new", "notes")]
    new_by_feature: dict[str, int] = defaultdict(int)
    for d in report["divergences"]:
        if d["status"] == "new":
            new_by_feature[d["feature"]] += 1
    for feature, f in sorted(report["features"].items()):
        tests = (
            f"{f['passed']} passed"
            + (f", {f['failed']} failed" if f["failed"] else "")
            + (f", {f['error']} error" if f["error"] else "")
            + (f", {f['skipped']} skipped" if f["skipped"] else "")
        )
        notes = "; ".join(f["skip_reasons"])[:60]
        rows.append(
            (
                feature,
                tests,
                str(f["examples"]),
                str(f["agreed"]),
                str(f["known"]),
                str(f.get("open", 0)),
                str(new_by_feature.get(feature, 0)),
                notes,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        tr.write_line("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    s = report["summary"]
    tr.write_line(
        f"examples {s['examples']}, new divergences {s['new_divergences']}, known divergences "
        f"{s['known_divergences']}, expectations fixed {s['expectations_fixed']}"
    )
    for line in _verdict(report, state):
        tr.write_line(line)
    paths = getattr(state, "report_paths", None)
    if paths:
        tr.write_line(f"report: {paths[0]}  matrix: {paths[1]}")
    updated = getattr(state, "updated", None)
    if updated:
        tr.write_line(f"expectations rewritten: {updated}")
    if sys.stdout is not None:
        sys.stdout.flush()
