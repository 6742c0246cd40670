"""The web editor's validation (``services.authoring.validate_text``) applies the same safe-YAML rules as files:
anchors, aliases, deep nesting and over-large text come back as located problems, never as work."""

from __future__ import annotations

from sparring.limits import MAX_CONTENT_BYTES, MAX_YAML_DEPTH
from sparring.services.authoring import validate_text

BOMB = """id: laughs
title: Laughs
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
criteria: *h
"""


def test_the_editor_refuses_a_billion_laughs_at_the_anchor_lines() -> None:
    v = validate_text(BOMB)
    assert not v.ok and v.model is None
    doc = v.as_json()
    assert [(p["line"], p["field"]) for p in doc["problems"]] == [(3, "a"), (4, "b"), (5, "c"), (6, "d"), (7, "e")]
    assert doc["problems"][0]["text"] == ("editor.yaml:3: a: anchors (&a) are not allowed in content; "
                                          "write the value out in full")


def test_the_editor_refuses_deep_nesting_and_over_large_text() -> None:
    deep = "id: x\ncriteria: " + "[" * 5_000 + "]" * 5_000 + "\n"
    (problem,) = validate_text(deep).problems
    assert (problem.file, problem.line) == ("editor.yaml", 2)
    assert problem.message == f"nested too deeply: at most {MAX_YAML_DEPTH} levels"
    (problem,) = validate_text("id: x\nbrief: " + "x" * MAX_CONTENT_BYTES).problems
    assert problem.field == "yaml" and problem.message.startswith("the document is too large")
