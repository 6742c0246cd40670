"""Where transcripts to import come from: files, folders (recursive) and zip archives (docs/calls.md, "Limits").

``transcript_sources(paths, suffixes)`` yields one ``Source`` per transcript, each with its bytes or the reason it
cannot be read, so that an importer reports every file and carries on with the others. A folder yields its files
with a supported suffix (hidden files and folders skipped), in name order. A zip archive is read in memory, never
extracted to disk, and is refused whole when it is unsafe:

- a member name that is absolute, has a ``..`` part, a drive letter or a backslash (path traversal), or is a
  symbolic link;
- more than ``ArchiveLimits.max_members`` members, or declared sizes adding up to more than ``max_total_bytes``.

Per member: a member larger than ``max_member_bytes`` (checked against the declared size and again while reading,
so a lying header does not help), an encrypted member, and a nested archive (``.zip`` name or zip signature) are
refused with their own error; macOS resource forks (``__MACOSX/``) and hidden files are skipped.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sparring.limits import MAX_AUDIO_BYTES, MAX_TRANSCRIPT_BYTES, TooLargeError, read_bytes_capped

ZIP_SUFFIX = ".zip"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps on one zip archive and the files read (defaults: docs/calls.md, "Limits")."""

    #: members of one archive (folders not counted)
    max_members: int = 1000
    #: one file's bytes (a transcript file, or a member once decompressed)
    max_member_bytes: int = MAX_TRANSCRIPT_BYTES
    #: all members of one archive once decompressed
    max_total_bytes: int = 200_000_000
    #: one file of a binary (audio) format, instead of ``max_member_bytes`` (``transcript_sources(binary=...)``)
    max_binary_bytes: int = MAX_AUDIO_BYTES

    def cap(self, suffix: str, binary: set[str]) -> int:
        return self.max_binary_bytes if suffix.lower() in binary else self.max_member_bytes


DEFAULT_ARCHIVE_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class Source:
    """One transcript to import: its name (a path, or ``archive.zip:member``), its bytes, or why it has none."""

    name: str
    data: bytes | None = None
    error: str | None = None


class UnsafeArchive(ValueError):
    """A zip archive that is refused whole."""


def _hidden(parts: Iterable[str]) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return f"member '{name[:80]}' has an absolute or Windows path"
    if ".." in PurePosixPath(name).parts:
        return f"member '{name[:80]}' points outside the archive ('..')"
    mode = info.external_attr >> 16
    if mode and stat.S_ISLNK(mode):
        return f"member '{name[:80]}' is a symbolic link"
    return None


def _archive(path: Path, suffixes: set[str], limits: ArchiveLimits, binary: set[str]) -> Iterator[Source]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield Source(str(path), error=f"not a readable zip archive: {exc}")
        return
    with archive:
        try:
            members = _checked_members(archive, limits)
        except UnsafeArchive as exc:
            yield Source(str(path), error=f"unsafe zip archive refused: {exc}")
            return
        total = 0
        for info in members:
            name = f"{path}:{info.filename}"
            parts = PurePosixPath(info.filename).parts
            suffix = PurePosixPath(info.filename).suffix.lower()
            if _hidden(parts):
                continue
            if suffix == ZIP_SUFFIX:
                yield Source(name, error="a zip archive inside a zip archive is not imported; unzip it first")
                continue
            if suffix not in suffixes:
                continue
            if info.flag_bits & 0x1:
                yield Source(name, error="the member is encrypted")
                continue
            cap = limits.cap(suffix, binary)
            if info.file_size > cap:
                yield Source(name, error=f"too large once decompressed ({info.file_size:,} bytes; at most "
                                         f"{cap:,})")
                continue
            try:
                with archive.open(info) as f:
                    data = f.read(cap + 1)
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
                yield Source(name, error=f"cannot read the member: {exc}")
                continue
            if len(data) > cap:
                yield Source(name, error=f"too large once decompressed (more than {cap:,} "
                                         "bytes)")
                continue
            total += len(data)
            if total > limits.max_total_bytes:
                yield Source(name, error=f"the archive holds more than {limits.max_total_bytes:,} bytes once "
                                         "decompressed; this member and the rest are not imported")
                return
            if data.startswith(_ZIP_MAGIC):
                yield Source(name, error="a zip archive inside a zip archive is not imported; unzip it first")
                continue
            yield Source(name, data=data)


def _checked_members(archive: zipfile.ZipFile, limits: ArchiveLimits) -> list[zipfile.ZipInfo]:
    members = [i for i in archive.infolist() if not i.is_dir()]
    for info in archive.infolist():
        problem = _member_problem(info)
        if problem:
            raise UnsafeArchive(problem)
    if len(members) > limits.max_members:
        raise UnsafeArchive(f"{len(members):,} members; at most {limits.max_members:,}")
    declared = sum(i.file_size for i in members)
    if declared > limits.max_total_bytes:
        raise UnsafeArchive(f"{declared:,} bytes once decompressed; at most {limits.max_total_bytes:,}")
    return sorted(members, key=lambda i: i.filename)


def _file(path: Path, limits: ArchiveLimits, binary: set[str]) -> Source:
    try:
        return Source(str(path), data=read_bytes_capped(path, limits.cap(path.suffix, binary)))
    except TooLargeError as exc:
        return Source(str(path), error=str(exc))
    except FileNotFoundError:
        return Source(str(path), error="no such file")
    except OSError as exc:
        return Source(str(path), error=f"cannot read: {exc.strerror or exc}")


def transcript_sources(paths: Iterable[Path], suffixes: Iterable[str],
                       limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
                       binary: Iterable[str] = ()) -> Iterator[Source]:
    """Every transcript under ``paths`` (module docstring). ``suffixes`` are the transcript suffixes read from
    folders and archives (lower case, with the dot); a file named directly is read whatever its suffix. Files with
    a ``binary`` suffix (audio) are read up to ``limits.max_binary_bytes`` instead of ``max_member_bytes``."""
    wanted = {s.lower() for s in suffixes}
    big = {s.lower() for s in binary}
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if _hidden(rel) or not child.is_file():
                    continue
                if child.suffix.lower() == ZIP_SUFFIX:
                    yield from _archive(child, wanted, limits, big)
                elif child.suffix.lower() in wanted:
                    yield _file(child, limits, big)
        elif path.suffix.lower() == ZIP_SUFFIX or (path.is_file() and zipfile.is_zipfile(path)
                                                   and path.suffix.lower() not in wanted):
            yield from _archive(path, wanted, limits, big)
        else:
            yield _file(path, limits, big)
