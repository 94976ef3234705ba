"""``rolecall conformance`` and ``rolecall replay`` (private; the parser lives in cli.py).

``conformance`` runs the shipped properties (``conformance/test_*.py``) with
pytest and the rolecall plugin against a target, shows pytest's progress, and
ends with the plugin's summary table and where the report is.
``--update-expectations`` reruns the properties that found a new divergence
(pytest's ``--last-failed``) until none is left, so that every class of
divergence gets its own shrunk counterexample, then checks the whole suite once.

``replay`` runs one scenario file on a target and shows the target's outcome
beside the model's.

Exit codes (docs/architecture.md): 0 clean (every property passed, every expectation
held), 1 a finding (a divergence, an expectation that no longer holds), 2 bad
usage or input, 3 the target failed or an internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rolecall.model import InputError, Scenario, load_scenarios_text

from ._files import write_atomic

if TYPE_CHECKING:
    from .session import Conformance
    from .targets.base import TargetProtocol

__all__ = ["add_commands", "conformance", "replay"]

EXIT_OK, EXIT_FINDING, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
HERE = Path(__file__).resolve().parent


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser(
        "conformance",
        help="run the conformance suite against a target",
        description="Run the conformance properties against a target (default moto) with pytest, show the "
        "progress, end with the summary table, and write report.json and CONFORMANCE.md. Exit 0 clean, 1 a new "
        "divergence or an expectation that no longer holds, 2 bad usage, 3 the target failed, 130 interrupted (the "
        "report covers what ran and says so).",
    )
    _target_options(c)
    c.add_argument(
        "--report",
        metavar="DIR",
        default="rolecall-report",
        help="where to write report.json and CONFORMANCE.md (default: rolecall-report)",
    )
    c.add_argument(
        "--profile",
        choices=("dev", "ci", "nightly"),
        default="ci",
        help="Hypothesis profile: examples per property (dev 50, ci 300, nightly 5000; default ci)",
    )
    c.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="draw the examples from seed N (any profile; the ci profile is otherwise derandomized: the same "
        "examples on every run)",
    )
    c.add_argument(
        "--strict",
        action="store_true",
        help="count an unverified divergence (one resting on a fact docs/semantics.md tags inferred or "
        "contested: the order of validation and authorization, undocumented error codes, the AccessDenied text "
        "after the action, the 2,048-character session policy, a contested option) as a divergence, compare "
        "the AccessDenied text word for word, and run requests both invalid and unauthorized; by default "
        "unverified divergences are reported apart and never fail the run",
    )
    c.add_argument(
        "--expectations",
        metavar="FILE",
        help="expectations file (default: the built-in one of a built-in target; for --target endpoint, "
        "./NAME.toml in the working directory, NAME the accounts file's name)",
    )
    c.add_argument(
        "--update-expectations",
        action="store_true",
        help="rewrite the expectations file from the run (new divergences pinned, fixed ones dropped)",
    )
    c.add_argument(
        "--variant-rounds",
        type=int,
        default=2,
        metavar="N",
        help="with --update-expectations: rounds in which tagged variants of a known class count as new "
        "(default 2; later rounds add new classes only)",
    )
    c.add_argument("-k", dest="keyword", metavar="EXPR", help="only the properties matching EXPR (pytest -k)")
    c.add_argument(
        "-x",
        "--exitfirst",
        action="store_true",
        help="stop at the first property that finds a new divergence (pytest -x)",
    )
    c.add_argument(
        "--stop-at-first",
        action="store_true",
        help="stop each property at its first new divergence and shrink it with Hypothesis (for CI gates); by "
        "default a property runs its whole budget, learns each new class of divergence when it first meets "
        "it and counts its later examples under it, in every property (report.json: classes)",
    )
    c.add_argument(
        "--no-probe",
        action="store_true",
        help="skip the enforcement probe that stops the run (exit 3) when an obviously refused "
        "AssumeRole is allowed; every property then runs and reports what the target does not enforce",
    )
    c.add_argument("-n", dest="workers", metavar="N", help="run on N pytest-xdist workers ('auto' for one per core)")
    c.add_argument("-q", "--quiet", action="store_true", help="less output")
    r = sub.add_parser(
        "replay",
        help="run one scenario on a target and show its outcome beside the model's",
        description="Run each scenario of FILE on the target and print the model's result and the target's "
        "outcome side by side. Exit 0 they agree, 1 they differ, 2 bad input, 3 the target failed.",
    )
    sub.add_parser(
        "endpoint-sample",
        help="print a sample accounts file for --target endpoint (rolecall endpoint-sample > accounts.json)",
        description="Print the sample accounts file of the endpoint target (conformance/ENDPOINT.md): two "
        "accounts with placeholder credentials, the emulator's name and version. Redirect it into a file "
        "and fill in your emulator's keys.",
    )
    m = sub.add_parser(
        "matrix",
        help="write CONFORMANCE.md, the features x targets matrix, from conformance reports",
        description="Generate the conformance matrix (features by targets) from one or more report.json files "
        "written by `rolecall conformance --report DIR`. Exit 0 written, 2 a report that cannot be read.",
    )
    m.add_argument("reports", nargs="+", metavar="REPORT", help="report.json files")
    m.add_argument("-o", "--output", default="CONFORMANCE.md", help="output file (default CONFORMANCE.md; '-' stdout)")
    _target_options(r)
    r.add_argument("scenario", metavar="FILE|-", help="a scenario file (JSON or JSON Lines; '-' is stdin)")
    r.add_argument("--json", action="store_true", help="one JSON object per scenario instead of text")


def _target_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--target",
        default="moto",
        help="model, solver, moto (default), moto-server, moto-server-http, moto-exact, moto-exact-server, endpoint, "
        "or package.module:object",
    )
    p.add_argument("--endpoint-url", metavar="URL", help="the emulator's URL (target endpoint)")
    p.add_argument("--accounts", metavar="FILE", help="accounts file with credentials per account (target endpoint)")
    p.add_argument(
        "--call-deadline",
        type=_seconds,
        metavar="SECONDS",
        help="the most one call to the emulator may take, all of it (target endpoint; default 15): a server "
        "that hangs or drips its answer is a target error after that",
    )


def _seconds(text: str) -> float:
    from .targets.endpoint import parse_deadline

    try:
        return parse_deadline(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _plugin_installed() -> bool:
    return any(ep.value == "rolecall.conformance.plugin" for ep in entry_points(group="pytest11"))


def _pytest_args(args: argparse.Namespace, cache_dir: str) -> list[str]:
    argv = [
        str(HERE),
        "--rolecall-target",
        args.target,
        "--hypothesis-profile",
        args.profile,
        "--rolecall-report",
        args.report,
        "-o",
        f"cache_dir={cache_dir}",
        "-p",
        "no:randomly",
        "--rootdir",
        str(HERE),
        "-c",
        os.devnull,
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    if not _plugin_installed():
        argv += ["-p", "rolecall.conformance.plugin"]
    for opt, value in (
        ("--rolecall-endpoint-url", args.endpoint_url),
        ("--rolecall-call-deadline", None if args.call_deadline is None else str(args.call_deadline)),
        ("--rolecall-accounts", args.accounts),
        ("--rolecall-expectations", args.expectations),
        ("-k", args.keyword),
        ("-n", args.workers),
    ):
        if value:
            argv += [opt, value]
    if args.exitfirst:
        argv.append("-x")
    if args.no_probe:
        argv.append("--rolecall-no-probe")
    if args.strict:
        argv.append("--rolecall-strict")
    if args.stop_at_first:
        argv.append("--rolecall-stop-at-first")
    if args.seed is not None:
        argv += ["--hypothesis-seed", str(args.seed)]
    argv += ["-q", "--no-header"] if args.quiet else ["-v"]
    argv += ["--tb=short"]
    return argv


def _exit(code: int) -> int:
    """pytest's exit code in rolecall's words (pytest: 0 ok, 1 failures, 2 interrupted, 3 internal error,
    4 usage error, 5 no tests; ``pytest.exit(returncode=3)`` from the plugin when the target fails)."""
    if int(code) == 2:  # interrupted (Ctrl-C): the report written says so
        return EXIT_INTERRUPTED
    return {0: EXIT_OK, 1: EXIT_FINDING, 4: EXIT_INPUT, 5: EXIT_INPUT}.get(int(code), EXIT_INTERNAL)


def _said(err: TextIO, code: int) -> int:
    """:func:`_exit`, and the line an interrupted run ends with."""
    mine = _exit(code)
    if mine == EXIT_INTERRUPTED:
        err.write("rolecall: interrupted (the report covers what ran and says so)\n")
        err.flush()
    return mine


def _writable_folder(path: Path) -> str | None:
    """Why a report folder cannot be used, or ``None``. The folder is made (the run writes into it
    anyway) and a file is created in it and removed: only writing tells whether a place takes files
    (a read-only mount, ``/proc``, a full disk, a dangling symbolic link)."""
    if path.is_symlink() and not path.exists():
        return f"--report {path}: a symbolic link to {os.readlink(path)}, which does not exist"
    if path.exists() and not path.is_dir():
        return f"--report {path}: not a folder (report.json and CONFORMANCE.md are written into a folder)"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"--report {path}: cannot create this folder ({exc.strerror or exc})"
    return _takes_files(path, f"--report {path}: cannot write into this folder")


def _takes_files(folder: Path, problem: str) -> str | None:
    """``None`` when a file can be created in ``folder`` (and is removed at once), else ``problem`` and why."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".rolecall-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"{problem} ({exc.strerror or exc})"
    return None


def check_paths(args: argparse.Namespace) -> str | None:
    """Every path the user gave, checked before any property runs (a bad one used to be found after
    the whole suite, or to mean "no expectations"): the problem in one line, or ``None``."""
    from .expectations import Expectations, ExpectationsError

    if args.expectations:
        path = Path(args.expectations)
        if not path.exists():
            if not args.update_expectations:
                return f"--expectations {path}: no such file (give --update-expectations to create it)"
            if not path.parent.is_dir():
                return f"--expectations {path}: cannot create it ({path.parent} is not a folder)"
        elif not path.is_file():
            return f"--expectations {path}: not a file"
        else:
            try:
                Expectations.load(path, args.target)
            except ExpectationsError as exc:
                return f"--expectations {exc}"
        if args.update_expectations:  # rewritten through a temporary file beside it (written atomically)
            problem = _takes_files(path.parent, f"--expectations {path}: cannot write beside it in {path.parent}")
            if problem:
                return problem
    if getattr(args, "accounts", None):
        accounts = Path(args.accounts)
        if not accounts.is_file():
            return f"--accounts {accounts}: " + ("not a file" if accounts.exists() else "no such file")
        if not os.access(accounts, os.R_OK):
            return f"--accounts {accounts}: cannot read it"
    problem = _target_problem(args)
    if problem:
        return problem
    return _writable_folder(Path(args.report))  # last: it makes the folder


def _target_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with what names or reaches the target (an ``--endpoint-url``, an accounts file, a
    ``package.module:object`` that does not import), told before pytest starts; ``None`` when nothing is.
    A user target is imported, not built: building and starting it are the run's."""
    from .targets import BUILTIN, TargetConfigurationError, import_target_module, load_target

    try:
        if args.target == "endpoint":
            load_target("endpoint", endpoint_url=args.endpoint_url, accounts=args.accounts)
        elif args.target not in BUILTIN:
            import_target_module(args.target)
    except TargetConfigurationError as exc:
        return str(exc)
    return None


def conformance(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the suite (see the module docstring)."""
    import pytest

    problem = check_paths(args)
    if problem:
        err.write(f"rolecall: bad input: {problem}\n")
        return EXIT_INPUT

    args.began = time.time()
    with tempfile.TemporaryDirectory(prefix="rolecall-cache-") as cache:
        base = _pytest_args(args, cache)
        if not args.update_expectations:
            return _stopped(args, err, _said(err, pytest.main(base)))
        # first rounds: variants (a class met with other scenario tags is new, so an account principal,
        # a re-cased action… each get an entry); then classes only, until no class is new
        update = ["--rolecall-update-expectations"]
        code, rounds = EXIT_FINDING, 0
        while code == EXIT_FINDING and rounds < 25:
            rounds += 1
            variants = rounds <= args.variant_rounds
            more = ["--rolecall-update-variants"] if variants else []
            if rounds > 1:
                more += ["--last-failed", "--last-failed-no-failures", "none"]
                out.write(
                    f"rolecall: update round {rounds} ({'variants' if variants else 'classes'}): rerunning "
                    "the properties that found a new divergence\n"
                )
                out.flush()
            code = _stopped(args, err, _said(err, pytest.main([*base, *update, *more])))
        if code != EXIT_OK:
            if code not in (EXIT_INPUT, EXIT_INTERNAL):  # these have said so in their own line
                err.write(f"rolecall: expectations not settled after {rounds} rounds (exit {code})\n")
            return code
        out.write("rolecall: expectations updated; checking the whole suite against them\n")
        out.flush()
        return _stopped(args, err, _said(err, pytest.main(base)))


def _stopped(args: argparse.Namespace, err: TextIO, code: int) -> int:
    """``code``; a run the circuit breaker stopped (exit 3) ends with one line on ``err`` that says why
    and what the report kept (pytest's own output above it is long)."""
    if code != EXIT_INTERNAL:
        return code
    path = Path(args.report) / "report.json"
    try:
        if path.stat().st_mtime < getattr(args, "began", 0):
            return code  # an earlier run's report: this run wrote none
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return code
    why = report.get("stopped") if isinstance(report, dict) else None
    if why:
        kept = sum(1 for d in report.get("divergences", []) if d.get("status") == "new")
        if report.get("summary", {}).get("examples") or kept:
            err.write(f"rolecall: {why}; {path} keeps the {kept} new divergence(s) found before\n")
        else:
            err.write(f"rolecall: {why}; nothing ran (the reason is in {path})\n")
        err.flush()
    return code


def replay(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """Run the scenarios of one file on a target beside the model."""
    from .expectations import Expectations
    from .session import Conformance

    try:
        source, docs = _replay_docs(args, stdin)
    except InputError as exc:
        err.write(f"rolecall: bad input: {exc.message} (at {exc.path})\n")
        return EXIT_INPUT
    target = _started_target(args, err)
    if isinstance(target, int):
        return target
    status = EXIT_OK
    try:
        c = Conformance(target, Expectations(target=target.name))
        for doc in docs:
            status = max(status, _replay_one(c, target, doc, doc.get("id") or source, args, out, err))
    finally:
        target.stop()
    return status


def _replay_docs(args: argparse.Namespace, stdin: TextIO) -> tuple[str, list[Mapping[str, Any]]]:
    """The scenario file's source name and its scenarios (AssumeRole ones only: the targets run that door)."""
    from ._files import read_input

    source, text = read_input(args.scenario, stdin)  # bounded, as every input
    loaded = load_scenarios_text(text, source)
    for s in loaded:
        if not isinstance(s, Scenario):  # the targets run the AssumeRole door only, for now
            raise InputError(
                f"{source}: {s.id or 'a scenario'} calls {s.api}; replay runs AssumeRole scenarios only "
                "(decide it with rolecall decide)",
                "$.api",
            )
    return source, [s.source for s in loaded]


def _started_target(args: argparse.Namespace, err: TextIO) -> TargetProtocol | int:
    """The target, started; or the exit code when it is misconfigured (2) or does not start (3)."""
    from .targets import TargetConfigurationError, TargetError, TargetUnavailable, load_target

    try:
        target = load_target(
            args.target, endpoint_url=args.endpoint_url, accounts=args.accounts, deadline=args.call_deadline
        )
        target.start()
    except TargetConfigurationError as exc:
        err.write(f"rolecall: bad input: {exc}\n")
        return EXIT_INPUT
    except TargetUnavailable as exc:
        err.write(f"rolecall: {exc}\n")
        return EXIT_INTERNAL
    except TargetError as exc:
        err.write(f"rolecall: target {args.target} failed to start: {exc}\n")
        return EXIT_INTERNAL
    return target


def _replay_one(
    c: Conformance,
    target: TargetProtocol,
    doc: Mapping[str, Any],
    label: str,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
) -> int:
    """One scenario on the target beside the model, printed (JSON or for a person); its exit code."""
    from ._world import Unsupported

    try:
        found, _, expected, outcome = c.run(dict(doc), "replay", ("decision", "message", "response"))
    except Unsupported as exc:
        err.write(f"rolecall: {label}: target {target.name} cannot run this scenario: {exc}\n")
        return EXIT_INPUT
    except InputError as exc:
        err.write(f"rolecall: {label}: bad input: {exc.message} (at {exc.path})\n")
        return EXIT_INPUT
    crashed = any(d.facts.get("target") == "target-error" for d in found)
    want, got = c.last_unmap(expected.to_json()), c.last_unmap(dict(outcome.result))
    if args.json:
        record = {
            "id": doc.get("id"),
            "target": f"{target.name} {target.version}",
            "model": want,
            "outcome": got,
            "differences": [vars(d.difference) for d in found],
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        out.write(f"{label} on {target.name} {target.version}\n")
        for key in ("decision", "error_code", "message", "assumed_role"):
            if key in want or key in got:
                out.write(f"  {key:<13} model:  {json.dumps(want.get(key), ensure_ascii=False)}\n")
                out.write(f"  {'':<13} target: {json.dumps(got.get(key), ensure_ascii=False)}\n")
        for d in found:
            out.write(f"  DIFFERS ({d.difference.aspect}): {d.difference.detail}\n")
        if not found:
            out.write("  agree\n")
    return EXIT_INTERNAL if crashed else EXIT_FINDING if found else EXIT_OK


def write_matrix(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``rolecall matrix``: CONFORMANCE.md from report files."""
    from ._report import ReportError, load_reports, matrix

    try:
        reports = load_reports(args.reports)
    except ReportError as exc:
        err.write(f"rolecall: {exc}\n")
        return EXIT_INPUT
    text = matrix(reports, command="rolecall matrix " + " ".join(args.reports))
    if args.output == "-":
        out.write(text)
        return EXIT_OK
    if os.path.isdir(args.output):
        err.write(f"rolecall: bad input: -o {args.output}: a folder (the matrix is a file, e.g. CONFORMANCE.md)\n")
        return EXIT_INPUT
    try:
        write_atomic(args.output, text)
    except OSError as exc:
        err.write(f"rolecall: bad input: -o {args.output}: cannot write ({exc.strerror})\n")
        return EXIT_INPUT
    out.write(f"rolecall: wrote {args.output} ({len(reports)} report(s))\n")
    return EXIT_OK


def endpoint_sample(out: TextIO) -> int:
    """``rolecall endpoint-sample``: the sample accounts file, to stdout."""
    from .targets.endpoint import SAMPLE_ACCOUNTS

    out.write(SAMPLE_ACCOUNTS.read_text(encoding="utf-8"))
    return EXIT_OK


def run_from_cli(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    if args.command == "endpoint-sample":
        return endpoint_sample(out)
    if args.command == "matrix":
        return write_matrix(args, out, err)
    if args.command == "conformance":
        sys.stdout.flush()
        return conformance(args, out, err)
    return replay(args, out, err, stdin)
