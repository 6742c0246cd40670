"""Human labels for ids shown on pages: scenario titles and criterion names (current versions, as the viewer's
organisation sees them: another organisation's edit of a built-in never renames it here)."""

from __future__ import annotations

from fastapi import Request

from sparring.services.access import Viewer
from sparring.web.content_scope import viewer_content


def scenario_titles(request: Request, viewer: Viewer) -> dict[str, str]:
    return {s.id: s.title for s in viewer_content(request, viewer).list_scenarios()}


def criterion_names(request: Request, viewer: Viewer) -> dict[str, str]:
    names: dict[str, str] = {}
    for rubric in viewer_content(request, viewer).list_rubrics():
        for c in rubric.criteria:
            names.setdefault(c.id, c.name)
    return names
