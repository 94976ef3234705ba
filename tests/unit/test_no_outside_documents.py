"""The repository holds its own documentation: no file points at a document that is not in it.

Every docstring, comment and document that names a Markdown document (``something.md``) or a
path under ``docs/`` must name one that exists here: the semantics (``docs/semantics.md``), the
format (``docs/scenario-format.md`` and ``model/scenario.schema.json``), the architecture, the
targets and the emulators' divergences. The team's private references (the specification, the
design notes, the emulator survey) are not shipped; a citation of one would leave a user with a
name and nothing to read.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT_SUFFIXES = {".py", ".md", ".toml", ".ini", ".cfg", ".txt", ".json", ""}
#: Documents rolecall writes as output (reports), named where their writers are documented:
#: files rolecall writes when it runs (a conformance matrix, the detection table, the graph's summary), not kept here.
GENERATED = {"CONFORMANCE.md", "DETECTION.md", "summary.md"}
#: Names of the team's references that must never be cited (they are not in the repository).
OUTSIDE = ("SPEC.md", "SPEC-federation.md", "DESIGN.md", "EMULATORS.md", "../shared", "/work/shared")
MENTION = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w.-]+\.md)\b|(?<![\w./-])(docs/[\w./-]+\.\w+)")


def _files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    out = []
    for name in listed:
        path = ROOT / name
        if path.suffix in TEXT_SUFFIXES and path.is_file() and not name.startswith(".git"):
            out.append(path)
    return out


def _exists(mention: str, where: Path, names: set[str]) -> bool:
    name = mention.rstrip(".")
    if Path(name).name in GENERATED or ("/" not in name and name in names):  # a bare name of a file here
        return True
    return any((base / name).exists() for base in (ROOT, where.parent, ROOT / "docs"))


def test_no_file_cites_a_document_that_is_not_in_the_repository() -> None:
    dangling: list[str] = []
    files = _files()
    assert len(files) > 100  # the walk really walked
    names = {p.name for p in files}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        rel = path.relative_to(ROOT)
        if path == Path(__file__).resolve():
            continue  # this test names them to look for them
        for lineno, line in enumerate(text.splitlines(), 1):
            for outside in OUTSIDE:
                if outside in line:
                    dangling.append(f"{rel}:{lineno}: names {outside}")
            for m in MENTION.finditer(line):
                mention = m.group(1) or m.group(2)
                if not _exists(mention, path, names):
                    dangling.append(f"{rel}:{lineno}: {mention} does not exist")
    assert dangling == [], "\n".join(dangling)


def test_the_documents_the_code_cites_are_here() -> None:
    for name in ("semantics.md", "scenario-format.md", "architecture.md", "targets.md", "emulators.md"):
        assert (ROOT / "docs" / name).stat().st_size > 1000, name
