"""Reading the inputs a user gives, bounded, and writing the files a user keeps, atomically (private).

Inputs (:func:`open_input`, :func:`read_input`): a scenario, a policy, stdin; read whole only up to
a bound, so an endless input (``/dev/zero``) is refused at once with an error naming it.

Reports, matrices, expectations files and saved counterexamples are data to protect: a crash, a
full disk or a killed process in the middle of a write must leave the old file whole, never a
truncated one (an expectations file cut from 496 KB to 100 KB made the next run fail). Each file is
written to a temporary file in the same folder, flushed to disk, then renamed over the target,
which POSIX makes atomic. A path that names a device or a pipe (``/dev/null``) is written in
place: renaming over it would replace the device.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TextIO

from rolecall.model import InputError
from rolecall.model.scenario import MAX_SCENARIO_CHARS

__all__ = ["MAX_FILE_CHARS", "FileTooLarge", "open_input", "read_input", "read_text_capped", "write_atomic"]

#: The most a file rolecall reads whole (a report, an expectations file, an accounts file) may hold, in
#: characters: ample for any such file (the shipped moto expectations hold 0.5 MB), and a bound on
#: what a mistaken path (``/dev/zero``, a disk image) costs: it is refused without reading further.
MAX_FILE_CHARS = 16 * 1024 * 1024


class FileTooLarge(ValueError):
    """A file longer than the bound given to :func:`read_text_capped`."""


def read_text_capped(path: str | Path, limit: int = MAX_FILE_CHARS) -> str:
    """The UTF-8 text of ``path``, refused (:class:`FileTooLarge`) past ``limit`` characters without reading
    further; ``OSError`` and ``UnicodeDecodeError`` as ``open`` and ``read`` raise them."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read(limit + 1)
    if len(text) > limit:
        raise FileTooLarge(f"longer than {limit:,} characters; not read")
    return text


def write_atomic(path: str | Path, text: str) -> None:
    """Replace ``path``'s content with ``text`` (UTF-8) in one step; on any failure the old file
    stays as it was and the temporary file is removed. A symbolic link is followed: the file it
    points to is replaced, the link kept."""
    target = Path(path)
    if target.is_symlink():  # write where the link points (replacing the link would cut it), or fail there
        target = Path(os.path.realpath(target))
    if target.exists() and not target.is_file():
        if target.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(target))
        with target.open("w", encoding="utf-8") as fh:  # a device or a pipe (/dev/null, /dev/stdout): never replaced
            fh.write(text)
        return
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        if exc.filename is None:  # a failed write names no file: name the one that stays unchanged
            raise OSError(exc.errno, exc.strerror, str(target)) from exc
        raise
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def open_input(name: str, stdin: TextIO) -> tuple[str, TextIO]:
    """The input to stream: stdin for ``-``, else the file (``file://`` allowed), opened as UTF-8
    (the caller closes a file it opened, never stdin)."""
    if name == "-":
        return "<stdin>", stdin
    path = name.removeprefix("file://")
    try:
        if os.path.isdir(path):
            raise IsADirectoryError
        return path, open(path, encoding="utf-8")  # closed by the caller
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", "$") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory", "$") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})", "$") from None


def read_input(name: str, stdin: TextIO) -> tuple[str, str]:
    """A whole input (a policy, a scenario file), refused past :data:`MAX_SCENARIO_CHARS` characters
    without reading further (an endless input such as ``/dev/zero`` is refused at once)."""
    source, stream = open_input(name, stdin)
    try:
        text = stream.read(MAX_SCENARIO_CHARS + 1)
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})", "$") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read ({exc.strerror})", "$") from None
    finally:
        if stream is not stdin:
            stream.close()
    if len(text) > MAX_SCENARIO_CHARS:
        raise InputError(f"{source}: longer than {MAX_SCENARIO_CHARS:,} characters; not read", "$")
    return source, text
