"""The only way web code reaches scenarios and rubrics: in the signed-in user's organisation.

A page never builds a ``ContentService`` itself (``tests/web/test_authorisation_matrix.py`` fails if one does):
it asks for the viewer's content, which sees the built-ins, installation-wide imports and the viewer's own
organisation's content, never another organisation's (``sparring.services.content``).
"""

from __future__ import annotations

from fastapi import Request

from sparring.services.access import Viewer
from sparring.services.content import ContentService
from sparring.web.deps import web


def viewer_content(request: Request, viewer: Viewer) -> ContentService:
    """Content as ``viewer`` may see it: their organisation's scope."""
    return ContentService.for_viewer(web(request).database(), viewer)
