"""YAML parsing that remembers where every value came from, so problems can name FILE:LINE.

Content YAML is untrusted (the web editor, imports): before a document is built it is scanned as a stream of
parser events, which costs time and memory in proportion to the text, and refused when it

- is larger than ``MAX_CONTENT_BYTES``, holds more than ``MAX_YAML_NODES`` values or nests deeper than
  ``MAX_YAML_DEPTH`` levels;
- uses an anchor (``&name``) or an alias (``*name``). An alias repeats a value without repeating its text, so
  a few hundred bytes of nested aliases ("billion laughs") stand for billions of values once walked. Content
  never needs them (none of the built-in files uses one), so they are refused rather than capped; the error
  points at each anchor and alias line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from sparring.content.errors import ContentError, Problem
from sparring.limits import MAX_CONTENT_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES, utf8_size

Path_ = tuple[str | int, ...]


@dataclass
class LocatedYaml:
    """Parsed YAML data plus a map from a value's path (tuple of keys / indexes) to its 1-based line."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    file: str = "<string>"

    def line_for(self, path: Path_) -> int:
        """The line of the deepest known prefix of ``path`` (a missing field points at its parent)."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)


#: the C loader (libyaml) is ~10x faster; the same data and marks come out of the pure-Python one
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: lines with an alias or anchor reported for one document at most (one problem per line)
MAX_REPORTED = 5


def field_name(path: Path_) -> str:
    """``criteria[1].anchors`` for ``("criteria", 1, "anchors")``; ``(document)`` for the root."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(document)"


def _syntax_error(exc: yaml.YAMLError, file: str) -> ContentError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 0
        return ContentError([Problem(file, line, "yaml", f"syntax error: {exc.problem or exc}", column)])
    return ContentError([Problem(file, 1, "yaml", f"syntax error: {exc}")])


def _name(text: str) -> str:
    """An anchor's name or a key for an error message, cut after 40 characters (an error never echoes
    unbounded input)."""
    return text if len(text) <= 40 else text[:40] + "…"


class _Frame:
    """An open mapping or sequence while scanning events: its path and where its next child goes."""

    __slots__ = ("expect_key", "index", "key", "mapping", "path")

    def __init__(self, path: Path_, mapping: bool):
        self.path = path
        self.mapping = mapping
        self.expect_key = True
        self.key: str | int = "?"
        self.index = 0

    def child(self, event: yaml.Event) -> Path_:
        """The path of the node ``event`` starts (a key reports the mapping's path), advancing the frame."""
        if not self.mapping:
            self.index += 1
            return (*self.path, self.index - 1)
        if self.expect_key:
            self.expect_key = False
            self.key = _name(str(event.value)) if isinstance(event, yaml.ScalarEvent) else "?"
            return self.path
        self.expect_key = True
        return (*self.path, self.key)


def check_yaml(text: str, file: str = "<string>") -> None:
    """Raise ContentError unless ``text`` is within the content limits and free of anchors and aliases
    (problems name the line and field of each anchor or alias). Syntax errors raise ContentError too."""
    size = utf8_size(text, MAX_CONTENT_BYTES)
    if size > MAX_CONTENT_BYTES:
        raise ContentError([Problem(file, 1, "yaml", f"the document is too large ({size:,} bytes; at most "
                                                     f"{MAX_CONTENT_BYTES:,})")])
    loader = _Loader(text)
    problems: list[Problem] = []
    stack: list[_Frame] = []
    nodes = 0
    try:
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue  # stream and document start/end
            path = stack[-1].child(event) if stack else ()
            line = event.start_mark.line + 1 if event.start_mark is not None else 1
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise ContentError([Problem(file, line, field_name(path),
                                            f"too many values: a document holds at most {MAX_YAML_NODES:,}")])
            if event.anchor is not None and not (problems and problems[-1].line == line):
                what = "aliases (*" if isinstance(event, yaml.AliasEvent) else "anchors (&"
                problems.append(Problem(file, line, field_name(path), f"{what}{_name(event.anchor)}) are not allowed "
                                                                      "in content; write the value out in full"))
            if len(problems) >= MAX_REPORTED:
                break
            if isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= MAX_YAML_DEPTH:
                    raise ContentError([Problem(file, line, field_name(path),
                                                f"nested too deeply: at most {MAX_YAML_DEPTH} levels")])
                stack.append(_Frame(path, isinstance(event, yaml.MappingStartEvent)))
    except yaml.YAMLError as exc:
        if not problems:  # an anchor before a syntax error is still the first thing to fix
            error = _syntax_error(exc, file)
            if "nesting depth" in str(getattr(exc, "problem", "")):  # libyaml's own cap (1,000 levels) came first
                error = ContentError([Problem(file, error.problems[0].line, "yaml",
                                              f"nested too deeply: at most {MAX_YAML_DEPTH} levels")])
            raise error from exc
    finally:
        loader.dispose()
    if problems:
        raise ContentError(problems)


def compose_checked(text: str, file: str = "<string>") -> yaml.Node | None:
    """The node tree of one document, after ``check_yaml``; None for an empty document."""
    check_yaml(text, file)
    loader = _Loader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, file) from exc
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child = (*path, key)
            _walk(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines)


def parse_yaml(text: str, file: str = "<string>") -> LocatedYaml:
    """Parse one YAML document within the content limits. Syntax errors, anchors, aliases and over-large
    documents become a ContentError naming file and line."""
    check_yaml(text, file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, file) from exc
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return LocatedYaml(data=data, lines=lines, file=file)
