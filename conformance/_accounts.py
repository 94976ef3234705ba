"""``rolecall collect`` and ``rolecall snapshot``: accounts as input (private; docs/accounts.md).

``snapshot`` converts saved outputs of AWS (``aws iam get-account-authorization-details`` per account,
identity providers, an Organizations snapshot) and rolecall snapshots into one snapshot file.
``collect`` reads the same outputs live, read-only (``rolecall.conformance.collect``), and writes the
snapshot. Both print what they read, and what they did not keep, on stderr.

Exit codes: 0 written, 2 bad usage or bad input (one line naming the input, the JSON path and the
problem), 3 the target or the network failed (one line naming the call).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import TextIO

from rolecall.model import InputError
from rolecall.model.accounts.readers import Read, read_files, read_inputs

from ._files import write_atomic

__all__ = ["ACCOUNTS_COMMANDS", "add_accounts_commands", "run_accounts_command"]

EXIT_OK, EXIT_INPUT, EXIT_TARGET = 0, 2, 3
ACCOUNTS_COMMANDS = ("collect", "snapshot")


def add_accounts_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``collect`` and ``snapshot`` to the ``rolecall`` parser."""
    s = sub.add_parser(
        "snapshot",
        help="convert get-account-authorization-details dumps (and an Organizations snapshot) into a snapshot",
        description="Read get-account-authorization-details outputs (one account per file: a response or an array "
        "of pages, policy documents as objects or URL-encoded; several files of one account are merged), identity "
        "provider files and rolecall snapshots, and an Organizations snapshot, and write one rolecall snapshot "
        "(docs/accounts.md). Exit 0 written, 2 bad input.",
    )
    s.add_argument(
        "inputs", nargs="+", metavar="DUMP", help="get-account-authorization-details outputs, providers, snapshots"
    )
    s.add_argument("--organization", metavar="FILE", help="an Organizations snapshot (docs/accounts.md)")
    s.add_argument("-o", "--output", metavar="FILE", required=True, help="where to write the snapshot ('-': stdout)")
    s.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr (errors only)")
    c = sub.add_parser(
        "collect",
        help="read accounts and their organization live (read-only AWS calls) into a snapshot",
        description="Read the caller's account, or with --assume-role each of --accounts (default: every active "
        "account of the organization), and the organization, with read-only calls (docs/accounts.md lists them and "
        "a policy allowing them), and write a rolecall snapshot. Credentials and region come from the environment "
        "or --profile, as for the AWS CLI. Exit 0 written, 2 bad usage, 3 the target or the network failed.",
    )
    c.add_argument("-o", "--output", metavar="FILE", required=True, help="where to write the snapshot ('-': stdout)")
    c.add_argument("--endpoint-url", metavar="URL", help="send every call to this endpoint (an emulator)")
    c.add_argument("--profile", help="the AWS CLI profile to use (default: the environment's credentials)")
    c.add_argument("--region", help="the region of the calls (default: the profile's, else us-east-1)")
    c.add_argument(
        "--assume-role",
        metavar="NAME",
        help="read other accounts by assuming the role NAME in each (for example OrganizationAccountAccessRole)",
    )
    c.add_argument(
        "--accounts",
        metavar="ID,ID",
        type=lambda v: [a.strip() for a in v.split(",") if a.strip()],
        default=[],
        help="with --assume-role: the accounts to read (default: every active account of the organization)",
    )
    c.add_argument("--no-organization", action="store_true", help="do not read AWS Organizations")
    c.add_argument(
        "--no-role-durations",
        action="store_true",
        help="skip ListRoles (roles then take the default 3600 s MaxSessionDuration)",
    )
    c.add_argument("--retries", type=int, default=5, metavar="N", help="attempts per call (botocore standard mode)")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr (errors only)")


def run_accounts_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``collect`` or ``snapshot``; exit code per the module docstring."""
    if args.command == "snapshot":
        try:
            read = read_files(args.inputs, args.organization)
        except InputError as exc:
            err.write(_line(f"rolecall snapshot: bad input: {exc.message} (at {exc.path})"))
            return EXIT_INPUT
        return _write(read, args, out, err, "snapshot", "")
    from .collect import CollectError, CollectUsageError, collect

    progress: Callable[[str], None] | None = None
    if not args.quiet:
        progress = _progress(err)
    try:
        got = collect(
            endpoint_url=args.endpoint_url,
            profile=args.profile,
            region=args.region,
            accounts=args.accounts,
            assume_role=args.assume_role,
            organization=not args.no_organization,
            role_durations=not args.no_role_durations,
            retries=args.retries,
            progress=progress,
        )
    except CollectUsageError as exc:
        _end_progress(err, progress)
        err.write(_line(f"rolecall collect: {exc}"))
        return EXIT_INPUT
    except CollectError as exc:
        _end_progress(err, progress)
        err.write(_line(f"rolecall collect: target failed: {exc}"))
        return EXIT_TARGET
    _end_progress(err, progress)
    try:
        read = read_inputs(got.inputs, got.organization)
    except InputError as exc:  # AWS's answer is not what AWS documents: the target's fault
        err.write(_line(f"rolecall collect: the target's answer cannot be read: {exc.message} (at {exc.path})"))
        return EXIT_TARGET
    calls = sum(got.calls.values())
    return _write(read, args, out, err, "collect", f"; {calls} API calls in {got.seconds:.1f} s", got.notes)


def _write(
    read: Read, args: argparse.Namespace, out: TextIO, err: TextIO, command: str, tail: str, notes: Sequence[str] = ()
) -> int:
    text = json.dumps(read.document, indent=1, ensure_ascii=False) + "\n"
    if args.output == "-":
        out.write(text)
    else:
        try:
            write_atomic(args.output, text)
        except OSError as exc:
            err.write(_line(f"rolecall {command}: cannot write {args.output}: {exc.strerror or exc}"))
            return EXIT_INPUT
    if not args.quiet:
        where = "stdout" if args.output == "-" else args.output
        err.write(_line(f"rolecall {command}: {summary(read)}{tail}; wrote {where}"))
        for note in [*notes, *read.notes]:
            err.write(_line(f"rolecall {command}: note: {note}"))
    return EXIT_OK


def summary(read: Read) -> str:
    """What a snapshot holds, in one line."""
    c = read.counts
    text = (
        f"{c.get('accounts', 0)} account(s): {c.get('users', 0)} users, {c.get('groups', 0)} groups, "
        f"{c.get('roles', 0)} roles, {c.get('customer_managed_policies', 0)} customer managed policies, "
        f"{c.get('aws_managed_policies_from_dumps', 0)} AWS managed policies from the dumps and "
        f"{c.get('aws_managed_policies_shipped', 0)} shipped, {c.get('oidc_providers', 0)} OIDC and "
        f"{c.get('saml_providers', 0)} SAML providers"
    )
    org = read.snapshot.organization
    if org is not None:
        text += f"; organization {org.id}: {len(org.nodes)} roots, OUs and accounts, {len(org.policies)} SCPs and RCPs"
    return text


def _progress(err: TextIO) -> Callable[[str], None]:
    """Progress on stderr: one line rewritten in place on a terminal, a line per step otherwise."""
    tty = bool(getattr(err, "isatty", lambda: False)())

    def say(message: str) -> None:
        if tty:
            err.write("\r\x1b[2K" + f"rolecall collect: {message}"[:200])
            err.flush()
        else:
            err.write(_line(f"rolecall collect: {message}"))

    say.tty = tty  # type: ignore[attr-defined]
    return say


def _end_progress(err: TextIO, progress: Callable[[str], None] | None) -> None:
    if progress is not None and getattr(progress, "tty", False):
        err.write("\n")


def _line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n") + "\n"
