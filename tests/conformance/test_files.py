"""Files a user keeps are written atomically (conformance/_files.py): a failed write leaves the old
file whole; a device is written in place, never replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rolecall.conformance._files import write_atomic


def test_a_write_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "moto.toml"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    write_atomic(path, "new\n")
    assert path.read_text() == "new\n" and path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["moto.toml"]  # no temporary file left


def test_a_write_that_fails_leaves_the_old_file_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "moto.toml"
    path.write_bytes(b"old entries\n" * 1000)

    with pytest.raises(TypeError):
        write_atomic(path, 12345)  # type: ignore[arg-type]  # the write fails half-way (not text)
    assert path.read_bytes() == b"old entries\n" * 1000
    assert [p.name for p in tmp_path.iterdir()] == ["moto.toml"]


def test_a_write_killed_mid_way_leaves_the_old_file(tmp_path: Path) -> None:
    """A child writes a large file under a file-size limit (SIGXFSZ ignored, so the write fails with
    EFBIG as a full disk would): the old file stays whole."""
    import subprocess
    import sys

    path = tmp_path / "report.json"
    path.write_text("{}\n")
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
        "from rolecall.conformance._files import write_atomic\n"
        f"write_atomic({str(path)!r}, 'x' * 1_000_000)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and "File too large" in done.stderr
    assert path.read_text() == "{}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_device_is_written_in_place_never_replaced() -> None:
    write_atomic("/dev/null", "discarded\n")
    assert Path("/dev/null").is_char_device()


def test_an_update_that_cannot_write_says_so_in_one_line_and_leaves_the_file(tmp_path: Path) -> None:
    """Issue 20, attempt 9: under a file-size limit the update's write fails; the expectations file stays
    byte for byte as it was and the run ends with one line, exit 2 (it was "internal error: OSError")."""
    import subprocess
    import sys

    shipped = Path(__file__).resolve().parents[2] / "conformance" / "expectations" / "moto.toml"
    path = tmp_path / "moto.toml"
    path.write_bytes(shipped.read_bytes())
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
        "from rolecall.conformance.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    argv = ["conformance", "--target", "moto", "-q", "--profile", "dev", "-k", "test_same_account"]
    argv += ["--update-expectations", "--expectations", str(path), "--report", str(tmp_path / "r")]
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert path.read_bytes() == shipped.read_bytes()
    lines = done.stderr.splitlines()  # the report (1.7 MB) cannot be written either: a line for each file
    assert all(line.startswith("rolecall: cannot write ") for line in lines), lines
    assert f"rolecall: cannot write {path} (File too large); the file there is unchanged" in lines
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
