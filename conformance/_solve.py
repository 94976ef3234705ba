"""The solver's commands (private; the parser lives in cli.py).

``rolecall check-no-new-access OLD NEW``, ``check-equivalent A B``,
``check-access-not-granted POLICY``, ``check-no-public-access TRUST``,
``external-id-required TRUST``, ``who-can-assume TRUST`` and
``check-federated-subjects TRUST --allow PATTERN``: the queries of
:mod:`rolecall.model.solver.queries` over policy files, with readable output or
``--json``. A counterexample is printed as a scenario (docs/scenario-format.md) that
``rolecall decide`` replays, with its ``expect`` set to the model's decision;
``--save FILE`` writes it to a file (``-``: standard output), after the answer is printed, so that a
file that cannot be written never hides what was found.

Exit codes (docs/architecture.md): 0 proved (who-can-assume: findings listed), 1 a
counterexample, 2 bad usage or input, 3 unknown (timeout or an unsupported
construct: never a pass).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from rolecall.model import InputError, Policy, PolicyKind, RolecallError, Semantics, parse_policy_text
from rolecall.model.policy import load_json
from rolecall.model.scenario import size_quota_error

__all__ = ["SOLVER_COMMANDS", "add_solver_commands", "run_solver_command"]

EXIT_OK, EXIT_FINDING, EXIT_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3
SOLVER_COMMANDS = (
    "check-no-new-access",
    "check-equivalent",
    "check-access-not-granted",
    "check-no-public-access",
    "external-id-required",
    "who-can-assume",
    "check-federated-subjects",
)
#: The boolean contested points (the solver answers for the AssumeRole door) and the size quotas.
_SEMANTICS = tuple(name for name, f in Semantics.__dataclass_fields__.items() if f.type == "bool")
_QUOTAS = tuple(name for name, f in Semantics.__dataclass_fields__.items() if f.type == "int")


def add_solver_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    exits = "Exit 0 proved, 1 counterexample, 2 bad input, 3 unknown (timeout or unsupported construct)."
    p = sub.add_parser(
        "check-no-new-access",
        help="prove that NEW allows nothing OLD did not (trust or identity policies)",
        description="Prove that every AssumeRole request the NEW policy allows, the OLD one allows too, or print a "
        "counterexample scenario. Both are trust policies (the role is --role-arn, every caller is considered) or "
        "both identity policies (the caller is --caller-arn, every role is considered). " + exits,
    )
    p.add_argument("old", metavar="OLD", help="the policy before the change (file, '-' or file://)")
    p.add_argument("new", metavar="NEW", help="the policy after the change")
    _common(p, caller=True)
    p = sub.add_parser(
        "check-equivalent",
        help="prove that two policies allow exactly the same requests",
        description="Prove that A and B allow exactly the same AssumeRole requests (no new access either way). "
        + exits,
    )
    p.add_argument("old", metavar="A")
    p.add_argument("new", metavar="B")
    _common(p, caller=True)
    p = sub.add_parser(
        "check-access-not-granted",
        help="prove that a policy grants none of the named access",
        description="Prove that the policy grants none of the named access. A trust policy: none of the --principal "
        "callers (user, role, session or account ARNs, unique ids, account ids, service names), and no principal of "
        "an --account, can assume the role. An identity policy: the caller can assume none of the --role ARNs nor any "
        "role of an --account. --action narrows to requests that need sts:AssumeRole (every request), sts:TagSession "
        "(session tags) or sts:SetSourceIdentity. With no selector: the policy grants nothing at all. " + exits,
    )
    p.add_argument("policy", metavar="POLICY")
    p.add_argument(
        "--principal",
        action="append",
        default=[],
        metavar="P",
        help="a caller (trust policies): an IAM ARN, account id, unique id or service, or an issuer of federated "
        "tokens (an OIDC or SAML provider ARN, cognito-identity.amazonaws.com, accounts.google.com, ...)",
    )
    p.add_argument(
        "--account", action="append", default=[], metavar="ID", help="an account id (AWS callers or roles in it)"
    )
    p.add_argument("--role", action="append", default=[], metavar="ARN", help="a role ARN (identity policies)")
    p.add_argument(
        "--action",
        action="append",
        default=[],
        metavar="A",
        help="an STS action a role assumption can require (sts:AssumeRole, sts:TagSession, "
        "sts:SetSourceIdentity, sts:AssumeRoleWithWebIdentity, sts:AssumeRoleWithSAML)",
    )
    _common(p, caller=True)
    p = sub.add_parser(
        "check-no-public-access",
        help="prove that no principal outside the trusted accounts can assume the role",
        description="Prove that no IAM principal outside the trusted accounts (default: the role's own, from "
        "--role-arn) and outside the trusted organizations (aws:PrincipalOrgID) can assume the role. Service "
        "principals act for the account and are not public (who-can-assume lists them). " + exits,
    )
    p.add_argument("trust", metavar="TRUST")
    p.add_argument("--trusted-account", action="append", metavar="ID", help="an account that may assume the role")
    p.add_argument("--trusted-org", action="append", default=[], metavar="O-ID", help="an organization id")
    _common(p, caller=False)
    p = sub.add_parser(
        "external-id-required",
        help="prove that every cross-account caller must present an ExternalId",
        description="Prove that every caller from another account must present an ExternalId (one of --external-id "
        'if given) to assume the role, whatever IfExists, StringLike "*", Null or other statements say. ' + exits,
    )
    p.add_argument("trust", metavar="TRUST")
    p.add_argument("--external-id", action="append", metavar="ID", help="an accepted ExternalId")
    _common(p, caller=False)
    p = sub.add_parser(
        "check-federated-subjects",
        help="prove that every subject a federated door admits matches one of the allowed patterns",
        description="Prove that every token or SAML assertion the trust policy admits through "
        "sts:AssumeRoleWithWebIdentity or sts:AssumeRoleWithSAML carries a subject (the token's sub, the SAML "
        "NameID) matching one of the --allow patterns (IAM wildcards * and ?), for example "
        "'repo:my-org/*:ref:refs/heads/main'; or print a counterexample token. " + exits,
    )
    p.add_argument("trust", metavar="TRUST")
    p.add_argument("--allow", action="append", default=[], metavar="PATTERN", required=True, help="an allowed subject")
    _common(p, caller=False)
    p = sub.add_parser(
        "who-can-assume",
        help="list who can assume the role: accounts, principals and services, with witnesses",
        description="Findings: for each principal entry of each trust statement that can grant sts:AssumeRole, who "
        "can use it (accounts, same- or cross-account, whether an ExternalId is required), under which conditions, "
        "and a witness scenario. Exit 0 with the findings (none: nobody can assume the role), 2 bad input, 3 unknown.",
    )
    p.add_argument("trust", metavar="TRUST")
    p.add_argument("--identity", metavar="POLICY", help="every caller holds this identity policy (default: any)")
    _common(p, caller=False)


def _common(p: argparse.ArgumentParser, *, caller: bool) -> None:
    from rolecall.model.solver.queries import DEFAULT_CALLER, DEFAULT_ROLE

    p.add_argument(
        "--role-arn", default=DEFAULT_ROLE, metavar="ARN", help=f"the role (trust policies; default {DEFAULT_ROLE})"
    )
    if caller:
        p.add_argument(
            "--caller-arn",
            default=DEFAULT_CALLER,
            metavar="ARN",
            help=f"the caller (identity policies; default {DEFAULT_CALLER})",
        )
    p.add_argument(
        "--semantics",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"a contested point of docs/semantics.md (one of {', '.join(_SEMANTICS)}: true or false), or a size "
        f"quota ({', '.join(_QUOTAS)}: characters; a trust policy file longer than AWS's quota, 2048 non-whitespace "
        "characters by default, is refused as AWS refuses to store it)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="time limit of the whole query, every check included (default 10 s)",
    )
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument(
        "--save", metavar="FILE", help="write the counterexample scenario (or witnesses) to FILE ('-': standard output)"
    )


# =========================================================================== inputs


def _read_policy(name: str, stdin: TextIO, semantics: Semantics, kind: PolicyKind | None = None) -> Policy:
    """A policy file: its kind from its content (a Principal makes it a trust policy). A trust policy
    over its size quota (``semantics.trust_policy_size_quota``, docs/semantics.md §4.8) is refused, as
    AWS refuses to store it: a query about it would be about a role that cannot exist."""
    from ._files import read_input

    source, text = read_input(name, stdin)
    if kind is None:
        try:
            doc = load_json(text)
        except (ValueError, RecursionError):
            doc = None
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        items = statements if isinstance(statements, list) else [statements]
        kind = (
            PolicyKind.TRUST
            if any(isinstance(s, dict) and ("Principal" in s or "NotPrincipal" in s) for s in items)
            else PolicyKind.IDENTITY
        )
    try:
        policy = parse_policy_text(text, kind, "$")
        over = size_quota_error(load_json(text), kind, semantics, "$") if kind is PolicyKind.TRUST else None
    except RolecallError as exc:
        raise InputError(f"{source}: not a valid {kind.value}: {exc.message}", exc.path) from None
    if over is not None:
        raise InputError(
            f"{source}: AWS would not store this {kind.value}: {over.error_code}: {over.message}".replace(
                f"semantics.{_QUOTAS[0]} raises", f"--semantics {_QUOTAS[0]}=N raises"
            ),
            over.path,
        )
    return policy


def _semantics(items: list[str]) -> Semantics:
    values: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if sep and name in _QUOTAS:
            if not (value.isascii() and value.isdigit() and 0 < int(value) < 2**63):
                raise InputError(f"--semantics {name} takes a number of characters, at least 1", item)
            values[name] = int(value)
            continue
        if not sep or name not in _SEMANTICS or value.lower() not in ("true", "false"):
            raise InputError(
                f"--semantics takes NAME=true|false with NAME one of {', '.join(_SEMANTICS)}, "
                f"or NAME=CHARACTERS with NAME one of {', '.join(_QUOTAS)}",
                item,
            )
        values[name] = value.lower() == "true"
    return dataclasses.replace(Semantics(), **values)


# =========================================================================== running


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C ends a query at once, wherever it is. Python runs its SIGINT handler only between
    bytecodes, and one call into Z3 (simplifying a large policy's terms) can take seconds; so the
    signal is also written to a pipe (``signal.set_wakeup_fd``), whose reader thread interrupts
    Z3's context: the call returns, and the pending KeyboardInterrupt ends the command (exit 130,
    "rolecall: interrupted", never an answer). A check Z3 itself interrupts says so
    (``stop_if_interrupted``)."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover - signals reach main only
        yield
        return
    import z3

    from rolecall.model.solver import clear_interrupt, request_interrupt

    read, write = os.pipe()
    os.set_blocking(write, False)
    previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    done = threading.Event()
    interrupted = threading.Event()

    def watch() -> None:
        # the pipe carries the number of every signal Python handles (SIGCHLD of a test's child, too):
        # only SIGINT interrupts Z3, whose context would otherwise stay cancelled for later checks
        while (got := os.read(read, 1)) and not done.is_set():
            if got[0] == signal.SIGINT:  # Ctrl-C: the query stops at its next step, whatever Python lost
                interrupted.set()
                request_interrupt()
            elif got[0] == signal.SIGALRM:  # the command's deadline (_deadline): Z3 returns, an Unknown follows
                interrupted.set()
                z3.main_ctx().interrupt()

    watcher = threading.Thread(target=watch, name="rolecall-interrupt", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(previous)
        os.close(write)  # the reader sees the end of the pipe and stops
        watcher.join(timeout=1)
        os.close(read)
        if interrupted.is_set():
            clear_interrupt()


#: The longest --timeout taken (a day): a query's budget, not a way to wait forever.
_MAX_TIMEOUT_S = 86_400

#: when the deadline rings, counted from the start of the command (``main``): --timeout plus this, so that
#: printing the answer and leaving end within --timeout plus one second of the process's start (starting
#: Python and importing rolecall takes about 0.15 s before ``main``)
_GRACE_S = 0.4
#: when the command ends whatever it is doing, the answer UNKNOWN (``_Watchdog``): for a call into Z3 that
#: its interrupt does not stop (asserting a term of a 2 MB policy ran 11 s past the deadline)
_HARD_S = 0.6


class _OutOfTime(BaseException):
    """The command's deadline passed (a BaseException: no ``except Exception`` on the way swallows it)."""


@contextlib.contextmanager
def _deadline(seconds: float, started: float) -> Iterator[None]:
    """Everything within: reading and parsing the policies, encoding, every check and replay, ends by
    ``seconds`` plus :data:`_GRACE_S` after ``started``. Z3's own timeout bounds its checks, not the Python around them
    (a policy of hundreds of statements took minutes to encode past ``--timeout 5``): a SIGALRM at the
    deadline raises :class:`_OutOfTime` in the main thread, and the interrupt watcher
    (:func:`_interruptible`) interrupts Z3 on it, so a long call into Z3 returns at once."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover - signals reach main only
        yield
        return

    live = [True]

    def ring(signum: int, frame: Any) -> None:
        if live[0]:
            _EXPIRED.set()
            raise _OutOfTime()

    def quiet(unraisable: Any) -> None:
        # the exception may land in a finalizer (Z3's AstRef.__del__), where Python only prints it: the
        # timer rings again (every 50 ms) until it lands where it ends the command; say nothing meanwhile
        if not isinstance(unraisable.exc_value, _OutOfTime) and not _z3_finalizer(unraisable):
            previous_hook(unraisable)

    _EXPIRED.clear()
    previous_hook = sys.unraisablehook
    sys.unraisablehook = quiet
    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, max(0.001, started + seconds + _GRACE_S - time.monotonic()), 0.05)
    try:
        yield
    finally:
        live[0] = False  # first: a ring from here on is silent, so the clean-up below always completes
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        # a ring inside a Z3 constructor leaves a half-built term, whose finalizer fails when the
        # command's objects are collected, after this block: keep those finalizers quiet then too
        sys.unraisablehook = quiet if _EXPIRED.is_set() else previous_hook


def _z3_finalizer(unraisable: Any) -> bool:
    """A Z3 term's finalizer failing on a term a ring left half-built (``'ReRef' object has no attribute
    'ctx'``): nothing to report, the command already answered UNKNOWN."""
    return isinstance(unraisable.exc_value, AttributeError) and getattr(unraisable.object, "__qualname__", "") in (
        "AstRef.__del__",
        "Z3PPObject.__del__",
    )


#: held while the answer is printed: the watchdog prints its UNKNOWN only when no answer is being printed
_ANSWERING = threading.Lock()


class _Watchdog:
    """The last resort of the deadline: at ``at`` (a ``time.monotonic()``), if the command has not
    answered, print UNKNOWN and end the process (``os._exit``). The deadline's ring reaches Python
    code and the calls Z3 lets interrupt; a call it does not (``Z3_solver_assert`` of the terms of a
    2 MB policy ran 11 s on) releases the interpreter, so this thread still runs. Only for the command
    line's own process (``main`` with the standard streams), never inside a caller's process."""

    def __init__(self, at: float, answer: Callable[[], int]) -> None:
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(at, answer), name="rolecall-deadline", daemon=True)
        self._thread.start()

    def _run(self, at: float, answer: Callable[[], int]) -> None:
        if self._done.wait(max(0.0, at - time.monotonic())):
            return
        if not _ANSWERING.acquire(timeout=0.2):  # the command is printing its answer: let it finish
            return
        if self._done.is_set():  # it has answered meanwhile
            _ANSWERING.release()
            return
        code = answer()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)

    def cancel(self) -> None:
        self._done.set()


#: set when the deadline rang: an exception that a ring turned into another one (ctypes wraps an
#: exception raised during a call into Z3 as ``ArgumentError``) is then the deadline too
_EXPIRED = threading.Event()


def run_solver_command(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    stdin: TextIO,
    *,
    started: float | None = None,
    own_process: bool = False,
) -> int:
    """Run a solver command. ``started``: when the command began (``time.monotonic()``; default now), from
    which --timeout counts; ``own_process``: the process is the command line's own, which the deadline's
    watchdog may end (``_Watchdog``)."""
    with _interruptible():
        return _run_solver_command(args, out, err, stdin, time.monotonic() if started is None else started, own_process)


def _run_solver_command(
    args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO, started: float, own_process: bool
) -> int:
    import z3

    from rolecall.model.solver import queries as q
    from rolecall.model.solver import stop_if_interrupted

    try:
        semantics = _semantics(args.semantics)
        if not math.isfinite(args.timeout) or not 0 < args.timeout <= _MAX_TIMEOUT_S:
            raise InputError(f"--timeout takes seconds, more than 0 and at most {_MAX_TIMEOUT_S}", "--timeout")
        timeout_ms = max(1, int(args.timeout * 1000))
        common: dict[str, Any] = {"role_arn": args.role_arn, "semantics": semantics, "timeout_ms": timeout_ms}
        if hasattr(args, "caller_arn"):
            common["caller_arn"] = args.caller_arn
        cmd = args.command
        reason = (
            f"the time limit of {args.timeout:g} s was reached before an answer (--timeout bounds the whole "
            "command: reading, encoding, every check and replay)"
        )
        watchdog = (
            _Watchdog(started + args.timeout + _HARD_S, lambda: _print_answer(q.Unknown(cmd, reason), args, out))
            if own_process
            else None
        )
        try:
            try:
                with _deadline(args.timeout, started):
                    try:
                        outcome = _ask(cmd, args, stdin, common)
                    except Exception:
                        if _EXPIRED.is_set():  # the deadline, wrapped by the code it interrupted
                            raise _OutOfTime() from None
                        raise
            except _OutOfTime:
                outcome = q.Unknown(cmd, reason)
            except (z3.Z3Exception, MemoryError) as exc:  # Z3 or Python out of memory, or another Z3 failure
                outcome = q.Unknown(cmd, f"the solver failed: {_solver_failure(exc)}")
            with _ANSWERING:
                if watchdog is not None:
                    watchdog.cancel()
                stop_if_interrupted()  # a Ctrl-C the query did not see (lost in a finalizer): never an answer
                if isinstance(outcome, q.WhoCanAssume):
                    return _print_findings(outcome, args, out)
                return _print_answer(outcome, args, out)
        finally:
            if watchdog is not None:
                watchdog.cancel()
    except RolecallError as exc:
        err.write(f"rolecall: bad input: {exc.message} (at {exc.path})\n")
        return EXIT_INPUT


def _solver_failure(exc: BaseException) -> str:
    """A Z3 or memory failure in a few words (Z3's message is a byte string in some versions)."""
    if isinstance(exc, MemoryError):
        return "out of memory"
    value = getattr(exc, "value", None) or str(exc)
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return f"Z3: {text}"


def _ask(cmd: str, args: argparse.Namespace, stdin: TextIO, common: dict[str, Any]) -> Any:
    """Read the command's policies and ask its query: an answer, or who-can-assume's findings."""
    from rolecall.model.solver import queries as q

    sem = common["semantics"]
    if cmd == "who-can-assume":
        trust = _read_policy(args.trust, stdin, sem, PolicyKind.TRUST)
        identity = _read_policy(args.identity, stdin, sem, PolicyKind.IDENTITY) if args.identity else None
        return q.who_can_assume(trust, identity, **common)
    ask: Callable[[], q.Answer]
    if cmd in ("check-no-new-access", "check-equivalent"):
        old, new = _read_policy(args.old, stdin, sem), _read_policy(args.new, stdin, sem)
        if old.kind != new.kind:
            raise InputError(f"{args.old} is a {old.kind.value} but {args.new} is a {new.kind.value}", "$")
        fn = q.check_no_new_access if cmd == "check-no-new-access" else q.check_equivalent
        ask = lambda: fn(old, new, **common)
    elif cmd == "check-access-not-granted":
        policy = _read_policy(args.policy, stdin, sem)
        ask = lambda: q.check_access_not_granted(
            policy, principals=args.principal, accounts=args.account, roles=args.role, actions=args.action, **common
        )
    elif cmd == "check-federated-subjects":
        trust = _read_policy(args.trust, stdin, sem, PolicyKind.TRUST)
        ask = lambda: q.check_federated_subjects(trust, args.allow, **common)
    elif cmd == "check-no-public-access":
        trust = _read_policy(args.trust, stdin, sem, PolicyKind.TRUST)
        ask = lambda: q.check_no_public_access(
            trust, trusted_accounts=args.trusted_account, trusted_orgs=args.trusted_org, **common
        )
    else:
        trust = _read_policy(args.trust, stdin, sem, PolicyKind.TRUST)
        ask = lambda: q.external_id_required(trust, args.external_id, **common)
    return ask()


def _print_answer(answer: Any, args: argparse.Namespace, out: TextIO) -> int:
    from rolecall.model.solver import Counterexample, Proved

    doc = answer.to_json()
    if isinstance(answer, Counterexample):
        scenario = _replayable(answer.scenario, answer.decision, f"{answer.query} counterexample")
        doc["scenario"] = scenario
    if args.json:
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    elif isinstance(answer, Proved):
        out.write(f"{answer.query}: PROVED\n  {answer.statement}.\n")
    elif isinstance(answer, Counterexample):
        out.write(f"{answer.query}: COUNTEREXAMPLE\n  It is not true that {answer.statement}:\n")
        out.write(describe(answer.scenario))
        if answer.compare is not None:
            out.write(f"  the new policy: {answer.decision}; the old policy: {answer.compare['decision']}\n")
        out.write("  replay it with `rolecall decide`:\n")
        out.write(json.dumps(doc["scenario"], ensure_ascii=False) + "\n")
    else:
        out.write(f"{answer.query}: UNKNOWN\n  {answer.reason}\n  (an unknown is never a pass)\n")
    if args.save and isinstance(answer, Counterexample):  # after the answer: a failed write never hides it
        _save(args.save, doc["scenario"], out)
    return (
        EXIT_OK if isinstance(answer, Proved) else EXIT_FINDING if isinstance(answer, Counterexample) else EXIT_UNKNOWN
    )


def _replayable(scenario: dict[str, Any], decision: str, label: str) -> dict[str, Any]:
    return {"id": label, **scenario, "expect": {"decision": decision}}


def _save(path: str, payload: Any, out: TextIO) -> None:
    _write(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n", out)


def _save_lines(path: str, scenarios: list[Any], out: TextIO) -> None:
    _write(path, "".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in scenarios), out)


def _write(path: str, text: str, out: TextIO) -> None:
    """Write ``text`` to ``path`` atomically, or to standard output for ``-``."""
    from ._files import write_atomic

    if path == "-":
        out.write(text)
        return
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})", "--save") from None


def _print_findings(found: Any, args: argparse.Namespace, out: TextIO) -> int:
    doc = found.to_json()
    for f in doc["findings"]:
        f["witness"] = _replayable(
            f["witness"], "allowed", f"who-can-assume witness: statement {f['statement']}, {f['principal']}"
        )
    if args.json:
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        _print_findings_text(found, doc, out)
    if args.save:  # JSON Lines: one witness scenario per line, as `rolecall decide` reads them
        _save_lines(args.save, [f["witness"] for f in doc["findings"]], out)
    return EXIT_UNKNOWN if found.unknown is not None else EXIT_OK


def _print_findings_text(found: Any, doc: dict[str, Any], out: TextIO) -> None:
    """who-can-assume for a person: each finding, the principals that never match, and an unknown answer."""
    if not doc["findings"] and found.unknown is None:
        out.write("who-can-assume: nobody can assume this role\n")
    for f in doc["findings"]:
        if f["class"] == "federated":
            _print_federated(f, out)
        else:
            _print_finding(f, out)
    for d in doc.get("never_match", []):
        out.write(f"- {d['principal']}, statement {d['statement']}: never matches ({d['why']})\n")
    if found.unknown is not None:
        more = " (the findings above may be incomplete)" if doc["findings"] else ""
        out.write(f"who-can-assume: UNKNOWN{more}\n  {found.unknown.reason}\n")


def _print_finding(f: dict[str, Any], out: TextIO) -> None:
    """One finding of an AWS principal, for a person: who, in which accounts, on what conditions."""
    who = "any account" if f["accounts"] == "any" else ", ".join(f["accounts"]) or "services only"
    scope = [s for s, on in (("same account", f["same_account"]), ("cross-account", f["cross_account"])) if on]
    out.write(
        f"- {f['principal']} ({f['class']}), statement {f['statement']}"
        + (f" (Sid {f['sid']})" if "sid" in f else "")
        + "\n"
    )
    out.write(f"    who: {who}" + (f"; {', '.join(scope)}" if scope else "") + "\n")
    if f["external_id_required"]:
        out.write("    an ExternalId is required\n")
    if "conditions" in f:
        out.write(f"    conditions: {json.dumps(f['conditions'], ensure_ascii=False)}\n")
    out.write(f"    witness: {json.dumps(f['witness'], ensure_ascii=False)}\n")


def _print_federated(f: dict[str, Any], out: TextIO) -> None:
    """One federated finding (docs/federation.md §6), for a person."""
    public = {True: "PUBLIC", False: "not public", None: "public: undecided"}[f["public"]]
    out.write(
        f"- {f['principal']} ({f['issuer']}, {f['api']}), statement {f['statement']}"
        + (f" (Sid {f['sid']})" if "sid" in f else "")
        + "\n"
    )
    out.write(f"    who: {f['admits']}; {public}\n")
    for note in f.get("notes", []):
        out.write(f"    note: {note}\n")
    if "conditions" in f:
        out.write(f"    conditions: {json.dumps(f['conditions'], ensure_ascii=False)}\n")
    out.write(f"    witness: {json.dumps(f['witness'], ensure_ascii=False)}\n")


def describe(scenario: dict[str, Any]) -> str:
    """The caller and request of a scenario, for a person."""
    if "federated_caller" in scenario:
        return _describe_federated(scenario)
    c, r = scenario["caller"], scenario["request"]
    lines = [_caller_line(c), *_caller_policy_lines(c)]
    role = scenario["role"]
    lines.append(
        f"  role: {role['arn']}"
        + (f" (tags {json.dumps(role['tags'], ensure_ascii=False)})" if role.get("tags") else "")
    )
    lines.append(_request_line(r))
    if scenario.get("context"):
        lines.append("  context: " + json.dumps(scenario["context"], ensure_ascii=False))
    return "\n".join(lines) + "\n"


def _caller_line(c: dict[str, Any]) -> str:
    """The caller: its ARN or service, with its credentials, path, tags, source identity and MFA."""
    who = c.get("arn") or c.get("service")
    extra = []
    if c.get("credentials"):
        extra.append(f"{c['credentials']} credentials")
    if c.get("role_path", "/") != "/":
        extra.append(f"role path {c['role_path']}")
    if c.get("tags"):
        extra.append("tags " + json.dumps(c["tags"], ensure_ascii=False))
    if c.get("transitive_tag_keys"):
        extra.append("inherited transitive tags " + ", ".join(c["transitive_tag_keys"]))
    if c.get("source_identity"):
        extra.append(f"source identity {c['source_identity']}")
    if c.get("mfa"):
        extra.append("signed in with MFA")
    return f"  caller: {who}" + (f" ({'; '.join(extra)})" if extra else "")


def _caller_policy_lines(c: dict[str, Any]) -> list[str]:
    """The actions the caller's identity policies, permissions boundary and session policy allow."""
    lines = []
    if "identity_policies" in c and "service" not in c:
        allowed = sorted(
            {
                a
                for p in c["identity_policies"]
                for s in p["Statement"]
                if s.get("Effect") == "Allow"
                for a in _listed(s.get("Action"))
            }
        )
        lines.append("    identity policy allows: " + (", ".join(allowed) or "nothing"))
    for key, label in (("permissions_boundary", "permissions boundary"), ("session_policy", "session policy")):
        if key in c:
            allowed = sorted({a for s in c[key]["Statement"] for a in _listed(s.get("Action"))})
            lines.append(f"    {label} allows: " + ", ".join(allowed))
    return lines


def _request_line(r: dict[str, Any]) -> str:
    """The request: session name, ExternalId, session tags, transitive keys and source identity."""
    parts = [f"session name {r['role_session_name']!r}"]
    parts.append(f"ExternalId {r['external_id']!r}" if "external_id" in r else "no ExternalId")
    if r.get("tags"):
        parts.append("tags " + ", ".join(f"{t['Key']}={t['Value']}" for t in r["tags"]))
    if r.get("transitive_tag_keys"):
        parts.append("transitive " + ", ".join(r["transitive_tag_keys"]))
    if r.get("source_identity"):
        parts.append(f"source identity {r['source_identity']!r}")
    return "  request: " + "; ".join(parts)


def _describe_federated(scenario: dict[str, Any]) -> str:
    """The token or assertion of a federated scenario, for a person."""
    fc = scenario["federated_caller"]
    lines = [f"  door: {scenario['api']}"]
    if "assertion" in fc:
        a = fc["assertion"]
        lines.append(f"  SAML assertion: issuer {a.get('issuer')}, NameID {a.get('name_id')!r}")
        lines.append("    attributes: " + json.dumps(a.get("attributes", {}), ensure_ascii=False))
    else:
        lines.append(f"  token of {fc.get('provider')}: " + json.dumps(fc.get("claims", {}), ensure_ascii=False))
        if "cognito_pool_account" in fc:
            lines.append(f"    identity pool of account {fc['cognito_pool_account']}")
    lines.append(f"  role: {scenario['role']['arn']}")
    if scenario.get("context"):
        lines.append("  context: " + json.dumps(scenario["context"], ensure_ascii=False))
    return "\n".join(lines) + "\n"


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])
