"""The ``rolecall`` command line.

Exit codes (docs/architecture.md, "The command line"): 0 success (every scenario decided
and every ``expect`` met), 1 a finding (an ``expect`` mismatch), 2 bad usage or
bad input, 3 internal error. No traceback ever reaches the user: an unexpected
exception is reported in one line with exit 3.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from types import FrameType
from typing import Any, TextIO


def _interrupted_early(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C before :func:`main` runs (while the modules load, which takes a second on a busy machine):
    the same one line and exit code as later, never a traceback from inside an import."""
    sys.stderr.write("rolecall: interrupted\n")
    sys.stderr.flush()
    os._exit(130)


# only as the program (``rolecall``, ``python -m rolecall.conformance.cli``), never when imported by a host
if (__name__ == "__main__" or os.path.basename(sys.argv[0]) == "rolecall") and signal.getsignal(
    signal.SIGINT
) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _interrupted_early)

# the early handler above must be in place before these load
from rolecall.model import (  # noqa: E402
    AnyScenario,
    InputError,
    Reason,
    Result,
    decide,
    expectation_mismatch,
    iter_scenarios,
)
from rolecall.model.decide import granting_reasons  # noqa: E402

from ._files import open_input, read_input  # noqa: E402

__all__ = ["main", "open_input", "read_input"]

EXIT_OK, EXIT_FINDING, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

_RULES = {
    "R0": "request and policy validation",
    "R1": "the caller's kind",
    "R2": "the role's existence",
    "R5": "an explicit deny",
    "R7": "the service control policy chain",
    "R8": "the role trust policy",
    "R9": "the cross-account caller side",
    "R10": "the same-account caller side",
    "R11": "the service-principal rule",
    "R13": "the post-authorization checks",
    "R14": "every rule passing",
    "F0": "the stored trust policy (identity-provider controls)",
    "F1": "request validation",
    "F3": "the identity provider, token or assertion",
    "F4": "the role's existence",
    "F7": "an explicit deny",
    "F9": "the service control policy chain",
    "F10": "the role trust policy (federated principal)",
    "F11": "the post-authorization checks",
    "F12": "every rule passing",
}


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors as exit 2 and its output on the streams given to :func:`main`."""

    streams: tuple[TextIO, TextIO] = (sys.stdout, sys.stderr)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"rolecall: error: {message}\n")

    def _print_message(self, message: str, file: object = None) -> None:
        if message:
            out, err = _Parser.streams
            (out if file is sys.stdout else err).write(message)


def _build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("rolecall")
    except PackageNotFoundError:  # running from a checkout
        ver = "unknown"
    parser = _Parser(prog="rolecall", description="Reference model and conformance suite for AWS sts:AssumeRole.")
    parser.add_argument("--version", action="version", version=f"rolecall {ver}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ms = sub.add_parser(
        "moto-server",
        help="moto's server (moto_server) with AWS-exact AssumeRole: rolecall's model decides it",
        description="moto's moto_server command with the switch of rolecall.conformance.moto_exact on: every "
        "AssumeRole the server receives is decided by the reference model from the server's state "
        "(docs/emulators.md, 'moto with AWS-exact AssumeRole'). Every option is moto_server's "
        "(-H HOST, -p PORT, ...).",
    )
    ms.add_argument("moto_args", nargs=argparse.REMAINDER, metavar="MOTO_SERVER_OPTION")
    d = sub.add_parser(
        "decide",
        help="decide AssumeRole scenarios with the reference model",
        description="Decide scenarios (one JSON object, or JSON Lines, per input; '-' is stdin). "
        "Prints one result per line. Exit 0 decided and every expect met, 1 an expect mismatch, "
        "2 bad input, 3 internal error.",
    )
    d.add_argument("inputs", nargs="*", metavar="FILE|-", help="scenario files (file:// prefix allowed); default stdin")
    d.add_argument("--explain", action="store_true", help="explain each decision in prose instead of JSON")
    d.add_argument(
        "--engine",
        choices=("model", "solver"),
        default="model",
        help="decide with the reference model (default) or with the Z3 encoding of model/solver (same results; "
        "the solver engine reports no statements)",
    )
    from ._accounts import add_accounts_commands
    from ._commands import add_commands
    from ._graph import add_graph_commands
    from ._solve import add_solver_commands

    add_commands(sub)
    add_solver_commands(sub)
    add_accounts_commands(sub)
    add_graph_commands(sub)
    return parser


def explain(s: AnyScenario, r: Result, engine: str = "model") -> str:
    """The decision for a person: which side decided, which statement, why."""
    lines = _decision_lines(s, r)
    lines += [_reason_line(reason) for reason in r.reasons]
    lines += _no_reason_lines(r, engine)
    lines += _session_lines(r)
    lines += _expectation_lines(s, r)
    return "\n".join(lines)


def _decision_lines(s: AnyScenario, r: Result) -> list[str]:
    """The head of an explanation: the decision, the rule that decided it, the refused side and AWS's message."""
    lines = [f"{s.id or '(scenario)'}", f"  decision: {r.decision}" + (f" ({r.error_code})" if r.error_code else "")]
    lines.append(f"  decided by: {r.rule}, {_RULES.get(r.rule, r.rule)}")
    if r.denied_by:
        lines.append(f"  denied by: the {r.denied_by}, on {r.action}")
    elif r.action and r.decision != "allowed":
        lines.append(f"  refused action: {r.action}")
    if r.message:
        lines.append(f"  AWS says: {r.message}")
    return lines


def _reason_line(reason: Reason) -> str:
    """One statement that decided: its effect, policy, place (level, policy index, statement, Sid), principal match."""
    where = f"statement {reason.statement}"
    if reason.sid:
        where += f" (Sid {reason.sid})"
    if reason.policy_index is not None:
        where = f"policy {reason.policy_index}, " + where
    if reason.level is not None:
        where = f"level {reason.level}, " + where
    how = f", principal matched as {reason.principal_class}" if reason.principal_class else ""
    return f"  - {reason.effect} in the {reason.policy}: {where}{how}"


def _no_reason_lines(r: Result, engine: str) -> list[str]:
    """Why an allowed decision lists no statement (the solver reports none; or no statement was needed, R12)."""
    if r.decision == "allowed" and not r.reasons and engine == "solver":
        return ["  - (the solver engine reports no statements; decide with --engine model to see them)"]
    if r.decision == "allowed" and not r.reasons:
        return ["  - no statement needed beyond the rules (for example a legacy implicit self-trust, R12)"]
    return []


def _session_lines(r: Result) -> list[str]:
    """The assumed-role session of an allowed decision: ARN, id, duration, then its other fields."""
    if not r.assumed_role:
        return []
    a = r.assumed_role
    lines = [f"  session: {a.arn} ({a.assumed_role_id}), {a.duration_seconds} s"]
    extra = {k: v for k, v in a.to_json().items() if k not in ("arn", "assumed_role_id", "duration_seconds")}
    for name, value in extra.items():
        lines.append(f"  {name.replace('_', ' ')}: {value}")
    return lines


def _expectation_lines(s: AnyScenario, r: Result) -> list[str]:
    """Whether the scenario's ``expect`` was met (nothing when it has none)."""
    mismatch = expectation_mismatch(s, r)
    if s.expect:
        return ["  expectation: " + ("met" if not mismatch else "NOT met: " + "; ".join(mismatch))]
    return []


def _label(s: AnyScenario, source: str) -> str:
    return json.dumps(s.id, ensure_ascii=False) if s.id is not None else source


#: Characters that end a line for some readers although JSON leaves them unescaped with
#: ``ensure_ascii=False``: U+0085 and U+2028/U+2029 (Python's ``str.splitlines``, JavaScript).
#: In JSON text they can only stand inside strings, where ``\uXXXX`` says the same.
_LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def _line(text: str) -> str:
    """One line of diagnostics, whatever the input held (line breaks in ids or values are escaped)."""
    return _printable(text.replace("\r", "\\r").replace("\n", "\\n").translate(_LINE_BREAKS) + "\n")


def _json_line(value: object) -> str:
    """A JSON Lines record: one line for every reader (see ``_LINE_BREAKS``)."""
    return json.dumps(value, ensure_ascii=False).translate(_LINE_BREAKS)


def _field_help(path: str, limit: int = 200) -> str:
    """What the scenario format's JSON Schema says of the field at ``path`` (bounded), as a suffix."""
    from rolecall.model.schema import describe

    found = describe(path.split(" ")[0])  # a path may be followed by a line number
    if found is None:
        return ""
    field, text = found
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"; {field}: {text}"


def _printable(text: str) -> str:
    """Text any UTF-8 stream can take: lone surrogates (valid in JSON escapes) are backslash-escaped."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _decide(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    status = EXIT_OK
    engine = decide
    failures: tuple[type[Exception], ...] = ()  # what the engine fails with besides bad input
    if args.engine == "solver":
        from rolecall.model.solver import decide as engine
        from rolecall.model.solver.concrete import SolverError

        failures = (SolverError,)
    for name in args.inputs or ["-"]:
        try:
            source, stream = open_input(name, stdin)
        except InputError as exc:
            err.write(_line(f"rolecall: bad input: {exc.message} (at {exc.path})"))
            status = max(status, EXIT_INPUT)
            continue
        try:
            items = iter_scenarios(stream, source)
            status = max(status, _decide_stream(items, source, engine, args, out, err, failures))
        finally:
            if stream is not stdin:
                stream.close()
    return status


def _decide_stream(
    items: Iterable[AnyScenario | InputError],
    source: str,
    engine: Callable[[AnyScenario], Result],
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    failures: tuple[type[Exception], ...] = (),
) -> int:
    """Decide each scenario as it is read: one result per good record, one error line per bad one
    (named by its line), in constant memory."""
    status = EXIT_OK
    for s in items:
        if isinstance(s, InputError):
            err.write(_line(f"rolecall: bad input: {s.message} (at {s.path}{_field_help(s.path)})"))
            status = max(status, EXIT_INPUT)
            continue
        try:
            result = engine(s)
            if result.decision == "allowed" and args.engine == "model":
                result = result._replace(reasons=granting_reasons(s))
        except InputError as exc:  # UndecidableError included: fail closed, never an Allow
            err.write(_line(f"rolecall: cannot decide {_label(s, source)}: {exc.message} (at {exc.path})"))
            status = max(status, EXIT_INPUT)
            continue
        except failures as exc:  # Z3 out of memory or time: not an answer, not a fault of rolecall's
            err.write(_line(f"rolecall: cannot decide {_label(s, source)} with the solver engine: {exc}"))
            status = max(status, EXIT_INTERNAL)
            continue
        if args.explain:
            shown = explain(s, result, args.engine)
        else:
            shown = _json_line(result.to_json())
        out.write(_printable(shown) + "\n")
        mismatch = expectation_mismatch(s, result)
        if mismatch:
            err.write(_line(f"rolecall: expectation not met for {_label(s, source)}: {'; '.join(mismatch)}"))
            status = max(status, EXIT_FINDING)
    return status


def _quiet_lost_interrupts(previous: Callable[[Any], object]) -> Callable[[Any], object]:
    """A ``sys.unraisablehook`` for the command: a Ctrl-C whose KeyboardInterrupt lands in an object's
    finalizer (Z3's ``AstRef.__del__`` runs at any bytecode) cannot propagate, and Python would print
    "Exception ignored in ..." with a traceback; instead the query is asked to stop at its next step
    (``request_interrupt``), which ends the command as any Ctrl-C does (exit 130, one line)."""

    def hook(unraisable: Any) -> object:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            if "rolecall.model.solver" in sys.modules:
                from rolecall.model.solver import request_interrupt

                request_interrupt()
            return None
        if _interrupts and _z3_finalizer(unraisable.object):
            return None  # a Z3 object the Ctrl-C left half-built fails in its finalizer: the command ends (130)
        return previous(unraisable)

    return hook


def _z3_finalizer(obj: object) -> bool:
    """Whether ``obj`` is a Z3 object's ``__del__`` (``AstRef.__del__``, ``Context.__del__``): after a
    Ctrl-C that landed inside the object's ``__init__``, its finalizer meets attributes never set and
    raises (``AttributeError``), which is the interrupt's doing, not a fault of the command."""
    return getattr(obj, "__name__", "") == "__del__" and str(getattr(obj, "__module__", "")).startswith("z3")


_interrupts: list[int] = []
"""The Ctrl-Cs the command received (:func:`_interrupt`)."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGINT while the command runs: Python's KeyboardInterrupt, remembered. A KeyboardInterrupt raised
    inside ctypes' conversion of a call into Z3 comes out as ``ctypes.ArgumentError``, which is still
    the user's Ctrl-C (exit 130), never an internal error."""
    _interrupts.append(signum)
    raise KeyboardInterrupt


def _ignore_further_interrupts() -> None:
    """After the first Ctrl-C, the way out is not interrupted again (a second one during clean-up
    printed tracebacks from Z3's object finalizers)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns (and, as a console script, exits with) the exit code."""
    started = time.monotonic()  # a solver command's --timeout counts from here
    if signal.getsignal(signal.SIGINT) is _interrupted_early:  # loaded: a Ctrl-C is a KeyboardInterrupt again
        signal.signal(signal.SIGINT, _interrupt)
    out, err, inp = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    _Parser.streams = (out, err)
    _interrupts.clear()
    unraisable = sys.unraisablehook
    sys.unraisablehook = _quiet_lost_interrupts(unraisable)
    try:
        given = list(sys.argv[1:] if argv is None else argv)
        own = stdout is None and stderr is None and stdin is None  # the command line's own process
        return _run_command(given, out, err, inp, started=started, own_process=own)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None else EXIT_INPUT
    except KeyboardInterrupt:
        return _interrupted(err)
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if _interrupts:  # the Ctrl-C surfaced as another exception (ctypes.ArgumentError around Z3's calls)
            return _interrupted(err)
        err.write(_line(f"rolecall: internal error: {type(exc).__name__}: {exc} (please report it)"))
        return EXIT_INTERNAL
    finally:
        sys.unraisablehook = unraisable


def _interrupted(err: TextIO) -> int:
    """The way out after Ctrl-C: one line and exit 130, further interrupts ignored."""
    _ignore_further_interrupts()
    err.write("rolecall: interrupted\n")
    return 130


def _run_command(given: list[str], out: TextIO, err: TextIO, inp: TextIO, *, started: float, own_process: bool) -> int:
    """Parse the arguments and run the command they name (each command family's module loaded only when used)."""
    if given[:1] == ["moto-server"]:  # every option after it is moto_server's (argparse would claim them)
        from .moto_exact import main as moto_server

        return moto_server(given[1:])
    args = _build_parser().parse_args(given)
    if args.command == "decide":
        return _decide(args, out, err, inp)
    from ._solve import SOLVER_COMMANDS, run_solver_command

    if args.command in SOLVER_COMMANDS:
        return run_solver_command(args, out, err, inp, started=started, own_process=own_process)
    from ._accounts import ACCOUNTS_COMMANDS, run_accounts_command

    if args.command in ACCOUNTS_COMMANDS:
        return run_accounts_command(args, out, err)

    from ._graph import GRAPH_COMMANDS, run_graph_command

    if args.command in GRAPH_COMMANDS:
        return run_graph_command(args, out, err, inp)
    if args.command in ("conformance", "replay", "matrix", "endpoint-sample"):
        from ._commands import run_from_cli

        return run_from_cli(args, out, err, inp)
    raise AssertionError(args.command)  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
