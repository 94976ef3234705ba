"""The ``rolecall decide`` command: output, exit codes, and no tracebacks (docs/architecture.md)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rolecall.conformance.cli import main
from tests.conftest import EXAMPLES, FEDERATION_SCENARIOS, SPEC_SCENARIOS


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
    assert code == 2 and json.loads(out)["decision"] == "allowed"  # the good line is decided
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


def _bounded(argv: list[str], stdin: bytes = b"", memory: int = 1 << 30) -> subprocess.CompletedProcess[bytes]:
    """``rolecall`` in a child process with a memory limit (address space) and a time limit: the
    harness's guard against an input read whole or forever, not a timing assertion."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "rolecall.conformance.cli", *argv],
        input=stdin,
        capture_output=True,
        timeout=120,
        preexec_fn=limit,
        check=False,
    )


def test_an_endless_input_is_refused_without_reading_it_whole() -> None:
    done = _bounded(["decide", "/dev/zero"])
    assert done.returncode == 2, done.stderr
    err = done.stderr.decode()
    assert err.count("\n") == 1 and "longer than" in err and "Traceback" not in err


def test_a_syntax_error_names_its_line_in_a_document(tmp_path: Path) -> None:
    doc = json.loads((SPEC_SCENARIOS / "03-account-trust-identity-allows.json").read_text())
    text = json.dumps(doc, indent=2).splitlines()
    text[20] = text[20] + " oops"
    path = tmp_path / "pretty.json"
    path.write_text("\n".join(text) + "\n")
    code, out, err = run(["decide", str(path)])
    assert code == 2 and out == "" and f"{path}:21: not JSON" in err


def test_json_lines_stream_one_result_per_good_line() -> None:
    good = json.dumps(json.loads((SPEC_SCENARIOS / "03-account-trust-identity-allows.json").read_text()))
    lines = [good, "{not json", good, json.dumps({"caller": 1}), good]
    code, out, err = run(["decide", "-"], stdin="\n".join(lines) + "\n")
    assert code == 2
    assert len(out.splitlines()) == 3
    assert [ln.split(":")[1] for ln in err.splitlines()] == [" bad input", " bad input"]
    assert "<stdin>:2:" in err and "<stdin>:4:" in err


@pytest.mark.slow
def test_json_lines_run_in_constant_memory() -> None:
    """Peak memory does not grow with the number of lines (10,000 lines against 1,000): each result is
    written as its line is read."""
    doc = json.loads((SPEC_SCENARIOS / "03-account-trust-identity-allows.json").read_text())

    def lines(n: int) -> str:  # each line another scenario (its own id and session name)
        out = []
        for i in range(n):
            doc["id"], doc["request"]["role_session_name"] = f"line-{i}", f"s{i}"
            out.append(json.dumps(doc) + "\n")
        return "".join(out)

    script = (
        "import resource, sys\n"
        "from rolecall.conformance.cli import main\n"
        "with open('/dev/null', 'w') as sink:\n"
        "    main(['decide', '-'], stdin=sys.stdin, stdout=sink, stderr=sink)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    peaks = []
    for n in (1_000, 10_000):
        done = subprocess.run(
            [sys.executable, "-c", script], input=lines(n), capture_output=True, text=True, timeout=600, check=True
        )
        peaks.append(int(done.stdout.strip().splitlines()[-1]))
    assert peaks[1] - peaks[0] < 20_000, peaks  # KiB: far from what 9,000 more scenarios held at once take


def test_decides_every_federated_scenario_and_explains_it() -> None:
    """``rolecall decide`` and ``--explain`` on the federation catalogue (docs/federation.md)."""
    files = sorted(str(p) for p in FEDERATION_SCENARIOS.glob("*.json"))
    code, out, err = run(["decide", *files])
    assert (code, err) == (0, ""), err
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(files) == 71
    github = next(r for r in results if r["id"] == "FED-01")
    assert github["reasons"] == [
        {"policy": "role trust policy", "statement": 0, "effect": "Allow", "principal_class": "federated"}
    ]
    code, out, err = run(["decide", "--explain", str(FEDERATION_SCENARIOS / "FED-32.json")])
    assert code == 0, err
    assert "decided by: F12, every rule passing" in out
    assert "name qualifier: Tqn8tkYlpm5Lxl4zuIfGiPbQsAs=" in out
    code, out, err = run(["decide", "--explain", str(FEDERATION_SCENARIOS / "FED-43.json")])
    assert "denied by: the resource control policy, on sts:AssumeRoleWithWebIdentity" in out
    assert "AWS says: Not authorized to perform sts:AssumeRoleWithWebIdentity" in out


def test_the_solver_engine_decides_a_federated_scenario() -> None:
    pytest.importorskip("z3")
    code, out, err = run(["decide", "--engine", "solver", str(FEDERATION_SCENARIOS / "FED-16.json")])
    assert (code, err) == (0, "")
    _, model_out, _ = run(["decide", str(FEDERATION_SCENARIOS / "FED-16.json")])
    assert json.loads(out) == {k: v for k, v in json.loads(model_out).items() if k != "reasons"}
    assert json.loads(out)["rule"] == "F7"


def test_replay_refuses_a_federated_scenario_as_bad_input() -> None:
    """The targets run the AssumeRole door only: a federated file is an input error (exit 2), not a crash."""
    code, out, err = run(["replay", "--target", "model", str(FEDERATION_SCENARIOS / "FED-01.json")])
    assert (code, out) == (2, "")
    assert "FED-01 calls AssumeRoleWithWebIdentity; replay runs AssumeRole scenarios only" in err
