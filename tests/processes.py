"""``rolecall`` in a process of its own, as a user's shell runs it (one helper for every test that needs it).

``rolecall conformance`` runs pytest, which must not share the test run's state; and none of the test
run's settings (``ROLECALL_*``, ``PYTEST_*``, ``HYPOTHESIS_*``) may reach it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

__all__ = ["rolecall"]


def rolecall(
    cwd: Path,
    *argv: str,
    path: str | Path | None = None,
    timeout: float = 120,
    memory: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``rolecall ARGV`` in ``cwd``, with ``path`` (one folder, or several joined by
    ``os.pathsep``) importable; its output captured as text. ``memory``: a limit on the process's
    address space in bytes (the hostile-input tests: a command that reads too much dies of it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLECALL_", "PYTEST_", "HYPOTHESIS_"))}
    if path is not None:
        env["PYTHONPATH"] = str(path)

    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "rolecall.conformance.cli", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        check=False,
    )
