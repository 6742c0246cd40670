"""Human labels for ids shown on pages: scenario titles and criterion names (newest content versions)."""

from __future__ import annotations

from fastapi import Request

from sparring.services.content import ContentService
from sparring.web.deps import web


def scenario_titles(request: Request) -> dict[str, str]:
    return {s.id: s.title for s in ContentService(web(request).database()).list_scenarios()}


def criterion_names(request: Request) -> dict[str, str]:
    names: dict[str, str] = {}
    for rubric in ContentService(web(request).database()).list_rubrics():
        for c in rubric.criteria:
            names.setdefault(c.id, c.name)
    return names
