"""Rubric YAML that carries its own test transcripts.

A rubric file may name its test transcripts as files (``transcript: tests/strong.txt``, relative to the rubric).
Once the rubric is stored in the database that path means nothing: the copy must be able to run its own tests
anywhere (``sparring rubric test ID``, the admin editor's publish gate). ``inline_test_transcripts`` turns each
``transcript:`` entry into an inline ``text:`` block holding the file's content, editing only those lines so
the author's comments and layout survive; when a line edit cannot be proven exact (flow-style YAML, unusual
indentation) it falls back to re-emitting the whole document.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sparring.content.errors import ContentError, Problem
from sparring.content.yamlsource import compose_checked, parse_yaml
from sparring.limits import MAX_TRANSCRIPT_BYTES, TooLargeError, read_text_capped


def _read_test(rubric_file: Path, name: str, line: int) -> str:
    path = rubric_file.parent / name
    try:
        return read_text_capped(path, MAX_TRANSCRIPT_BYTES)
    except TooLargeError as exc:
        raise ContentError([Problem(str(rubric_file), line, "tests.transcript", f"{name}: {exc}")]) from exc
    except FileNotFoundError as exc:
        raise ContentError([Problem(str(rubric_file), line, "tests.transcript", f"file not found: {name}")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([Problem(str(rubric_file), line, "tests.transcript", f"cannot read {name}: {exc}")]) from exc


def _block(content: str, indent: int) -> str:
    pad = " " * (indent + 2)
    body = "".join(f"{pad}{line}\n" if line.strip() else "\n" for line in content.rstrip("\n").split("\n"))
    return "text: |\n" + body


def _expected(content: str) -> str:
    """What a ``|`` block scalar gives back for ``content`` (one trailing newline, no trailing blank lines)."""
    return "\n".join(line if line.strip() else "" for line in content.rstrip("\n").split("\n")) + "\n"


def _transcript_entries(text: str, file: str = "<string>") -> list[tuple[yaml.Node, yaml.Node]]:
    """(key node, value node) of every ``tests[i].transcript`` in the document."""
    root = compose_checked(text, file)
    found: list[tuple[yaml.Node, yaml.Node]] = []
    if not isinstance(root, yaml.MappingNode):
        return found
    for key, value in root.value:
        if key.value != "tests" or not isinstance(value, yaml.SequenceNode):
            continue
        for item in value.value:
            if isinstance(item, yaml.MappingNode):
                found.extend((k, v) for k, v in item.value
                             if k.value == "transcript" and isinstance(v, yaml.ScalarNode))
    return found


def inline_test_transcripts(text: str, rubric_file: Path) -> str:
    """``text`` (a rubric's YAML) with every test transcript file inlined as ``text:``. Unchanged when the
    rubric has no file-based tests. Raises ContentError naming the file and line of a missing transcript."""
    entries = _transcript_entries(text, str(rubric_file))
    if not entries:
        return text
    contents = [_read_test(rubric_file, v.value, k.start_mark.line + 1) for k, v in entries]
    edited = _edit_lines(text, entries, contents)
    if edited is not None:
        return edited
    return _redump(text, contents)


def _edit_lines(text: str, entries: list[tuple[yaml.Node, yaml.Node]], contents: list[str]) -> str | None:
    out, pos = [], 0
    for (key, value), content in zip(entries, contents, strict=True):
        if getattr(value, "style", None) not in (None, "", "'", '"') or key.start_mark.line != value.end_mark.line:
            return None
        end = text.find("\n", value.end_mark.index)
        end = len(text) if end < 0 else end + 1
        rest = text[value.end_mark.index:end].strip()
        if rest and not rest.startswith("#"):
            return None  # flow style (``- {transcript: x, expect: …}``): not a line we can replace
        out.append(text[pos:key.start_mark.index])
        out.append(_block(content, key.start_mark.column))
        pos = end
    out.append(text[pos:])
    edited = "".join(out)
    try:
        data = parse_yaml(edited).data
    except ContentError:
        return None
    before = parse_yaml(text).data.get("tests", [])
    inlined = [i for i, t in enumerate(before) if isinstance(t, dict) and "transcript" in t]
    after = data.get("tests", []) if isinstance(data, dict) else []
    if len(after) != len(before):
        return None
    got = [after[i].get("text") if isinstance(after[i], dict) and "transcript" not in after[i] else None
           for i in inlined]
    return edited if got == [_expected(c) for c in contents] else None


def _redump(text: str, contents: list[str]) -> str:
    data = parse_yaml(text).data
    it = iter(contents)
    for test in data.get("tests", []):
        if isinstance(test, dict) and "transcript" in test:
            test.pop("transcript")
            test["text"] = next(it)
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120))
