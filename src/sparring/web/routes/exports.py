"""CSV downloads for managers and admins (docs/exports.md): ``/exports`` shows the filters (a program among them: the
programs the viewer sees) and one link per file;
``/exports/{kind}.csv`` streams that file from the database as it is read (``sparring.reports.exports``), with
the same access rules as the rest of the app (a manager: the learners of their teams; an admin: their
organisation; private criterion detail only to its owner)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.reports.exports import COLUMNS, KINDS, SOURCES, ExportFilter, ExportKind, ExportScope, csv_chunks
from sparring.reports.exports import export_rows as rows_of
from sparring.services import audit, exports, programs
from sparring.services.access import managed_team_ids
from sparring.services.errors import InvalidInput, NotFound
from sparring.store.models import Team
from sparring.web.deps import Auth, PageAuth, ReadDB, render, require_role, web
from sparring.web.params import SearchText

router = APIRouter(include_in_schema=False)


def _request(team: str, user: str, date_from: str, date_to: str, source: str, scenario: str, program: str
             ) -> exports.ExportRequest:
    return exports.ExportRequest(team=team, user=user, date_from=date_from, date_to=date_to, source=source,
                                 scenario=scenario, program=program)


@router.get("/exports")
def exports_page(request: Request, auth: PageAuth, db: ReadDB, team: SearchText = "", user: SearchText = "",
                 date_from: SearchText = "", date_to: SearchText = "", source: SearchText = "",
                 scenario: SearchText = "", program: SearchText = "") -> Response:
    require_role(auth, "manager", "admin")
    asked = _request(team, user, date_from, date_to, source, scenario, program)
    error = ""
    try:
        exports.parse_filter(db, exports.viewer_scope(db, auth.viewer), asked, auth.viewer)
    except (InvalidInput, NotFound) as exc:
        error = str(exc)
    query = urlencode({k: v for k, v in {"team": team, "user": user, "date_from": date_from, "date_to": date_to,
                                         "source": source, "scenario": scenario, "program": program}.items() if v})
    teams = _team_names(db, auth)
    return render(request, "exports.html", auth, active="team", kinds=KINDS, columns=COLUMNS, query=query,
                  error=error, teams=teams, sources=SOURCES, programs=programs.list_programs(db, auth.viewer),
                  f={"team": team, "user": user, "date_from": date_from, "date_to": date_to, "source": source,
                     "scenario": scenario, "program": program})


def _team_names(db: Session, auth: Auth) -> list[str]:
    ids = managed_team_ids(db, auth.viewer)
    return list(db.scalars(select(Team.name).where(Team.id.in_(ids)).order_by(Team.name))) if ids else []


@router.get("/exports/{kind}.csv")
def download(kind: str, request: Request, auth: PageAuth, db: ReadDB, team: SearchText = "", user: SearchText = "",
             date_from: SearchText = "", date_to: SearchText = "", source: SearchText = "",
             scenario: SearchText = "", program: SearchText = "") -> Response:
    require_role(auth, "manager", "admin")
    if kind not in KINDS:
        raise HTTPException(status_code=404, detail="no such export")
    file_kind: ExportKind = kind
    try:
        scope = exports.viewer_scope(db, auth.viewer)
        flt = exports.parse_filter(db, scope, _request(team, user, date_from, date_to, source, scenario, program),
                                   auth.viewer)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except InvalidInput as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    database = web(request).database()
    with database.session() as s:
        audit.record(s, auth.viewer, "export.downloaded", "export", kind,
                     {k: v for k, v in {"team": team, "user": user, "date_from": date_from, "date_to": date_to,
                                        "source": source, "scenario": scenario, "program": program}.items() if v})

    def stream(scope: ExportScope, flt: ExportFilter) -> Iterator[str]:
        # its own read session, open while the response streams (the request's closes when the handler returns)
        with database.read() as s:
            yield from csv_chunks(rows_of(s, file_kind, scope, flt), COLUMNS[file_kind])

    return StreamingResponse(stream(scope, flt), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{kind}.csv"',
                                      "Cache-Control": "no-store"})
