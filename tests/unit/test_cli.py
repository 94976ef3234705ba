"""The ``rolecall decide`` command: output, exit codes, and no tracebacks (docs/architecture.md)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from rolecall.conformance.cli import main
from tests.conftest import EXAMPLES, SPEC_SCENARIOS


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_decides_the_examples() -> None:
    files = sorted(str(p) for p in EXAMPLES.glob("*.json"))
    code, out, err = run(["decide", *files])
    assert code == 0 and err == ""
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(files) == 5
    assert all(r["decision"] == "allowed" and r["assumed_role"]["arn"].startswith("arn:aws:sts::") for r in results)


def test_json_lines_and_stdin() -> None:
    docs = [json.loads(p.read_text()) for p in sorted(SPEC_SCENARIOS.glob("0*.json"))]
    text = "\n".join(json.dumps(d) for d in docs) + "\n"
    code, out, err = run(["decide", "-"], stdin=text)
    assert code == 0, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == [d["id"] for d in docs]


def test_unicode_line_breaks_stay_inside_their_line() -> None:
    """U+2028, U+2029 and U+0085 end a line for str.splitlines and JavaScript although JSON leaves
    them unescaped: the result and the diagnostic for an id holding them are still one line each."""
    doc = json.loads((SPEC_SCENARIOS / "03-account-trust-identity-allows.json").read_text())
    doc["id"] = "a\u2028b\u2029c\x85d"
    doc["expect"] = {"decision": "implicitDeny"}  # not met: a diagnostic line quotes the id
    code, out, err = run(["decide", "-"], stdin=json.dumps(doc, ensure_ascii=False) + "\n")
    assert code == 1
    assert len(out.splitlines()) == 1 and json.loads(out)["id"] == doc["id"]
    assert len(err.splitlines()) == 1 and err.startswith("rolecall: expectation not met")


def test_a_bad_field_is_explained_from_the_schema() -> None:
    """The error line names the field and says what it is, from model/scenario.schema.json."""
    doc = json.loads((SPEC_SCENARIOS / "03-account-trust-identity-allows.json").read_text())
    doc["caller"]["credentials"] = "password"
    code, out, err = run(["decide", "-"], stdin=json.dumps(doc))
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
    assert err.startswith("rolecall: bad input: ") and "(at $.caller.credentials; $.caller.credentials: " in err
    assert "The kind of credentials" in err


def test_file_url_prefix(tmp_path: Path) -> None:
    src = next(EXAMPLES.glob("*.json"))
    code, out, _ = run(["decide", f"file://{src}"])
    assert code == 0 and json.loads(out)["decision"] == "allowed"


def test_expect_mismatch_exits_1(tmp_path: Path) -> None:
    doc = json.loads(next(EXAMPLES.glob("*.json")).read_text())
    doc["expect"] = {"decision": "explicitDeny"}
    f = tmp_path / "s.json"
    f.write_text(json.dumps(doc))
    code, out, err = run(["decide", str(f)])
    assert code == 1
    assert json.loads(out)["decision"] == "allowed"
    assert "expectation not met" in err and "expected 'explicitDeny', got 'allowed'" in err


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    good = json.dumps(json.loads(next(EXAMPLES.glob("*.json")).read_text()))
    f.write_text(good + "\n" + '{"caller": {}, "role": {}, "request": {}, "extra": 1}\n')
    code, out, err = run(["decide", str(f)])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and f"{f}:2" in err and "$.extra" in err and "Traceback" not in err


def test_explain() -> None:
    [path] = list(SPEC_SCENARIOS.glob("08-*.json"))
    code, out, _ = run(["decide", "--explain", str(path)])
    assert code == 0
    assert "denied by: the role trust policy, on sts:AssumeRole" in out
    assert "Deny in the role trust policy: statement 1" in out
    assert "expectation: met" in out


def test_undecidable_is_refused_with_exit_2() -> None:
    doc = json.loads(next(EXAMPLES.glob("01-*.json")).read_text())
    doc["context"] = {"aws:SourceIp": "not-an-ip"}
    doc["role"]["trust_policy"]["Statement"][0]["Condition"] = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    code, out, err = run(["decide", "-"], stdin=json.dumps(doc))
    assert code == 2 and out == "" and "cannot decide" in err


def test_usage_errors_exit_2() -> None:
    code, out, err = run(["frobnicate"])
    assert code == 2 and out == "" and "rolecall: error: argument command: invalid choice" in err
    assert run([])[0] == 2
    assert run(["decide", "/nonexistent/file.json"])[0] == 2
    code, out, err = run(["decide", "--help"])
    assert code == 0 and out.startswith("usage: rolecall decide") and err == ""


def test_console_script_runs() -> None:
    exe = shutil.which("rolecall") or str(Path(sys.executable).parent / "rolecall")
    files = sorted(str(p) for p in EXAMPLES.glob("*.json"))
    proc = subprocess.run([exe, "decide", *files], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 5
    proc = subprocess.run([exe, "decide", "-"], input="{not json", capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("rolecall: bad input:") and "Traceback" not in proc.stderr


def test_allowed_results_name_the_granting_statements() -> None:
    [path] = list(EXAMPLES.glob("02-*.json"))
    code, out, _ = run(["decide", str(path)])
    assert code == 0
    reasons = json.loads(out)["reasons"]
    assert {"policy": "role trust policy", "statement": 0, "effect": "Allow", "principal_class": "account"} in reasons
    assert {"policy": "identity-based policy", "statement": 0, "effect": "Allow", "policy_index": 0} in reasons
