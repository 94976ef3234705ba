"""A faulty emulator: moto's server whose AssumeRole has one fault of the detection catalogue.

``python -m tests.conformance.faulty_emulator FAULT [moto_server's options]`` runs moto's server in this
process with :func:`rolecall.conformance.moto_exact.exact_sts` on (rolecall's model answers every
AssumeRole) and the fault ``FAULT`` of :data:`tests.quality.faults.CATALOGUE` planted in that model for the
process's lifetime: an emulator that answers AssumeRole with exactly one known defect, and everything else
(IAM, its enforcement, GetCallerIdentity) as moto does. A process of its own, because the planted fault
changes the model of the process it lives in, and the suite checking it must keep the untouched one
(issue 21 item 6: the workflow proven on a target the suite did not write).
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Sequence

from moto.server import main as moto_main

from rolecall.conformance.moto_exact import exact_sts
from tests.quality.faults import by_name, planted

__all__ = ["main"]


def main(argv: Sequence[str]) -> int:
    """Serve until killed; exit 2 with one line for an unknown fault."""
    if not argv:
        sys.stderr.write("usage: python -m tests.conformance.faulty_emulator FAULT [moto_server options]\n")
        return 2
    try:
        fault = by_name(argv[0])
    except KeyError as exc:
        sys.stderr.write(f"faulty_emulator: {exc.args[0]}\n")
        return 2
    with planted(fault, OrderedDict()), exact_sts():
        moto_main(list(argv[1:]) or ["--host", "127.0.0.1"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
