"""Transcripts from files, folders and zip archives (sparring.conversation.sources): what is read, what is
skipped, and the unsafe archives that are refused whole."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from sparring.conversation.sources import ArchiveLimits, transcript_sources

SUFFIXES = {".vtt", ".txt", ".json", ".srt"}
CALL = b"Ana: What made you call?\nBob: The price went up.\n"


def _zip(path: Path, members: dict[str, bytes], *, symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, "/etc/passwd")
    return path


def _names(paths: list[Path], limits: ArchiveLimits | None = None) -> list[tuple[str, str | None]]:
    sources = transcript_sources(paths, SUFFIXES, limits) if limits else transcript_sources(paths, SUFFIXES)
    return [(s.name, s.error) for s in sources]


def test_a_folder_is_read_recursively_in_order_skipping_hidden_and_other_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a.txt").write_bytes(CALL)
    (tmp_path / "b" / "c.vtt").write_bytes(b"WEBVTT\n")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden.txt").write_bytes(CALL)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_bytes(CALL)
    assert _names([tmp_path]) == [(str(tmp_path / "a.txt"), None), (str(tmp_path / "b" / "c.vtt"), None)]


def test_a_zip_yields_its_members_by_name(tmp_path: Path) -> None:
    z = _zip(tmp_path / "calls.zip", {"week1/b.txt": CALL, "week1/a.vtt": b"WEBVTT\n", "__MACOSX/._a.vtt": b"x",
                                      "readme.pdf": b"%PDF"})
    got = list(transcript_sources([z], SUFFIXES))
    assert [(s.name, s.data is not None) for s in got] == [(f"{z}:week1/a.vtt", True), (f"{z}:week1/b.txt", True)]
    assert got[1].data == CALL


def test_path_traversal_and_absolute_members_refuse_the_whole_archive(tmp_path: Path) -> None:
    for bad in ("../evil.txt", "/etc/cron.d/x.txt", "a/../../b.txt", "C:\\win.txt"):
        z = _zip(tmp_path / "bad.zip", {"ok.txt": CALL, bad: CALL})
        ((name, error),) = _names([z])
        assert name == str(z) and error is not None and error.startswith("unsafe zip archive refused"), bad


def test_a_symbolic_link_member_refuses_the_archive(tmp_path: Path) -> None:
    z = _zip(tmp_path / "link.zip", {"ok.txt": CALL}, symlink="passwd.txt")
    ((_name, error),) = _names([z])
    assert error is not None and "symbolic link" in error


def test_caps_on_members_total_and_one_member(tmp_path: Path) -> None:
    many = _zip(tmp_path / "many.zip", {f"c{i}.txt": CALL for i in range(6)})
    ((_n, error),) = _names([many], ArchiveLimits(max_members=5))
    assert error is not None and "6 members; at most 5" in error
    big = _zip(tmp_path / "big.zip", {"a.txt": CALL * 10, "b.txt": CALL * 10})
    ((_n, error),) = _names([big], ArchiveLimits(max_total_bytes=len(CALL) * 15))
    assert error is not None and "once decompressed" in error
    bomb = _zip(tmp_path / "bomb.zip", {"ok.txt": CALL, "huge.txt": b"a" * 2_000_000})
    got = _names([bomb], ArchiveLimits(max_member_bytes=100_000))
    assert got == [(f"{bomb}:huge.txt", "too large once decompressed (2,000,000 bytes; at most 100,000)"),
                   (f"{bomb}:ok.txt", None)]


def test_a_member_whose_header_understates_its_size_is_still_capped(tmp_path: Path) -> None:
    z = _zip(tmp_path / "liar.zip", {"x.txt": b"b" * 50_000})
    raw = bytearray(z.read_bytes())
    # rewrite the uncompressed size in the central directory entry (offset 24 from its signature) to 10 bytes
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24:cd + 28] = (10).to_bytes(4, "little")
    z.write_bytes(bytes(raw))
    ((name, error),) = _names([z], ArchiveLimits(max_member_bytes=1000))
    assert name == f"{z}:x.txt" and error is not None
    assert "too large" in error or "cannot read" in error  # never read in full either way


def test_nested_archives_are_refused_by_name_or_by_signature(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("a.txt", CALL)
    outer = _zip(tmp_path / "outer.zip", {"inner.zip": inner.getvalue(), "disguised.txt": inner.getvalue(),
                                          "fine.txt": CALL})
    got = _names([outer])
    assert got[0] == (f"{outer}:disguised.txt", "a zip archive inside a zip archive is not imported; unzip it first")
    assert got[1][0] == f"{outer}:fine.txt" and got[1][1] is None
    assert got[2] == (f"{outer}:inner.zip", "a zip archive inside a zip archive is not imported; unzip it first")


def test_a_broken_zip_and_a_missing_file_are_reported_not_raised(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    got = _names([broken, tmp_path / "missing.vtt"])
    assert got[0][0] == str(broken) and (got[0][1] or "").startswith("not a readable zip archive")
    assert got[1] == (str(tmp_path / "missing.vtt"), "no such file")
