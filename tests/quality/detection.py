"""The detection run: the conformance suite against every faulty target of the catalogue.

``python -m tests.quality.detection`` (what ``tox -e detection`` and ``.ci/run`` run)
runs the conformance suite (``conformance/test_*.py`` with the rolecall plugin, as
``rolecall conformance --target tests.quality.faulty:FaultyTarget --no-probe --strict -x``
does) once per fault of both catalogues (:data:`tests.quality.faults.CATALOGUE`, the planted
defects, and :data:`tests.quality.evaluators.CATALOGUE`, real evaluators' mistakes;
``ROLECALL_FAULT`` names the fault), reads each run's ``report.json``, and writes the
detection table as ``DETECTION.md`` and ``detection.json``. The black-box faults of
:data:`tests.quality.blackbox.BLACKBOX` (emulators' mistakes written as separate targets
through the public target protocol, not as patches of the model) run in the same way,
``--target tests.quality.blackbox:BlackBoxTarget``, and are counted with the others.

What is generated is the Hypothesis profile's (``ci`` by default: 300 examples per
property, derandomized, no example database). Two things differ from a user's run,
both about what happens *after* a fault is caught: a run stops at the first
property that catches the fault (``-x``; ``--all-properties`` runs every one), and
a property shrinks only the first class of divergence it meets (Hypothesis's
``report_multiple_bugs`` off). A user's run shrinks every class; here one small
counterexample per fault is enough, and the run stays within CI's budget.

For every fault:

* **caught**: a property found a new divergence (the target is the model with one
  fault planted, and there are no expectations, so every divergence is the fault);
* **examples**: how many examples the catching property had generated when it met
  the first divergence, before shrinking (the report's ``first_new_at``; with
  ``--all-properties``, the fewest over the properties that caught it);
* **counterexample**: the smallest shrunk counterexample of the run (fewest
  statements, then conditions, then accounts), with its size: statements in all of
  its policies (the request's session policy included), condition tests (operator
  and key pairs), distinct account ids.

The run passes (exit 0) when every fault is caught, the median of *examples* is at
most 200, at least 90% of the faults' counterexamples have at most two statements
and at most one condition, and no equivalent mutant (a control, excluded from the
rate) is reported: a divergence there would be a bug in the suite. Exit 1 when a
criterion fails, 2 on bad usage, 3 when a run crashed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rolecall import conformance
from rolecall.conformance._reduce import scenario_size as size_of

from . import blackbox
from .blackbox import BlackBoxFault
from .faults import Fault, by_name, catalogue_of, every_fault

__all__ = ["main", "measure", "run_fault", "size_of", "verdict"]

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TARGET = "tests.quality.faulty:FaultyTarget"
MEDIAN_EXAMPLES = 200
SMALL_SHARE = 0.9
# The suite as `rolecall conformance --target tests.quality.faulty:FaultyTarget --no-probe --strict -x` runs it,
# under the given profile with Hypothesis's report_multiple_bugs off: a property stops at the first class of divergence
# it meets and shrinks that one only. What is generated is the profile's; a fault needs to be caught once.
_LAUNCH = """
import sys
import pytest
from hypothesis import Phase, settings
from rolecall.strategies import register_profiles
register_profiles()
phases = [p for p in Phase if p.name in sys.argv[3].split(",")]
settings.register_profile(sys.argv[1], parent=settings.get_profile(sys.argv[2]), report_multiple_bugs=False,
                          phases=phases)
sys.exit(pytest.main(sys.argv[4:]))
"""
_SHRINK = "explicit,reuse,generate,target,shrink"
_NO_SHRINK = "explicit,reuse,generate,target"

Entry = Fault | BlackBoxFault
"""A row of the detection run: a fault planted in the model, or a black-box fault (its own target)."""


# ---------------------------------------------------------------------------------------- sizes


def _small(sz: dict[str, int]) -> bool:
    return sz["statements"] <= 2 and sz["conditions"] <= 1


# ---------------------------------------------------------------------------------------- one fault


def kind_of(fault: Entry) -> str:
    """``black-box`` for a fault of :data:`tests.quality.blackbox.BLACKBOX`, ``planted`` otherwise."""
    return "black-box" if isinstance(fault, BlackBoxFault) else "planted"


def target_of(fault: Entry) -> str:
    """The import path the suite loads ``fault``'s target by (``ROLECALL_FAULT`` names the fault)."""
    return blackbox.TARGET if isinstance(fault, BlackBoxFault) else TARGET


def entry(name: str) -> Entry:
    """The planted or black-box fault called ``name`` (``KeyError`` naming both catalogues otherwise)."""
    try:
        return blackbox.by_name(name)
    except KeyError:
        return by_name(name)


def measure(fault: Entry, report: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The detection row of one fault from its conformance report."""
    features: dict[str, Any] = report.get("features", {})
    caught_by = sorted(f for f, row in features.items() if row.get("first_new_at") is not None)
    firsts = [int(features[f]["first_new_at"]) for f in caught_by]
    new = [d for d in report.get("divergences", []) if d.get("status") == "new"]
    crashed = [d for d in new if d.get("facts", {}).get("target") == "target-error"]
    examples = [
        {
            "feature": d["feature"],
            "summary": d.get("summary"),
            "size": size_of(d["scenario"]),
            "scenario": d["scenario"],
        }
        for d in new
    ]
    examples.sort(
        key=lambda e: (
            e["size"]["statements"],
            e["size"]["conditions"],
            e["size"]["accounts"],
            len(json.dumps(e["scenario"])),
        )
    )
    best = examples[0] if examples else None
    return {
        "fault": fault.name,
        "kind": kind_of(fault),
        "description": fault.description,
        "rule": fault.rule,
        "source": fault.source,
        "catalogue": "black-box" if isinstance(fault, BlackBoxFault) else catalogue_of(fault),
        "evidence": getattr(fault, "evidence", ""),
        "equivalent": fault.equivalent,
        "caught": bool(new),
        "caught_by": caught_by,
        "examples": min(firsts) if firsts else None,
        "counterexample": best,
        "counterexamples": len(examples),
        "small_counterexamples": sum(1 for e in examples if _small(e["size"])),
        "target_errors": len(crashed),
        "examples_run": int(report.get("summary", {}).get("examples", 0)),
        "seconds": round(seconds, 1),
    }


def run_fault(
    fault: Entry, profile: str, workdir: Path, *, every_property: bool = False, shrink: bool = True
) -> dict[str, Any]:
    """Run the suite against ``fault`` (a subprocess, so every fault starts from a clean interpreter)."""
    report_dir = workdir / fault.name
    env = {
        **os.environ,
        "ROLECALL_FAULT": fault.name,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    }
    suite = str(Path(conformance.__file__).resolve().parent)
    cmd = [
        sys.executable,
        "-c",
        _LAUNCH,
        f"{profile}-detection",
        profile,
        _SHRINK if shrink else _NO_SHRINK,
        suite,
        "--rootdir",
        suite,
        "-c",
        os.devnull,
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        "-q",
        "--tb=no",
        "--no-header",
        "--rolecall-target",
        target_of(fault),
        "--hypothesis-profile",
        f"{profile}-detection",
        "--rolecall-report",
        str(report_dir),
        "--rolecall-no-probe",
        "--rolecall-strict",  # a fault on a point AWS leaves open is still a departure from the model
        # how soon a fault is found and how small its counterexample: each property stops at its first new
        # divergence and Hypothesis shrinks it (exploring past it would spend the whole budget on a known fault)
        "--rolecall-stop-at-first",
        *([] if every_property else ["-x"]),
        # a fault in the federated rules (model/federation.py, rules F0-F12) lies on a path only federated
        # scenarios take: the AssumeRole properties provably never meet it, so only the federation feature runs
        *(["-k", "test_federation"] if fault.rule.startswith("F") else []),
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    report_file = report_dir / "report.json"
    if proc.returncode not in (0, 1) or not report_file.exists():
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise RuntimeError(f"the run against fault {fault.name!r} failed (exit {proc.returncode}):\n{tail}")
    return measure(fault, json.loads(report_file.read_text(encoding="utf-8")), seconds)


# ---------------------------------------------------------------------------------------- the verdict


def verdict(
    rows: Sequence[dict[str, Any]], *, shrunk: bool = True, committed: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The summary figures and the list of criteria that failed (empty: the run passes).

    Without shrinking the counterexamples' sizes are not judged. With ``committed`` (the
    ``detection.json`` of an earlier run of the same kind), each fault must still be caught by the
    same property at the same example: the committed table then describes this code.
    """
    faults = [r for r in rows if not r["equivalent"]]
    controls = [r for r in rows if r["equivalent"]]
    caught = [r for r in faults if r["caught"]]
    examples = [r["examples"] for r in caught if r["examples"] is not None]
    small = [r for r in caught if r["counterexample"] and _small(r["counterexample"]["size"])]
    all_examples = sum(r["counterexamples"] for r in caught)
    summary = {
        "faults": len(faults),
        "caught": len(caught),
        "detection_rate": round(len(caught) / len(faults), 4) if faults else None,
        "median_examples": statistics.median(examples) if examples else None,
        "max_examples": max(examples) if examples else None,
        "small_counterexample_share": round(len(small) / len(caught), 4) if caught else None,
        "all_counterexamples": all_examples,
        "all_small_share": round(sum(r["small_counterexamples"] for r in caught) / all_examples, 4)
        if all_examples
        else None,
        "equivalent_controls": len(controls),
        "seconds": round(sum(r["seconds"] for r in rows), 1),
    }
    failures = [f"fault {r['fault']!r} was not caught ({r['description']})" for r in faults if not r["caught"]]
    failures += [
        f"equivalent mutant {r['fault']!r} was reported as a divergence: the suite is unsound there"
        for r in controls
        if r["caught"]
    ]
    failures += [
        f"fault {r['fault']!r}: the faulty target crashed ({r['target_errors']} target errors)"
        for r in faults
        if r["target_errors"]
    ]
    if examples and summary["median_examples"] > MEDIAN_EXAMPLES:
        failures.append(f"median examples to detection {summary['median_examples']} > {MEDIAN_EXAMPLES}")
    if shrunk and caught and summary["small_counterexample_share"] < SMALL_SHARE:
        failures.append(
            f"only {summary['small_counterexample_share']:.0%} of the counterexamples have at most two "
            f"statements and one condition (< {SMALL_SHARE:.0%})"
        )
    if committed is not None:
        old = {r["fault"]: r for r in committed.get("faults", [])}
        for r in rows:
            o = old.get(r["fault"])
            if o is None:
                failures.append(f"fault {r['fault']!r} is not in the committed table: rerun `tox -e detection`")
            elif (o["caught_by"], o["examples"]) != (r["caught_by"], r["examples"]):
                failures.append(
                    f"fault {r['fault']!r}: caught by {r['caught_by']} at example {r['examples']}, the "
                    f"committed table says {o['caught_by']} at {o['examples']}: rerun `tox -e detection`"
                )
    return summary, failures


# ---------------------------------------------------------------------------------------- the tables


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fault_table(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The table rows of ``rows`` (faults, not controls), with the header."""
    lines = [
        "| fault | rule | caught | examples | by properties | size (st/cond/acct) | counterexample |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ce = r["counterexample"]
        size = f"{ce['size']['statements']}/{ce['size']['conditions']}/{ce['size']['accounts']}" if ce else "-"
        lines.append(
            f"| `{r['fault']}`: {_cell(r['description'])} | {_cell(r['rule'])} | "
            f"{'yes' if r['caught'] else '**NO**'} | {r['examples'] if r['examples'] is not None else '-'} | "
            f"{', '.join(r['caught_by']) or '-'} | {size} | {_cell(ce['summary'] or '') if ce else '-'} |"
        )
    return lines


def _per_catalogue(rows: Sequence[dict[str, Any]]) -> str:
    """One line: how many faults of each catalogue were caught."""
    parts = []
    for name in ("planted", "evaluators", "black-box"):
        faults = [r for r in rows if r.get("catalogue", "planted") == name and not r["equivalent"]]
        if faults:
            parts.append(f"{name} {sum(1 for r in faults if r['caught'])}/{len(faults)}")
    return "Caught per catalogue: " + ", ".join(parts) + "."


def _catalogue_cell(row: dict[str, Any]) -> str:
    """``planted``, or ``evaluators`` with a link to the evaluator's line (its GitHub owner/name)."""
    if row.get("catalogue") != "evaluators":
        return "planted"
    repo = "/".join(row["source"].split("/")[3:5])
    return f"evaluators: [{repo}]({row['source']})"


def _evaluator_sources(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The second catalogue's section: each fault, the line it comes from and what that line does wrong."""
    mine = [r for r in rows if r.get("catalogue") == "evaluators"]
    if not mine:
        return []
    lines = [
        "",
        "## The second catalogue: real evaluators' mistakes",
        "",
        "Each fault reproduces one mistake shown in an open-source evaluator's code, at a pinned commit "
        "(`tests/quality/evaluators.py`).",
        "",
        "| fault | source | what the line does wrong |",
        "|---|---|---|",
    ]
    for r in mine:
        lines.append(
            f"| `{r['fault']}` | [{_cell(r['source'].split('/', 7)[-1])}]({r['source']}) | {_cell(r['evidence'])} |"
        )
    return lines


def markdown(
    rows: Sequence[dict[str, Any]],
    summary: dict[str, Any],
    failures: Sequence[str],
    profile: str,
    all_properties: bool = False,
    shrunk: bool = True,
) -> str:
    s = summary
    black = [r for r in rows if r.get("kind") == "black-box"]
    planted = sum(1 for r in rows if r.get("kind") != "black-box" and not r["equivalent"])
    lines = [
        "# Detection power of the conformance suite",
        "",
        "Generated by `python -m tests.quality.detection"
        + (" --all-properties" if all_properties else "")
        + "` (`tox -e detection`); never edited by hand. "
        f"Hypothesis profile `{profile}`. Each fault is one defect planted in the reference model: "
        "the first catalogue's (`tests/quality/faults.py`, *planted*) or a mistake shown in a real "
        "evaluator's code (`tests/quality/evaluators.py`, *evaluators*, each linked to its line below); "
        "or a black-box fault, a separate target written through the public target protocol, the way a "
        "third-party emulator goes wrong (`tests/quality/blackbox.py`). The suite runs against each as "
        "against any target "
        "(`rolecall conformance --target tests.quality.faulty:FaultyTarget --no-probe --strict`, or "
        "`--target tests.quality.blackbox:BlackBoxTarget`, with `ROLECALL_FAULT=NAME`), "
        + (
            "every property against every fault"
            if all_properties
            else "stopping at the first property that catches the fault"
        )
        + (
            ", each property shrinking the first class of divergence it meets."
            if shrunk
            else ", without shrinking (the counterexamples are as first generated)."
        ),
        "",
        f"**Detection rate: {s['caught']}/{s['faults']} faults caught"
        + (f" ({s['detection_rate']:.0%})" if s["detection_rate"] is not None else "")
        + "**"
        + (f" ({planted} planted, {len(black)} black-box)" if black else "")
        + "; "
        f"median examples to detection {s['median_examples']} (max {s['max_examples']}); "
        f"{s['small_counterexample_share']:.0%} of the faults' smallest counterexamples have at most two statements "
        f"and at most one condition ({s['all_small_share']:.0%} of all {s['all_counterexamples']} shrunk "
        f"counterexamples); {s['equivalent_controls']} equivalent mutants run as controls; "
        f"{s['seconds']} s of runs.",
        "",
        "Examples: how many examples the property that caught the fault had generated when it met the first "
        "divergence"
        + (" (the fewest over the properties that caught it)" if all_properties else "")
        + ". Size of the smallest shrunk counterexample: statements in all policies / condition tests / "
        "distinct accounts.",
        "",
    ]
    lines += [_per_catalogue(rows), ""]
    if failures:
        lines += ["**Criteria not met:**", "", *[f"- {f}" for f in failures], ""]
    lines += [
        "| fault | catalogue | rule | caught | examples | by properties | size (st/cond/acct) | counterexample |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["equivalent"] or r.get("kind") == "black-box":
            continue
        ce = r["counterexample"]
        size = f"{ce['size']['statements']}/{ce['size']['conditions']}/{ce['size']['accounts']}" if ce else "-"
        lines.append(
            f"| `{r['fault']}`: {_cell(r['description'])} | {_catalogue_cell(r)} | {_cell(r['rule'])} | "
            f"{'yes' if r['caught'] else '**NO**'} | {r['examples'] if r['examples'] is not None else '-'} | "
            f"{', '.join(r['caught_by']) or '-'} | {size} | {_cell(ce['summary'] or '') if ce else '-'} |"
        )
    if black:
        lines += [
            "",
            "## Black-box faults (separate targets)",
            "",
            "Each is a target of its own (`tests/quality/blackbox.py`), written through the public target "
            "protocol around the `model` target, never a patch of the model: it bends the scenario before "
            "deciding (drops what the emulator never reads) or the answer (the emulator's own response), as the "
            "emulator named in its source does.",
            "",
            *_fault_table(black),
            "",
            "| fault | source |",
            "|---|---|",
            *[f"| `{r['fault']}` | {_cell(r['source'])} |" for r in black],
        ]
    lines += [
        "",
        "## Equivalent mutants (controls, excluded from the rate)",
        "",
        "| mutant | why no decision can change | reported |",
        "|---|---|---|",
    ]
    for r in rows:
        if r["equivalent"]:
            lines.append(
                f"| `{r['fault']}`: {_cell(r['description'])} | {_cell(r['equivalent'])} | "
                f"{'**yes (a suite bug)**' if r['caught'] else 'nothing, as it must'} |"
            )
    lines += _evaluator_sources(rows)
    lines += [
        "",
        "## Counterexamples",
        "",
        "The smallest shrunk counterexample of each fault, replayable with "
        "`ROLECALL_FAULT=NAME rolecall replay --target tests.quality.faulty:FaultyTarget FILE` "
        "(a black-box fault: `--target tests.quality.blackbox:BlackBoxTarget`; from the repository root). "
        "`rolecall replay` runs AssumeRole scenarios only: a federated counterexample (`api` "
        "AssumeRoleWithWebIdentity or AssumeRoleWithSAML) is decided with `rolecall decide FILE`, and the "
        "fault's own answer read from the run's report.",
        "",
    ]
    for r in rows:
        ce = r["counterexample"]
        if ce and not r["equivalent"]:
            lines += [
                f"### `{r['fault']}`",
                "",
                f"Found by `{ce['feature']}`: {ce['summary']}",
                "",
                "```json",
                json.dumps(ce["scenario"], indent=None, sort_keys=True),
                "```",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def write(
    out: Path,
    rows: list[dict[str, Any]],
    summary: dict[str, Any],
    failures: list[str],
    profile: str,
    all_properties: bool = False,
    *,
    shrunk: bool = True,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    data = {
        "format": "rolecall-detection/1",
        "profile": profile,
        "all_properties": all_properties,
        "shrunk": shrunk,
        "summary": summary,
        "failures": failures,
        "faults": rows,
    }
    (out / "detection.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (out / "DETECTION.md").write_text(
        markdown(rows, summary, failures, profile, all_properties, shrunk), encoding="utf-8"
    )


# ---------------------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.quality.detection", description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", choices=("dev", "ci", "nightly"), default="ci", help="Hypothesis profile (ci)")
    p.add_argument(
        "--out",
        default=str(HERE),
        metavar="DIR",
        help="where to write DETECTION.md and detection.json (default: tests/quality)",
    )
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="faults run at once (default: cores)")
    p.add_argument("--fault", action="append", metavar="NAME", help="only this fault (repeatable)")
    p.add_argument(
        "--no-shrink",
        action="store_true",
        help="do not shrink (CI: whether and how soon each fault is caught; counterexample sizes are "
        "judged by the full run)",
    )
    p.add_argument(
        "--check-against",
        metavar="FILE",
        help="a committed detection.json: fail unless every fault is caught by the same property at the same example",
    )
    p.add_argument(
        "--all-properties",
        action="store_true",
        help="run every property against every fault (default: stop at the first that catches it)",
    )
    args = p.parse_args(argv)
    try:
        faults = [entry(n) for n in args.fault] if args.fault else [*every_fault(), *blackbox.BLACKBOX]
    except KeyError as exc:
        print(f"detection: {exc.args[0]}", file=sys.stderr)
        return 2
    print(f"detection: {len(faults)} faulty targets, profile {args.profile}, {args.jobs} at a time", flush=True)
    with tempfile.TemporaryDirectory(prefix="rolecall-detection-") as tmp:

        def one(fault: Entry) -> dict[str, Any]:
            row = run_fault(
                fault, args.profile, Path(tmp), every_property=args.all_properties, shrink=not args.no_shrink
            )
            mark = "caught" if row["caught"] else "not caught"
            print(f"  {fault.name:<34} {mark:<10} examples {row['examples']!s:<5} {row['seconds']:>6.1f} s", flush=True)
            return row

        try:
            with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
                rows = list(pool.map(one, faults))
        except RuntimeError as exc:
            print(f"detection: {exc}", file=sys.stderr)
            return 3
    committed = None
    if args.check_against:
        try:
            committed = json.loads(Path(args.check_against).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"detection: cannot read {args.check_against}: {exc}", file=sys.stderr)
            return 2
    summary, failures = verdict(rows, shrunk=not args.no_shrink, committed=committed)
    write(Path(args.out), rows, summary, failures, args.profile, args.all_properties, shrunk=not args.no_shrink)
    rate = f"{summary['caught']}/{summary['faults']}"
    print(
        f"detection: {rate} faults caught, median examples {summary['median_examples']}, small counterexamples "
        f"{summary['small_counterexample_share']}, tables in {args.out}/DETECTION.md and detection.json"
    )
    for f in failures:
        print(f"detection: FAIL {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
