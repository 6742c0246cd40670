"""YAML parsing that remembers where every value came from, so problems can name FILE:LINE."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from sparring.content.errors import ContentError, Problem


@dataclass
class LocatedYaml:
    """Parsed YAML data plus a map from a value's path (tuple of keys / indexes) to its 1-based line."""

    data: Any
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    file: str = "<string>"

    def line_for(self, path: tuple[str | int, ...]) -> int:
        """The line of the deepest known prefix of ``path`` (a missing field points at its parent)."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)


#: the C loader (libyaml) is ~10x faster; the same data and marks come out of the pure-Python one
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _walk(node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> None:
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
    """Parse one YAML document. Syntax errors become a ContentError naming file and line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        msg = exc.problem or str(exc)
        raise ContentError([Problem(file, line, "yaml", f"syntax error: {msg}")]) from exc
    except yaml.YAMLError as exc:
        raise ContentError([Problem(file, 1, "yaml", f"syntax error: {exc}")]) from exc
    finally:
        loader.dispose()
    lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        _walk(node, (), lines)
    return LocatedYaml(data=data, lines=lines, file=file)
