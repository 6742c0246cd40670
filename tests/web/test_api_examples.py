"""Every /api operation that answers a body shows an example in the OpenAPI (sparring.web.api_examples), each
example fits the operation's response model (so the documentation cannot drift from the answers), and the
document states the API version (docs/api.md, "Versioning")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from sparring.settings import Settings
from sparring.store.db import forget_databases
from sparring.web.app import API_VERSION, create_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield create_app(Settings(data_dir=Path(tmp_path_factory.mktemp("api-examples"))), warm_up=False)
    forget_databases()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _examples(spec: dict[str, Any], op: dict[str, Any]) -> tuple[str | None, list[Any]]:
    """The success code of an operation and the examples documented for its body."""
    for code, response in op["responses"].items():
        if not code.startswith("2"):
            continue
        content = response.get("content", {})
        media = content.get("application/json")
        if media is None and content:  # a body that is not JSON (a reply's audio): nothing to show an example of
            return None, []
        if media is None:
            return code, []
        found = [media["example"]] if "example" in media else list(media.get("examples", {}).values())
        found += _resolve(spec, media.get("schema", {})).get("examples", [])
        return code, found
    return None, []


def test_every_api_operation_with_a_body_has_an_example(app: FastAPI) -> None:
    spec = app.openapi()
    missing = []
    operations = 0
    for path, ops in spec["paths"].items():
        if not path.startswith("/api"):
            continue
        for method, op in ops.items():
            code, examples = _examples(spec, op)
            has_body = code is not None and code != "204"
            operations += has_body
            if has_body and not examples:
                missing.append(f"{method.upper()} {path}")
    assert operations >= 25, "the read API's operations are in the document"
    assert missing == [], f"operations without a response example: {missing}"


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI versions that wrap them keep ``original_router``)."""
    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)
        elif isinstance(r, APIRoute):
            yield r


def test_every_example_fits_its_response_model(app: FastAPI) -> None:
    from pydantic import ValidationError

    spec = app.openapi()
    checked = 0
    wrong: list[str] = []
    for route in _api_routes(list(app.routes)):
        if not route.path.startswith("/api") or route.response_model is None:
            continue
        for method in route.methods - {"HEAD"}:
            _, examples = _examples(spec, spec["paths"][route.path][method.lower()])
            for value in examples:
                try:
                    TypeAdapter(route.response_model).validate_python(value)
                except ValidationError as exc:  # names the field that is off
                    wrong.append(f"{method} {route.path}: {exc}")
                checked += 1
    assert wrong == [], "\n".join(wrong)
    assert checked >= 25


def test_the_document_states_the_api_version(app: FastAPI) -> None:
    info = app.openapi()["info"]
    assert info["version"] == API_VERSION == "1.1"
    assert "docs/api.md" in info["description"]
