"""Headless Chromium for the picture's tests (tests/accounts/test_picture.py), and the demo
snapshot whose page is docs/graph.png.

Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run`` installs it) is driven by its
command line: ``--screenshot`` and ``--dump-dom``, each a fresh profile, with the flags a root
user on a machine without a network needs. A missing Chromium fails the browser tests, never
skips them. ``ROLECALL_CHROMIUM`` names another binary.

``python -m tests.accounts.browser docs/graph.png`` renders the demo snapshot's page and writes
its screenshot (how docs/graph.png is made).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.accounts.world import A, B, snapshot_doc

__all__ = ["DOC_SIZE", "FLAGS", "chromium", "colours", "demo_snapshot_doc", "dump_dom", "png_pixels", "screenshot"]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--disable-extensions",
)
_TIMEOUT = 120  # seconds: a hung browser fails the test instead of hanging CI (not a timed assertion)


def chromium() -> str:
    """The Chromium binary; fails the test (never skips) when there is none."""
    for name in (os.environ.get("ROLECALL_CHROMIUM"), "chromium", "chromium-browser"):
        if name and (path := shutil.which(name)):
            return path
    pytest.fail("Chromium is not installed: `apt-get install chromium` (Debian; .ci/run installs it)")


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    with tempfile.TemporaryDirectory(prefix="rolecall-chromium-") as profile:
        done = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    if done.returncode != 0:
        raise AssertionError(f"chromium exited {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}")
    return done


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    """A screenshot of ``page`` (a local file) in a ``width`` x ``height`` window."""
    png.unlink(missing_ok=True)
    _run(f"--screenshot={png}", f"--window-size={width},{height}", page.resolve().as_uri())


def dump_dom(page: Path) -> str:
    """The DOM of ``page`` once loaded (its scripts run), serialized."""
    return _run("--dump-dom", page.resolve().as_uri()).stdout.decode("utf-8")


def png_pixels(png: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows (``width`` RGB(A) pixels each) of an 8-bit truecolour PNG."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        rows.append(bytes(line) if bpp == 3 else bytes(b for k, b in enumerate(line) if k % 4 != 3))
    return width, height, rows


def colours(rows: list[bytes]) -> Counter[bytes]:
    """How many pixels have each colour (3 bytes)."""
    count: Counter[bytes] = Counter()
    for row in rows:
        count.update(row[i : i + 3] for i in range(0, len(row), 3))
    return count


def demo_snapshot_doc() -> dict[str, Any]:
    """tests/accounts/world.py's organization with account names and two OUs: the page of
    docs/graph.png and of the browser test."""
    doc = snapshot_doc()
    doc["accounts"][0]["name"] = "production"
    doc["accounts"][1]["name"] = "sandbox"
    org = doc["organization"]
    for node in org["nodes"]:
        if node["id"] == A:
            node["parent"] = "ou-ab12-prod0001"
        elif node["id"] == B:
            node["parent"] = "ou-ab12-sand0001"
    org["nodes"][0]["name"] = "Root"
    org["nodes"] += [
        {"id": "ou-ab12-prod0001", "parent": "r-ab12", "name": "Workloads", "policies": ["p-FullAWSAccess"]},
        {"id": "ou-ab12-sand0001", "parent": "r-ab12", "name": "Sandbox", "policies": ["p-FullAWSAccess"]},
    ]
    return doc


def _main(argv: list[str]) -> int:
    import json

    from rolecall.conformance.cli import main

    if len(argv) != 1 or not argv[0].endswith(".png"):
        print("usage: python -m tests.accounts.browser OUT.png", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp) / "demo.json"
        snap.write_text(json.dumps(demo_snapshot_doc()))
        code = main(["graph", str(snap), "--out", tmp])
        if code:
            return code
        screenshot(Path(tmp) / "graph.html", Path(argv[0]), *DOC_SIZE)
    return 0


DOC_SIZE = (1320, 600)
"""The window of docs/graph.png."""

if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
