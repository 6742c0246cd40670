"""Which text encoding a transcript file is in (docs/calls.md, "Encodings").

Call recorders and the tools people save transcripts with write different encodings: Zoom, Otter and most web
exports write UTF-8 (some with a byte-order mark), Windows tools (Notepad's "Unicode", Teams exports saved from
Word) write UTF-16 with a byte-order mark, and old desktop tools write a legacy single-byte code page. The order:

1. a byte-order mark decides: UTF-8 (``EF BB BF``), UTF-16 LE (``FF FE``) or BE (``FE FF``); the mark is dropped;
2. UTF-16 without a mark when every other byte of the first kilobyte is NUL (English text in UTF-16: one byte of
   each character is 0; text has no NUL bytes otherwise, and this is valid UTF-8 too, so it is looked at first);
3. otherwise UTF-8 when the bytes are valid UTF-8 (ASCII is valid UTF-8);
4. otherwise Windows-1252 (Western European; a superset of Latin-1's printable characters), with a note saying so:
   the transcript is readable but a name with characters of another code page may come out wrong. The five bytes
   Windows-1252 leaves undefined are read as Latin-1, so this step never fails.

Line ends are made ``\\n`` (Windows ``\\r\\n`` and old Mac ``\\r``), as ``Path.read_text`` does.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

#: bytes looked at for UTF-16 without a byte-order mark
_PROBE = 1024


@dataclass(frozen=True)
class Decoded:
    """The text of a file, the encoding it was read with, and a note when the encoding was a fallback."""

    text: str
    encoding: str
    note: str = ""


def _legacy(data: bytes) -> str:
    # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined: read those as Latin-1 (the same code points)
    return "".join(
        chunk.decode("cp1252", errors="strict") if i % 2 == 0 else chunk.decode("latin-1")
        for i, chunk in enumerate(_split_undefined(data))
    )


def _split_undefined(data: bytes) -> list[bytes]:
    """``data`` cut into alternating runs: defined in cp1252, undefined, defined, ... (first run may be empty)."""
    undefined = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
    runs: list[bytes] = []
    start = 0
    in_defined = True
    for i, b in enumerate(data):
        if (b in undefined) == in_defined:
            runs.append(data[start:i])
            start = i
            in_defined = not in_defined
    runs.append(data[start:])
    return runs


def _utf16_without_bom(data: bytes) -> str | None:
    probe = data[:_PROBE]
    if len(probe) < 4 or len(probe) % 2:
        return None
    evens, odds = probe[0::2], probe[1::2]
    if odds.count(0) == len(odds) and evens.count(0) < len(evens) // 4:
        codec = "utf-16-le"
    elif evens.count(0) == len(evens) and odds.count(0) < len(odds) // 4:
        codec = "utf-16-be"
    else:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def decode_transcript(data: bytes) -> Decoded:
    """The text of a transcript file's bytes, by the rules of the module docstring. Never raises for bytes that
    are not text: step 4 reads anything (the parser then reports what it cannot read, at its line)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return Decoded(_newlines(data[len(codecs.BOM_UTF8):].decode("utf-8")), "utf-8-sig")
        except UnicodeDecodeError:
            pass  # a mark followed by something else: fall through to the fallback
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return Decoded(_newlines(data[len(bom):].decode(codec)), "utf-16")
            except UnicodeDecodeError:
                break
    # text has no NUL bytes; UTF-16 of ASCII has one in every pair (and is valid UTF-8 too, so look first)
    text16 = _utf16_without_bom(data) if b"\x00" in data[:_PROBE] else None
    if text16 is not None:
        return Decoded(_newlines(text16), "utf-16", "read as UTF-16 without a byte-order mark")
    try:
        return Decoded(_newlines(data.decode("utf-8")), "utf-8")
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    line = data.count(b"\n", 0, bad_at) + 1
    return Decoded(_newlines(_legacy(data)), "cp1252",
                   f"not valid UTF-8 (first at line {line}): read as Windows-1252; save the file as UTF-8 if "
                   "names or words look wrong")
