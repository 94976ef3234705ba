"""A moto server in a process of its own, standing in for an emulator rolecall knows nothing about.

Its IAM enforcement is switched on once two accounts each have an ``admin`` user with an
allow-everything policy and an access key: from then on everything the endpoint target does is
signed with the accounts file's credentials, as against any emulator. A process of its own, so that a
test can kill it mid-run (the dead-target tests) and so that it shares no state with the test run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.moto_clients import admin_keys, moto_api

__all__ = ["ACCOUNTS", "ADMIN_POLICY", "MotoProcess", "moto_process"]

ACCOUNTS = ("111111111111", "222222222222")
ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@dataclass
class MotoProcess:
    """A running moto server: its URL, its process, and the admin credentials of each account."""

    url: str
    process: subprocess.Popen[bytes]
    keys: dict[str, dict[str, Any]]

    def accounts_file(self, folder: Path, name: str = "moto-as-unknown", **extra: Any) -> Path:
        """Write an accounts file naming both accounts' admin keys (``extra``: more top-level keys)."""
        path = folder / "accounts.json"
        doc = {"region": "us-east-1", "accounts": self.keys, "name": name, **extra}
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        return path

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        self.process.kill()
        self.process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: the repository's root: the working directory of a server module of the tests (``tests.…``)
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def moto_process(
    accounts: tuple[str, ...] = ACCOUNTS, server: Sequence[str] = ("moto.server",)
) -> Iterator[MotoProcess]:
    """Start ``python -m moto.server`` on 127.0.0.1 (or ``python -m *server``, a module taking moto_server's
    options after its own arguments, such as :mod:`tests.conformance.faulty_emulator`), provision an admin
    in each of ``accounts``, switch enforcement on; stop it after."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLECALL_", "PYTEST_", "HYPOTHESIS_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", *server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                moto_api(url, "reset", "")
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server on {url} did not start") from None
                time.sleep(0.1)
        keys = admin_keys(url, accounts, ADMIN_POLICY)
        moto_api(url, "reset-auth", "0")  # from now on every request is authenticated and authorized
        yield MotoProcess(url, proc, keys)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
