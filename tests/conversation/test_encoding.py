"""Encoding detection of transcript files (sparring.conversation.encoding)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from sparring.conversation.encoding import decode_transcript
from sparring.conversation.importers import read_transcript

TEXT = "Zoë Müller: Can we talk about the renewal?\r\nJosé: Sure — what’s on your mind?\r\n"


@pytest.mark.parametrize(("data", "encoding"), [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
])
def test_unicode_encodings_are_read_exactly(data: bytes, encoding: str) -> None:
    decoded = decode_transcript(data)
    assert decoded.text == TEXT.replace("\r\n", "\n")
    assert decoded.encoding == encoding and decoded.note == ""


def test_utf16_without_a_mark_is_recognised_and_said() -> None:
    decoded = decode_transcript("Ana: Hello there, Bob.\nBob: Hi Ana.\n".encode("utf-16-le"))
    assert decoded.text.startswith("Ana: Hello") and decoded.encoding == "utf-16"
    assert "without a byte-order mark" in decoded.note


def test_a_legacy_single_byte_file_falls_back_to_windows_1252_with_a_note() -> None:
    data = "Ana: Hello.\nRenée: Ça coûte 20 € de plus.\n".encode("cp1252") + b"Bob: odd \x81 byte\n"
    decoded = decode_transcript(data)
    assert decoded.encoding == "cp1252"
    assert decoded.text.splitlines()[1] == "Renée: Ça coûte 20 € de plus."
    assert decoded.text.splitlines()[2] == "Bob: odd \x81 byte"
    assert "not valid UTF-8 (first at line 2)" in decoded.note


def test_reading_a_legacy_file_keeps_the_note_with_the_conversation(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Ana: Was kostet das?\nJürgen: Zu viel.\n".encode("cp1252"))
    conv = read_transcript(path, rep="Ana")
    assert [t.speaker for t in conv.turns] == ["Ana", "Jürgen"]
    assert conv.notes[0].startswith("not valid UTF-8")
