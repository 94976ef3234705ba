"""The conformance report: ``report.json``, the ``CONFORMANCE.md`` matrix, reproduction scripts (private).

A run of the suite against one target ends in one report (:func:`build_report`):
the target and its version, per feature the test tallies and the example
counts, the expectations replayed, every new divergence and one example of
each known divergence hit, each with a standalone boto3 script that reproduces
it (:func:`reproduce_script`). :func:`write_report` writes the report and the
matrix of features against targets (:func:`matrix`) that ``CONFORMANCE.md``
shows; that file is generated, never edited by hand.

The inputs are plain JSON-ready data (what :meth:`Conformance.data` returns,
merged across pytest-xdist workers by :func:`merge_data`), so the report can be
built in the controller process without the target.
"""

from __future__ import annotations

import datetime
import json
import platform
import re
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rolecall import model

from ._compare import confidence
from ._files import FileTooLarge, read_text_capped, write_atomic
from ._world import Plan, Unsupported, plan
from .expectations import Expectations
from .session import divergence_class

__all__ = [
    "DEFAULT_COMMAND",
    "FORMAT",
    "ReportError",
    "build_report",
    "junit_properties",
    "load_reports",
    "matrix",
    "merge_data",
    "reproduce_script",
    "write_report",
]

FORMAT = "rolecall-conformance-report/1"

#: the command named in the header of the generated ``CONFORMANCE.md``
DEFAULT_COMMAND = "rolecall conformance --target TARGET (or pytest --rolecall-target TARGET --rolecall-report DIR)"

_TEST_KEYS = ("passed", "failed", "skipped", "error")
_COUNT_KEYS = ("examples", "agreed", "known", "open", "new", "unsupported", "order_avoided", "target_errors")
_REPLAY_RANK = {"holds": 0, "fixed": 1, "changed": 2, "target-error": 3}


class ReportError(ValueError):
    """A report file that cannot be used (the message names the file)."""


# ---------------------------------------------------------------------------------------------- the data


def merge_data(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge :meth:`Conformance.data` dictionaries of several pytest-xdist workers into one.

    Counts and ``known_hits`` are summed, ``known_examples`` united (the first
    example of an expectation wins), ``new`` concatenated, and ``replayed``
    united; an expectation replayed by several workers keeps the worst status
    (``changed`` over ``fixed`` over ``holds``); ``first_new`` keeps the fewest examples per feature;
    ``open_hits`` are summed and ``open_examples`` united like the known ones; ``target_errors`` (examples
    the target did not answer) concatenated; ``classes`` (an exploring run's new classes) united, their
    counts, features and variants summed.
    """
    counts: dict[str, dict[str, int]] = {}
    known_hits: dict[str, int] = {}
    known_examples: dict[str, Any] = {}
    new: list[dict[str, Any]] = []
    replayed: dict[str, str] = {}
    first_new: dict[str, int] = {}
    open_hits: dict[str, int] = {}
    open_examples: dict[str, Any] = {}
    target_errors: list[dict[str, Any]] = []
    classes: dict[str, dict[str, Any]] = {}
    for item in items:
        target_errors.extend(item.get("target_errors", []))
        for key, tally in item.get("classes", {}).items():
            into = classes.setdefault(key, {**tally, "count": 0, "features": {}, "variants": {}})
            into["count"] += int(tally.get("count", 0))
            for what in ("features", "variants"):
                for name, n in tally.get(what, {}).items():
                    into[what][name] = into[what].get(name, 0) + int(n)
        for point, hits in item.get("open_hits", {}).items():
            open_hits[point] = open_hits.get(point, 0) + int(hits)
        for point, example in item.get("open_examples", {}).items():
            open_examples.setdefault(point, example)
        for feature, n in item.get("first_new", {}).items():
            first_new[feature] = min(int(n), first_new.get(feature, int(n)))
        for feature, c in item.get("counts", {}).items():
            into = counts.setdefault(feature, dict.fromkeys(_COUNT_KEYS, 0))
            for key, value in c.items():
                into[key] = into.get(key, 0) + int(value)
        for entry_id, hits in item.get("known_hits", {}).items():
            known_hits[entry_id] = known_hits.get(entry_id, 0) + int(hits)
        for entry_id, example in item.get("known_examples", {}).items():
            known_examples.setdefault(entry_id, example)
        new.extend(item.get("new", []))
        for entry_id, status in item.get("replayed", {}).items():
            old = replayed.get(entry_id)
            if old is None or _REPLAY_RANK.get(status, 3) > _REPLAY_RANK.get(old, 3):
                replayed[entry_id] = status
    return {
        "counts": counts,
        "known_hits": known_hits,
        "known_examples": known_examples,
        "new": new,
        "replayed": replayed,
        "first_new": first_new,
        "open_hits": open_hits,
        "open_examples": open_examples,
        "target_errors": target_errors,
        "classes": classes,
    }


def _unique(values: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values))


def _expected_of(scenario: Mapping[str, Any]) -> dict[str, Any] | None:
    """The model's result for a scenario, or ``None`` when it is not valid input."""
    try:
        return model.decide(model.load_scenario(dict(scenario))).to_json()
    except Exception:  # a pinned counterexample of a newer or hand-edited format: no expectation printed
        return None


def _script_or_none(scenario: Mapping[str, Any], expected: dict[str, Any] | None, title: str | None) -> str | None:
    try:
        return reproduce_script(dict(scenario), expected, title=title)
    except (Unsupported, model.RolecallError, KeyError, TypeError, ValueError):
        return None  # a caller the emulators cannot be (service, root, federated…) or an invalid scenario


def _file_name(text: str) -> str:
    """``text`` as a safe file name (an expectation id is the user's text)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:100] or "scenario"


def build_report(
    meta: dict[str, Any], tests: dict[str, Any], data: dict[str, Any], expectations: Expectations
) -> dict[str, Any]:
    """The ``report.json`` structure of one run (format :data:`FORMAT`).

    ``meta`` holds ``rolecall_version``, ``target_name``, ``target_version``,
    ``capabilities``, ``profile``, ``started`` (epoch seconds),
    ``duration_seconds``, ``interrupted`` (the run was stopped before its end: the report
    covers only what ran, and says so) and ``stopped`` (why, when the circuit breaker stopped
    it); ``tests`` the pytest tallies per feature (``passed``, ``failed``, ``skipped``, ``error``,
    ``skip_reasons``); optional ``replay`` (the ``rolecall replay`` command line of the target, without
    the scenario file), ``report_dir`` (where :func:`write_report` writes, so that each divergence's
    ``replay`` names its ``scenario_file`` there) and ``scripts`` (false: no boto3 scripts, which
    provision through moto's own controls and so reproduce on moto only); ``data`` what the session
    observed (:meth:`Conformance.data`, or :func:`merge_data` of the
    workers'). A ``reproduce`` script is ``None`` for a scenario whose caller the
    emulators cannot provision.
    """
    features = _feature_rows(tests, data)
    divergences = _divergence_items(data)
    known = _known_items(expectations, data)
    _name_scenario_files([*divergences, *known], meta)
    classes = _classes(divergences, data.get("classes", {}))
    summary = _summary(features, divergences, known, classes, data)
    replayed: dict[str, str] = dict(data.get("replayed", {}))
    started = datetime.datetime.fromtimestamp(float(meta["started"]), tz=datetime.UTC)
    return {
        "format": FORMAT,
        "rolecall_version": str(meta["rolecall_version"]),
        "target": {
            "name": str(meta["target_name"]),
            "version": str(meta["target_version"]),
            "capabilities": sorted(str(c) for c in meta.get("capabilities", ())),
        },
        "profile": str(meta["profile"]),
        "started": started.isoformat(timespec="seconds"),
        "duration_seconds": round(float(meta["duration_seconds"]), 3),
        "interrupted": bool(meta.get("interrupted", False)),
        "stopped": meta.get("stopped"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "features": features,
        "expectations": {
            "file": str(expectations.path) if expectations.path is not None else None,
            "version": expectations.version,
            "entries": len(expectations.entries),
            "replayed": replayed,
        },
        "divergences": divergences,
        "classes": classes,
        "target_errors": list(data.get("target_errors", [])),
        "known": known,
        "summary": summary,
    }


def _feature_rows(tests: dict[str, Any], data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One row per feature: the pytest tallies, the session's counts and where the first new divergence was met."""
    counts: dict[str, Any] = data.get("counts", {})
    features: dict[str, dict[str, Any]] = {}
    for feature in sorted(set(tests) | set(counts)):
        t = tests.get(feature, {})
        c = counts.get(feature, {})
        row: dict[str, Any] = {k: int(t.get(k, 0)) for k in _TEST_KEYS}
        row["skip_reasons"] = _unique(t.get("skip_reasons", []))
        row.update({k: int(c.get(k, 0)) for k in _COUNT_KEYS})
        first = data.get("first_new", {}).get(feature)
        row["first_new_at"] = None if first is None else int(first)
        features[feature] = row
    return features


def _divergence_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The divergences: new (one per class), then known (one example per expectation), then open points."""
    divergences: list[dict[str, Any]] = []
    for d in _one_per_class(data.get("new", []), data.get("classes", {})):
        divergences.append(
            {
                **d,
                "status": "new",
                "confidence": confidence(str(d.get("difference", {}).get("open_point", ""))),
                "reproduce": _script_or_none(d["scenario"], d.get("model"), d.get("summary")),
            }
        )
    for entry_id, d in sorted(data.get("known_examples", {}).items()):
        divergences.append(
            {
                **d,
                "status": "known",
                "expectation": d.get("expectation") or entry_id,
                "reproduce": _script_or_none(d["scenario"], d.get("model"), d.get("summary")),
            }
        )
    open_hits: dict[str, int] = {k: int(v) for k, v in data.get("open_hits", {}).items()}
    for point, d in sorted(data.get("open_examples", {}).items()):
        divergences.append(
            {
                **d,
                "status": "open",
                "unverified": True,
                "confidence": confidence(point),
                "open_point": point,
                "hits": open_hits.get(point, 0),
                "reproduce": _script_or_none(d["scenario"], d.get("model"), d.get("summary")),
            }
        )
    return divergences


def _known_items(expectations: Expectations, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every expectation entry, with its hits in this run, its replay status and a script for its counterexample."""
    replayed: dict[str, str] = dict(data.get("replayed", {}))
    known_hits: dict[str, int] = {k: int(v) for k, v in data.get("known_hits", {}).items()}
    known: list[dict[str, Any]] = []
    for e in expectations.entries:
        known.append(
            {
                "id": e.id,
                "feature": e.feature,
                "reason": e.reason,
                "link": e.link,
                "signature": e.signature,
                "hits": known_hits.get(e.id, 0),
                "replay": replayed.get(e.id),
                "counterexample": e.counterexample,
                "reproduce": _script_or_none(e.counterexample, _expected_of(e.counterexample), f"{e.id}: {e.reason}"),
            }
        )
    return known


def _name_scenario_files(items: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    """Each item's scenario file name (numbered per status, an expectation by its id), the ``rolecall replay``
    command that runs it, and no boto3 script where the run's target cannot use one."""
    scripts = bool(meta.get("scripts", True))
    replay = meta.get("replay")
    where = Path(str(meta.get("report_dir") or "."))
    numbers: dict[str, int] = {}
    for item in items:
        status = str(item.get("status", "expectation"))
        numbers[status] = numbers.get(status, 0) + 1
        name = item["id"] if "id" in item and status == "expectation" else f"{status}-{numbers[status]}"
        item["scenario_file"] = f"scenarios/{_file_name(str(name))}.json"
        if replay:
            item["replay"] = f"{replay} {shlex.quote(str(where / item['scenario_file']))}"
        if not scripts:
            item["reproduce"] = None


def _summary(
    features: dict[str, dict[str, Any]],
    divergences: list[dict[str, Any]],
    known: list[dict[str, Any]],
    classes: list[dict[str, Any]],
    data: dict[str, Any],
) -> dict[str, Any]:
    """The run's totals: the tallies summed over features, and the divergences by kind."""
    replayed: dict[str, str] = dict(data.get("replayed", {}))
    known_hits: dict[str, int] = {k: int(v) for k, v in data.get("known_hits", {}).items()}
    open_hits: dict[str, int] = {k: int(v) for k, v in data.get("open_hits", {}).items()}
    new_count = sum(1 for d in divergences if d["status"] == "new")
    summary = {k: sum(f[k] for f in features.values()) for k in _TEST_KEYS}
    summary.update(
        {
            "new_divergences": new_count,
            "known_divergences": sum(1 for k in known if k["hits"]),
            "known_hits": sum(known_hits.values()),
            "expectations_fixed": sum(1 for s in replayed.values() if s == "fixed"),
            "open_points": dict(sorted(open_hits.items())),
            "unverified": sum(open_hits.values()),
            "classes": len(classes),
            "order_avoided": sum(f["order_avoided"] for f in features.values()),
            "examples": sum(f["examples"] for f in features.values()),
            "target_errors": sum(f["target_errors"] for f in features.values()),
        }
    )
    return summary


def _one_per_class(new: list[dict[str, Any]], classes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The new divergences, one per class of an exploring run (``classes``): when several properties or
    workers found the same class first (xdist workers do not share what they learned), the smallest
    scenario stands for it, carrying the class's tally (``hits``: its examples, ``features``: the features
    whose properties met it, ``variants``: the scenario tag sets met). Divergences of no such class (a
    run that stopped at the first) are kept as they are."""
    out: list[dict[str, Any]] = []
    at: dict[str, int] = {}
    for d in new:
        key = divergence_class(d.get("facts", {}))
        tally = classes.get(key)
        if tally is None:
            out.append(d)
            continue
        item = {
            **d,
            "class": key,
            "hits": int(tally.get("count", 0)),
            "features_met": dict(tally.get("features", {})),
            "variants": dict(tally.get("variants", {})),
        }
        if key not in at:
            at[key] = len(out)
            out.append(item)
        elif len(json.dumps(d["scenario"])) < len(json.dumps(out[at[key]]["scenario"])):
            out[at[key]] = item
    return out


def _classes(divergences: list[dict[str, Any]], classes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report's ``classes``: each class of new divergence once, largest count first, with the features
    that met it, its variants and its minimal scenario (and its file). An exploring run counts examples (``classes``
    of its data); a run that stopped at the first counts the new divergences of the class (one per property
    that stopped on it: the same class found again by another property is listed there again)."""
    out: dict[str, dict[str, Any]] = {}
    for d in divergences:
        if d.get("status") != "new":
            continue
        key = d.get("class") or divergence_class(d.get("facts", {}))
        tally = classes.get(key)
        if key in out:  # a run that stopped at the first: another property stopped on the same class
            seen = out[key]
            seen["count"] += 1
            seen["features"][str(d.get("feature"))] = seen["features"].get(str(d.get("feature")), 0) + 1
            continue
        out[key] = {
            "class": key,
            "summary": d.get("summary"),
            "feature": d.get("feature"),
            "count": int(tally.get("count", 1)) if tally else 1,
            "features": dict(tally.get("features", {})) if tally else {str(d.get("feature")): 1},
            "variants": dict(tally.get("variants", {})) if tally else {},
            "confidence": d.get("confidence", "established"),
            "scenario_file": d.get("scenario_file"),
            "scenario": d.get("scenario"),
        }
    return sorted(out.values(), key=lambda c: -int(c["count"]))


def junit_properties(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ``<property>`` elements of the JUnit XML testsuite: the target and the run's totals."""
    s = report["summary"]
    return [
        ("rolecall_target", str(report["target"]["name"])),
        ("rolecall_target_version", str(report["target"]["version"])),
        ("rolecall_profile", str(report["profile"])),
        ("rolecall_version", str(report["rolecall_version"])),
        ("rolecall_new_divergences", str(s["new_divergences"])),
        ("rolecall_known_divergences", str(s["known_divergences"])),
        ("rolecall_expectations_fixed", str(s["expectations_fixed"])),
        ("rolecall_examples", str(s["examples"])),
    ]


# ---------------------------------------------------------------------------------------------- files


def load_reports(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Read report files, checking each is a rolecall conformance report of format :data:`FORMAT`."""
    out = []
    for p in paths:
        path = Path(p)
        try:
            report = json.loads(read_text_capped(path))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, FileTooLarge) as exc:
            raise ReportError(f"{path}: cannot read a report ({exc})") from None
        except RecursionError:
            raise ReportError(f"{path}: not a rolecall conformance report (JSON nested too deeply)") from None
        if not isinstance(report, dict) or "format" not in report:
            raise ReportError(f'{path}: not a rolecall conformance report (no "format")')
        if report["format"] != FORMAT:
            raise ReportError(f"{path}: unsupported report format {report['format']!r} (expected {FORMAT!r})")
        for key in ("target", "features", "divergences", "known", "summary"):
            if key not in report:
                raise ReportError(f"{path}: the report has no {key!r}")
        problem = _shape_problem(report)
        if problem:
            raise ReportError(f"{path}: {problem}")
        out.append(report)
    return out


_NUMBERS = ("passed", "failed", "skipped", "error")
_SUMMARY_NUMBERS = (*_NUMBERS, "examples", "new_divergences", "known_divergences", "expectations_fixed")


def _shape_problem(report: Mapping[str, Any]) -> str | None:
    """What in a report the matrix cannot use, with its JSON path, or ``None`` (a report edited or
    written by another tool must be refused in one line, never crash the matrix)."""
    for problem in (_target_problem, _features_problem, _items_problem, _summary_problem):
        found = problem(report)
        if found is not None:
            return found
    return None


def _whole_number(value: Any) -> bool:
    """An integer that is not a boolean."""
    return isinstance(value, int) and not isinstance(value, bool)


def _target_problem(report: Mapping[str, Any]) -> str | None:
    """``$.target``: an object with a name, a version and a list of capabilities."""
    target = report["target"]
    if not isinstance(target, dict) or not isinstance(target.get("name"), str) or "version" not in target:
        return "$.target: expected an object with a name and a version"
    if not isinstance(target.get("capabilities", []), list):
        return "$.target.capabilities: expected a list"
    return None


def _features_problem(report: Mapping[str, Any]) -> str | None:
    """``$.features``: an object of tallies (whole numbers) and skip reasons (a list) per feature."""
    features = report["features"]
    if not isinstance(features, dict):
        return "$.features: expected an object (feature -> tallies)"
    for name, f in features.items():
        if not isinstance(f, dict):
            return f"$.features[{json.dumps(name)}]: expected an object"
        for key in (*_NUMBERS, "examples", "agreed", "known", "open"):
            if key in f and not _whole_number(f[key]):
                return f"$.features[{json.dumps(name)}].{key}: expected a whole number"
        if not isinstance(f.get("skip_reasons", []), list):
            return f"$.features[{json.dumps(name)}].skip_reasons: expected a list"
    return None


def _items_problem(report: Mapping[str, Any]) -> str | None:
    """``$.divergences`` and ``$.known``: lists of objects, each with the fields the matrix reads."""
    for key in ("divergences", "known"):
        if not isinstance(report[key], list):
            return f"$.{key}: expected a list"
        for i, item in enumerate(report[key]):
            if not isinstance(item, dict):
                return f"$.{key}[{i}]: expected an object"
            if key == "known" and not (isinstance(item.get("id"), str) and isinstance(item.get("feature"), str)):
                return f"$.known[{i}]: expected an id and a feature (strings)"
            if key == "known" and not _whole_number(item.get("hits", 0)):
                return f"$.known[{i}].hits: expected a whole number"
            if key == "divergences" and not isinstance(item.get("difference", {}), dict):
                return f"$.divergences[{i}].difference: expected an object"
    return None


def _summary_problem(report: Mapping[str, Any]) -> str | None:
    """``$.summary``: an object holding the matrix's totals as whole numbers."""
    summary = report["summary"]
    if not isinstance(summary, dict):
        return "$.summary: expected an object"
    for key in _SUMMARY_NUMBERS:
        if not _whole_number(summary.get(key)):
            return f"$.summary.{key}: expected a whole number"
    return None


def write_report(
    directory: Path, report: dict[str, Any], others: Iterable[str | Path] = (), *, command: str = DEFAULT_COMMAND
) -> tuple[Path, Path]:
    """Write ``report.json`` and ``CONFORMANCE.md`` into ``directory`` (created if missing).

    The matrix has a column for this report and one for each other report file
    in ``others`` (the file just written is never counted twice). Returns the
    two paths.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for item in [*report.get("divergences", []), *report.get("known", [])]:
        scenario = item.get("scenario", item.get("counterexample"))
        if item.get("scenario_file") and scenario is not None:
            path = directory / item["scenario_file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps(scenario, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    json_path = directory / "report.json"
    write_atomic(json_path, json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    here = json_path.resolve()
    other_paths = [Path(p) for p in others if Path(p).resolve() != here]
    md_path = directory / "CONFORMANCE.md"
    write_atomic(md_path, matrix([report, *load_reports(other_paths)], command=command))
    return json_path, md_path


# ---------------------------------------------------------------------------------------------- the matrix


def _cell_text(text: str, limit: int = 80) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _column(report: Mapping[str, Any]) -> str:
    return f"{report['target']['name']} {report['target']['version']}"


def _cell(report: Mapping[str, Any], feature: str) -> str:
    f = report["features"].get(feature)
    if f is None:
        return "—"
    new = sum(1 for d in report["divergences"] if d.get("status") == "new" and d.get("feature") == feature)
    if new:
        return f"❌ {new} new"
    if f.get("failed", 0) or f.get("error", 0):
        return f"❌ {f.get('failed', 0) + f.get('error', 0)} failed"
    ran = f.get("passed", 0) + f.get("examples", 0)
    if f.get("skipped", 0) and not ran:
        reasons = "; ".join(f.get("skip_reasons", [])) or "no reason given"
        return f"⏭ skipped ({_cell_text(reasons)})"
    if f.get("known", 0):
        return f"⚠️ known {f['known']}"
    if f.get("examples", 0):
        return f"✅ {f.get('agreed', 0)}/{f['examples']}"
    return f"✅ {f.get('passed', 0)}/{f.get('passed', 0) + f.get('skipped', 0)}"


def _feature_order(feature: str) -> tuple[int, str]:
    return (1 if feature == "expectations" else 0, feature)


def matrix(reports: list[dict[str, Any]], *, command: str = DEFAULT_COMMAND) -> str:
    """The ``CONFORMANCE.md`` text: features by targets, then each target's divergences and totals."""
    features = sorted({f for r in reports for f in r["features"]}, key=_feature_order)
    lines = [
        "# rolecall conformance matrix",
        "",
        "<!-- Generated file: never edit it by hand, regenerate it. -->",
        f"Generated by `{command}` from the conformance reports (`report.json`); never edited by hand.",
        "",
        "✅ passed (examples agreeing with the model / examples) · ⚠️ only known divergences · "
        "❌ new divergences or failures · ⏭ skipped",
        "",
        "| feature | " + " | ".join(_column(r) for r in reports) + " |",
        "|---|" + "---|" * len(reports),
    ]
    for feature in features:
        lines.append(f"| {feature} | " + " | ".join(_cell(r, feature) for r in reports) + " |")
    for r in reports:
        lines += _target_head(r)
        lines += _known_section(r["known"])
        lines += _new_section([d for d in r["divergences"] if d.get("status") == "new"])
        lines += _open_section([d for d in r["divergences"] if d.get("status") == "open"])
        s = r["summary"]
        lines += [
            "",
            f"**Totals**: {s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped, "
            f"{s['error']} errors; {s['examples']} examples; {s['new_divergences']} new divergences, "
            f"{s['known_divergences']} known divergences hit, "
            f"{s['expectations_fixed']} expectations fixed.",
        ]
    return "\n".join(lines) + "\n"


def _target_head(r: Mapping[str, Any]) -> list[str]:
    """A target's section heading: versions, profile, timing, platform, an interruption and its capabilities."""
    lines = ["", f"## {_column(r)}", ""]
    lines.append(
        f"rolecall {r.get('rolecall_version', '?')}, profile `{r.get('profile', '?')}`, "
        f"started {r.get('started', '?')}, {r.get('duration_seconds', 0):.1f} s, "
        f"Python {r.get('python', '?')} on {r.get('platform', '?')}."
    )
    if r.get("interrupted"):
        why = f" ({_cell_text(str(r['stopped']), 300)})" if r.get("stopped") else ""
        lines.append(
            f"**Interrupted**: the run was stopped before its end{why}; features without a row did not run, "
            "and the others may have run fewer examples."
        )
    caps = r["target"].get("capabilities", [])
    if caps:
        lines.append(f"Capabilities: {', '.join(caps)}.")
    return lines


def _known_section(known: list[dict[str, Any]]) -> list[str]:
    """The known divergences: each expectation with its reason, link, hits and replay status."""
    lines = ["", f"### Known divergences ({len(known)})", ""]
    if not known:
        lines.append("None.")
    for k in known:
        link = f" — [{k['link']}]({k['link']})" if k.get("link") else ""
        replay = f", replay {k['replay']}" if k.get("replay") else ""
        lines.append(
            f"- `{k['id']}` ({k['feature']}): {_cell_text(str(k['reason']), 300)}{link} "
            f"(hits {k.get('hits', 0)}{replay})"
        )
    return lines


def _new_section(new: list[dict[str, Any]]) -> list[str]:
    """The new divergences, numbered: summary, detail, tally of an exploring run, and the scenario folded."""
    lines = ["", f"### New divergences ({len(new)})", ""]
    if not new:
        lines.append("None.")
    for i, d in enumerate(new, 1):
        detail = d.get("difference", {}).get("detail", "")
        met = d.get("features_met") or {}
        tally = (
            f" — {d['hits']} examples in {', '.join(sorted(met))}, {len(d.get('variants') or {})} variant(s)"
            if "hits" in d
            else ""
        )
        lines += [
            f"{i}. **{d.get('feature')}**: {_cell_text(str(d.get('summary', '')), 300)}"
            + (f" ({_cell_text(str(detail), 200)})" if detail else "")
            + tally,
            "",
            "   <details><summary>scenario</summary>",
            "",
            "   ```json",
            *("   " + line for line in json.dumps(d.get("scenario"), indent=2, sort_keys=True).splitlines()),
            "   ```",
            "",
            "   </details>",
        ]
        if i < len(new):
            lines.append("")
    return lines


def _open_section(opened: list[dict[str, Any]]) -> list[str]:
    """The unverified divergences, on points AWS leaves open (docs/semantics.md §5); nothing when none."""
    if not opened:
        return []
    lines = ["", f"### Unverified: answers on points AWS leaves open ({len(opened)})", ""]
    lines.append(
        "Not failing the run: each rests on a fact the semantics tag inferred or contested, and the target "
        "answers as AWS may (docs/semantics.md §5); `--strict` counts them."
    )
    lines.append("")
    for d in opened:
        point = d.get("difference", {}).get("open_point", d.get("open_point", ""))
        lines.append(
            f"- `{d.get('open_point')}` ({d.get('confidence', 'inferred')}, {d.get('hits', 0)} examples): "
            f"{_cell_text(str(point), 300)}"
        )
    return lines


# ---------------------------------------------------------------------------------------------- reproduce

_SCRIPT_HEAD = '''\
#!/usr/bin/env python3
"""Reproduce a rolecall conformance scenario with boto3: {title}

Generated by rolecall from the scenario below; standalone (needs boto3, and moto unless ENDPOINT_URL is set).

    python THIS_FILE                                      # moto in-process (mock_aws), IAM enforcement on
    ENDPOINT_URL=http://127.0.0.1:5000 python THIS_FILE   # a moto server whose accounts are empty
    MOTO_RESET=1 ENDPOINT_URL=http://127.0.0.1:5000 python THIS_FILE   # ... after POST /moto-api/reset

Scenario:
{scenario}
"""

import os
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT_URL = os.environ.get("ENDPOINT_URL") or None
REGION = {region!r}
CONFIG = Config(parameter_validation=False, retries={{"total_max_attempts": 1}})
PROVISIONING = ("provisioning", "provisioning", None)

# What AWS answers, according to the rolecall reference model:
EXPECTED = {expected!r}
'''

_SCRIPT_HELPERS = '''

def client(service, account=None, creds=PROVISIONING):
    """A boto3 client signing with creds; account: moto's x-moto-account-id header (provisioning)."""
    c = boto3.client(service, region_name=REGION, endpoint_url=ENDPOINT_URL, config=CONFIG,
                     aws_access_key_id=creds[0], aws_secret_access_key=creds[1], aws_session_token=creds[2])
    if account is not None:
        def add_account(request, **_):
            request.headers["x-moto-account-id"] = account
        c.meta.events.register("before-sign.*.*", add_account)
    return c


def moto_api(path, body):
    """POST to the moto server's control API."""
    req = urllib.request.Request(ENDPOINT_URL.rstrip("/") + "/moto-api/" + path, method="POST",
                                 data=body.encode(), headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()


def set_auth(unauthenticated):
    """How many next calls moto lets through unauthenticated: "inf" (enforcement off) or "0" (on)."""
    if ENDPOINT_URL:
        moto_api("reset-auth", unauthenticated)
    else:
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin

        settings.INITIAL_NO_AUTH_ACTION_COUNT = float(unauthenticated)
        ActionAuthenticatorMixin.request_count = 0
'''

_SCRIPT_MAIN = """

def error_text(exc):
    err = exc.response.get("Error", {})
    return f"{err.get('Code')}: {err.get('Message')}"


def main():
    set_auth("inf")  # provisioning passes unauthenticated ...
    try:
        caller = provision()
    except ClientError as exc:
        print(f"outcome: {error_text(exc)} (refused while provisioning)")
        caller = None
    finally:
        set_auth("0")  # ... and everything after it is authenticated and authorized
    if caller is not None:
        try:
            resp = client("sts", creds=caller).assume_role(**PARAMS)
        except ClientError as exc:
            print(f"outcome: {error_text(exc)}")
        else:
            user = resp["AssumedRoleUser"]
            print(f"outcome: allowed {user['Arn']} {user['AssumedRoleId']}")
    if EXPECTED is not None:
        what = EXPECTED.get("error_code") or EXPECTED.get("denied_by") or ""
        print(f"expected (AWS, per the rolecall model): {EXPECTED.get('decision')}" + (f" ({what})" if what else ""))


if __name__ == "__main__":
    if ENDPOINT_URL:
        if os.environ.get("MOTO_RESET"):
            moto_api("reset", "")  # forget every account's users and roles
        try:
            main()
        finally:
            set_auth("inf")  # leave the server as moto starts: IAM enforcement off
    else:
        from moto import mock_aws

        with mock_aws():
            main()
"""


def _tags_literal(tags: Iterable[tuple[str, str]]) -> str:
    return repr([{"Key": k, "Value": v} for k, v in tags])


def _kwargs(pairs: Iterable[tuple[str, str]]) -> str:
    """``Name=literal`` pairs, the literals already Python source."""
    return ", ".join(f"{k}={v}" for k, v in pairs)


def _provision_lines(p: Plan) -> tuple[list[str], list[str]]:
    """The constants (policy texts) and the body of ``provision()`` for a plan."""
    consts = _provision_consts(p)
    if p.caller.kind == "user":
        body = _user_caller_lines(p)
    else:
        body = _session_caller_lines(p, consts)
    body += _target_role_lines(p)
    body.append("return caller")
    return consts, body


def _provision_consts(p: Plan) -> list[str]:
    """The script's constants: the caller's policies, boundary and session policy, the trust policy, the request."""
    c, r = p.caller, p.role
    consts: list[str] = []
    consts.append(
        "CALLER_POLICIES = ["
        + "".join(f"\n    {x!r}," for x in c.identity_policies)
        + ("\n]" if c.identity_policies else "]")
    )
    if c.boundary is not None:
        consts.append(f"CALLER_BOUNDARY = {c.boundary!r}")
    if c.session_policy is not None:
        consts.append(f"CALLER_SESSION_POLICY = {c.session_policy!r}")
    consts.append(f"TRUST_POLICY = {r.trust!r}")
    params = "".join(f"\n    {k!r}: {v!r}," for k, v in p.params.items())
    consts.append("# The AssumeRole request under test, exactly as the scenario gives it:\nPARAMS = {" + params + "\n}")
    return consts


def _user_caller_lines(p: Plan) -> list[str]:
    """``provision()`` for an IAM user caller: the user, its boundary, its policies and an access key."""
    c = p.caller
    tags = list(c.tags)
    body: list[str] = []
    body.append(f"# the caller: IAM user arn:{c.partition}:iam::{c.account}:user{c.path}{c.name}")
    body.append(f'iam = client("iam", {c.account!r})')
    kw = [("UserName", repr(c.name)), ("Path", repr(c.path))]
    if tags:
        kw.append(("Tags", _tags_literal(tags)))
    body.append(f"iam.create_user({_kwargs(kw)})")
    if c.boundary is not None:
        body.append(
            f"boundary = iam.create_policy(PolicyName={c.name + '-boundary'!r}, "
            'PolicyDocument=CALLER_BOUNDARY)["Policy"]["Arn"]'
        )
        body.append(f"iam.put_user_permissions_boundary(UserName={c.name!r}, PermissionsBoundary=boundary)")
    body.append("for i, doc in enumerate(CALLER_POLICIES):")
    body.append(f'    iam.put_user_policy(UserName={c.name!r}, PolicyName=f"p{{i}}", PolicyDocument=doc)')
    body.append(f'key = iam.create_access_key(UserName={c.name!r})["AccessKey"]')
    body.append('caller = (key["AccessKeyId"], key["SecretAccessKey"], None)')
    return body


def _session_caller_lines(p: Plan, consts: list[str]) -> list[str]:
    """``provision()`` for a role-session caller: its role (the target role itself when it assumes itself,
    else a role trusting its own account, whose trust policy joins ``consts``), then its session."""
    c = p.caller
    body: list[str] = []
    session = f"arn:{c.partition}:sts::{c.account}:assumed-role/{c.name}/{c.session_name}"
    if p.self_assume:
        body.append(f"# the caller: {session}, a session of the target role itself ({c.role_arn}):")
        body.append("# one role, with the target's trust policy, duration and tags and the caller's permissions")
        kw, tags = _self_role_kwargs(p)
    else:
        body.append(f"# the caller: {session}, a session of role {c.role_arn}")
        consts.insert(
            -2,
            f"# The caller's role trusts its own account (its session is created unauthenticated):\n"
            f"CALLER_ROLE_TRUST = {_own_account_trust(p)!r}",
        )
        kw = [
            ("RoleName", repr(c.name)),
            ("Path", repr(c.path)),
            ("AssumeRolePolicyDocument", "CALLER_ROLE_TRUST"),
            ("MaxSessionDuration", "43200"),
        ]
        tags = list(c.tags)
    body.append(f'iam = client("iam", {c.account!r})')
    if tags:
        kw.append(("Tags", _tags_literal(tags)))
    if c.boundary is not None:
        body.append(
            f"boundary = iam.create_policy(PolicyName={c.name + '-boundary'!r}, "
            'PolicyDocument=CALLER_BOUNDARY)["Policy"]["Arn"]'
        )
        kw.append(("PermissionsBoundary", "boundary"))
    body.append(f"iam.create_role({_kwargs(kw)})")
    body.append("for i, doc in enumerate(CALLER_POLICIES):")
    body.append(f'    iam.put_role_policy(RoleName={c.name!r}, PolicyName=f"p{{i}}", PolicyDocument=doc)')
    body.append(f'cred = client("sts").assume_role({_kwargs(_session_kwargs(p))})["Credentials"]')
    body.append('caller = (cred["AccessKeyId"], cred["SecretAccessKey"], cred["SessionToken"])')
    return body


def _self_role_kwargs(p: Plan) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """create_role's arguments and tags for a caller that is a session of the target role itself."""
    c, r = p.caller, p.role
    kw = [("RoleName", repr(c.name)), ("Path", repr(c.path)), ("AssumeRolePolicyDocument", "TRUST_POLICY")]
    if r.max_session_duration is not None:
        kw.append(("MaxSessionDuration", repr(r.max_session_duration)))
    return kw, list(c.tags) or list(r.tags)


def _own_account_trust(p: Plan) -> str:
    """The trust policy of the caller's role: its own account may assume it, tag it and set a source identity."""
    c = p.caller
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{c.partition}:iam::{c.account}:root"},
                    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                }
            ],
        },
        separators=(",", ":"),
    )


def _session_kwargs(p: Plan) -> list[tuple[str, str]]:
    """The AssumeRole arguments that create the caller's session: its name, session policy, transitive tags
    and source identity."""
    c = p.caller
    skw = [("RoleArn", repr(c.role_arn)), ("RoleSessionName", repr(c.session_name))]
    if c.session_policy is not None:
        skw.append(("Policy", "CALLER_SESSION_POLICY"))
    if c.transitive_tag_keys:
        skw.append(("Tags", _tags_literal((k, v) for k, v in c.tags if k in c.transitive_tag_keys)))
        skw.append(("TransitiveTagKeys", repr(list(c.transitive_tag_keys))))
    if c.source_identity is not None:
        skw.append(("SourceIdentity", repr(c.source_identity)))
    return skw


def _target_role_lines(p: Plan) -> list[str]:
    """``provision()``'s target role: none to create when the caller assumes its own role or the role is missing."""
    c, r = p.caller, p.role
    body: list[str] = []
    if p.self_assume:
        body.append("# the target role is the caller's role (created above)")
    elif not r.exists:
        body.append(f"# the target role {r.arn} does not exist (role.exists is false): nothing to create")
    else:
        body.append(f"# the target role {r.arn}")
        if r.account != c.account:
            body.append(f'iam = client("iam", {r.account!r})')
        kw = [("RoleName", repr(r.name)), ("Path", repr(r.path)), ("AssumeRolePolicyDocument", "TRUST_POLICY")]
        if r.max_session_duration is not None:
            kw.append(("MaxSessionDuration", repr(r.max_session_duration)))
        if r.tags:
            kw.append(("Tags", _tags_literal(r.tags)))
        body.append(f"iam.create_role({_kwargs(kw)})")
    return body


def reproduce_script(
    scenario: dict[str, Any], expected: dict[str, Any] | None = None, *, title: str | None = None
) -> str:
    """A standalone boto3 script that provisions ``scenario`` on moto and performs its AssumeRole.

    The script runs moto in-process (``mock_aws``) unless ``ENDPOINT_URL`` names
    a moto server; it provisions with IAM enforcement off (moto's
    ``/moto-api/reset-auth``, or the same settings in-process), every IAM call
    carrying ``x-moto-account-id``, then switches enforcement on and calls
    AssumeRole with the caller's credentials and the scenario's parameters
    exactly. It prints ``outcome: …`` (the assumed-role user, or the error code
    and message) and, when ``expected`` (a model result) or the scenario's
    ``expect`` is known, what AWS answers. Policies appear as the exact JSON
    text that is sent.

    Raises :class:`rolecall.model.InputError` for a scenario that is not valid input and
    :class:`~rolecall.conformance._world.Unsupported` for a caller the emulators cannot be.
    """
    p = plan(scenario)
    if expected is None and isinstance(scenario.get("expect"), dict):
        expected = dict(scenario["expect"])
    if expected is not None:
        expected = {
            k: expected[k]
            for k in ("decision", "error_code", "denied_by", "action", "message")
            if expected.get(k) is not None
        }
    # a hand-written reason may hold a backslash (C:\x...) or triple quotes: neither may end the docstring
    title = " ".join(str(title or scenario.get("id") or "a scenario").split())
    title = title.replace("\\", "\\\\").replace('"""', "'''")
    shown = json.dumps(scenario, indent=2, sort_keys=True).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    consts, body = _provision_lines(p)
    text = _SCRIPT_HEAD.format(title=title, scenario=shown, region=p.region, expected=expected)
    text += "\n" + "\n\n".join(consts) + "\n"
    text += _SCRIPT_HELPERS
    text += '\n\ndef provision():\n    """Create the caller and the target role; the caller\'s credentials."""\n'
    text += "".join(f"    {line}\n" for line in body)
    text += _SCRIPT_MAIN
    return text
