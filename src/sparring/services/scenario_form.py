"""The editor's form view of a scenario: read the common fields out of the YAML, and write edited fields back
into the same YAML text.

Writing back splices: only the text span of each changed value is replaced (its position comes from the YAML
parser's marks), so every other byte stays as the author wrote it — unknown fields, comments, key order,
quoting and block styles. What a changed value loses: comments *inside* its own span (between the items of a
list the form rewrites) and its original quoting (a changed text is written plain when that is unambiguous,
else double-quoted; a changed block text (``brief: >``) stays a folded block). An optional field the YAML does
not have yet is added (top-level fields at the end, persona fields after the persona's last line). Clearing a
field in the form never deletes it from the YAML: that is refused with a message naming the field.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from typing import Any

import yaml

from sparring.content.errors import ContentError, Problem
from sparring.content.yamlsource import check_yaml

#: the form's fields: name -> (path in the YAML, kind). ``text`` one line, ``block`` a paragraph, ``list`` one
#: item per line, ``tags`` comma separated, ``int`` a whole number; ``first`` the first item of a list
FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "id": (("id",), "text"),
    "title": (("title",), "text"),
    "domain": (("domain",), "text"),
    "summary": (("summary",), "text"),
    "rubric": (("rubric",), "text"),
    "skills": (("skills",), "tags"),
    "learner_role": (("learner_role",), "text"),
    "brief": (("brief",), "block"),
    "objectives": (("objectives",), "list"),
    "persona.name": (("persona", "name"), "text"),
    "persona.role": (("persona", "role"), "text"),
    "persona.company": (("persona", "company"), "text"),
    "persona.personality": (("persona", "personality"), "text"),
    "opening_line": (("opening_lines",), "first"),
    "success": (("success", "description"), "text"),
    "max_turns": (("max_turns",), "int"),
}
#: text that needs no quotes in YAML (also inside a flow list): starts with a letter or digit, holds no ': ',
#: ' #', flow indicators or tabs, and does not end with ':'
_PLAIN = re.compile(r"^[A-Za-z0-9](?!.*(?:: | #|[\[\]{},\t]|:$)).*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
BLOCK_WIDTH = 100


class FormError(ValueError):
    """The YAML cannot be shown or edited as a form; ``problems`` name the line."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass
class _Doc:
    text: str
    root: yaml.MappingNode
    starts: list[int]  # offset of each line's first character

    def offset(self, mark: Any) -> int:
        return self.starts[int(mark.line)] + int(mark.column)


def _load(text: str) -> _Doc:
    try:
        check_yaml(text, "editor.yaml")
        node = yaml.compose(text, Loader=yaml.SafeLoader)  # pure-Python marks: exact character columns
    except ContentError as exc:
        raise FormError("fix the YAML first: the form reads a document that parses", exc.problems) from exc
    except yaml.YAMLError as exc:
        raise FormError(f"fix the YAML first: {exc}") from exc
    if not isinstance(node, yaml.MappingNode):
        raise FormError("the form edits a scenario: the YAML must be a mapping of fields")
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return _Doc(text, node, starts)


def _child(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _find(doc: _Doc, path: tuple[str, ...]) -> tuple[yaml.Node, yaml.Node] | None:
    node: yaml.Node | None = doc.root
    found = None
    for key in path:
        found = _child(node, key)
        if found is None:
            return None
        node = found[1]
    return found


def _scalar(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) and node.value is not None else ""


def read_fields(text: str) -> dict[str, str]:
    """The form's values from the YAML: every field as text (lists one item per line, tags comma separated)."""
    doc = _load(text)
    out: dict[str, str] = {}
    for name, (path, kind) in FIELDS.items():
        found = _find(doc, path)
        value = found[1] if found else None
        if value is None:
            out[name] = ""
        elif isinstance(value, yaml.SequenceNode):
            items = [_scalar(i) for i in value.value]
            out[name] = (items[0] if items else "") if kind == "first" else (
                ", ".join(items) if kind == "tags" else "\n".join(items))
        else:
            out[name] = _scalar(value).strip()
    return out


def _quote(value: str) -> str:
    if _PLAIN.match(value) and value.lower() not in _RESERVED and value == value.strip() and not _number(value):
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _items(kind: str, value: str) -> list[str]:
    parts = value.split(",") if kind == "tags" else value.splitlines()
    return [p.strip() for p in parts if p.strip()]


def _render(kind: str, value: str, old: yaml.Node | None, indent: int) -> str:
    """The new text of a value. A list keeps its flow or block style; a block text stays a block."""
    if kind == "int":
        if not value.strip().isdigit():
            raise FormError(f"max_turns: must be a whole number, got {value.strip()[:20]!r}")
        return str(int(value))
    if kind in ("list", "tags"):
        items = [_quote(i) for i in _items(kind, value)]
        if isinstance(old, yaml.SequenceNode) and not old.flow_style and old.value:
            col = old.start_mark.column
            return ("\n" + " " * col).join(f"- {i}" for i in items)
        return "[" + ", ".join(items) + "]"
    if kind == "block" and isinstance(old, yaml.ScalarNode) and old.style in (">", "|"):
        pad = " " * (indent + 2)
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", value.strip()) if p.strip()]
        lines = ["\n".join(pad + w for w in textwrap.wrap(p, BLOCK_WIDTH - len(pad))) for p in paragraphs]
        return ">\n" + "\n\n".join(lines) + "\n"
    return _quote(" ".join(value.split()))


def apply_fields(text: str, fields: dict[str, str]) -> str:
    """``text`` with every field of ``fields`` that differs from the YAML written in. Unknown field names and
    clearing a field that is present raise FormError (nothing is changed)."""
    doc = _load(text)
    current = read_fields(text)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in the original text
    additions: list[tuple[tuple[str, ...], str]] = []
    for name, value in fields.items():
        if name not in FIELDS:
            raise FormError(f"{name}: not a field of the form")
        value = value if isinstance(value, str) else str(value)
        if _normal(FIELDS[name][1], value) == _normal(FIELDS[name][1], current[name]):
            continue
        path, kind = FIELDS[name]
        found = _find(doc, path)
        if not value.strip():
            raise FormError(f"{name}: cannot be cleared in the form; delete it in the YAML tab")
        if found is None:
            additions.append((path, _render(kind, value, None, 0)))
            continue
        key, node = found
        if kind == "first":
            if not isinstance(node, yaml.SequenceNode) or not node.value:
                raise FormError(f"{name}: opening_lines is not a list in the YAML; edit it in the YAML tab")
            node = node.value[0]
            kind = "text"
        if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
            start, end = doc.offset(node.start_mark), doc.offset(node.value[-1].end_mark)  # from the first '-'
        else:
            start, end = doc.offset(node.start_mark), doc.offset(node.end_mark)
        new = _render(kind, value, node, key.start_mark.column)
        old_span = text[start:end]
        if new.endswith("\n") and not old_span.endswith("\n"):
            new = new[:-1]
        elif old_span.endswith("\n") and not new.endswith("\n"):
            new += "\n"
        if start == end or (isinstance(node, yaml.ScalarNode) and node.value == "" and node.style is None):
            new = " " + new if start > 0 and text[start - 1] == ":" else new  # `key:` with no value
        edits.append((start, end, new))
    out = text
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new + out[end:]
    for path, rendered in additions:
        out = _add(out, path, rendered)
    return out


def _normal(kind: str, value: str) -> str:
    if kind in ("list", "tags"):
        return "\n".join(_items(kind, value))
    return " ".join(value.split())


def _add(text: str, path: tuple[str, ...], rendered: str) -> str:
    """Add a field the YAML does not have: a top-level one at the end, a nested one after its parent's last
    line, indented like the parent's other fields."""
    doc = _load(text)
    if len(path) == 1:
        return text.rstrip("\n") + f"\n{path[0]}: {rendered}\n"
    parent = _find(doc, path[:-1])
    if parent is None or not isinstance(parent[1], yaml.MappingNode) or parent[1].flow_style or not parent[1].value:
        raise FormError(f"{'.'.join(path)}: add it in the YAML tab ({'.'.join(path[:-1])} is not a block mapping)")
    mapping = parent[1]
    indent = int(mapping.value[0][0].start_mark.column)
    last = mapping.value[-1][1]
    at = doc.offset(last.end_mark)
    if at > 0 and text[at - 1] == "\n":  # a block value ends at the start of the next line
        at -= 1
    line_end = text.find("\n", at)
    line_end = len(text) if line_end < 0 else line_end
    return text[:line_end] + "\n" + " " * indent + f"{path[-1]}: {rendered}" + text[line_end:]
