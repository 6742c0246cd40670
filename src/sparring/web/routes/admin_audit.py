"""Admin pages of the audit log (docs/data-ownership.md, "Audit log"; ``sparring.services.audit``): ``/admin/audit``
lists the organisation's log newest first, paged, with filters by action, actor and date range;
``/admin/audit.csv`` streams the same filtered rows as CSV. Only an admin of the organisation sees its log, never
another organisation's. Included by ``admin_integrations``'s router (the Integrations page links here)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse

from sparring.services import audit
from sparring.web.deps import PageAuth, ReadDB, render, require_role, web
from sparring.web.params import SearchText

router = APIRouter(include_in_schema=False)

PageNumber = Annotated[int, Query(ge=1, le=100_000)]


def _filters(action: str, actor: str, since: str, until: str) -> tuple[audit.Filters, str]:
    try:
        return audit.Filters.parse(action, actor, since, until), ""
    except audit.AuditError as exc:
        return audit.Filters(), str(exc)


@router.get("/admin/audit")
def audit_page(request: Request, auth: PageAuth, db: ReadDB, action: SearchText = "", actor: SearchText = "",
               since: SearchText = "", until: SearchText = "", page: PageNumber = 1) -> Response:
    require_role(auth, "admin")
    filters, error = _filters(action, actor, since, until)
    found = audit.page(db, auth.viewer.org_id, filters, page) if not error else audit.AuditPage([], 1, False)
    if not error:
        audit.record_reading(web(request).database(), auth.viewer, auth.viewer.org_id, "page", filters)
    query = {k: v for k, v in {"action": action, "actor": actor, "since": since, "until": until}.items() if v}
    rows = [{"at": audit.when(r), "actor": r.actor_label, "gone": r.actor_id is None, "action": r.action,
             "target": f"{r.target_type} {r.target_id}".strip(), "via": r.via, "detail": audit.detail_text(r.detail)}
            for r in found.rows]
    return render(request, "admin_audit.html", auth, active="integrations", rows=rows, page=found.page,
                  has_next=found.has_next, actions=audit.ACTIONS, error=error, f=query,
                  query=urlencode(query), status_code=400 if error else 200)


@router.get("/admin/audit.csv")
def audit_csv(request: Request, auth: PageAuth, action: SearchText = "", actor: SearchText = "",
              since: SearchText = "", until: SearchText = "") -> Response:
    require_role(auth, "admin")
    filters, error = _filters(action, actor, since, until)
    if error:
        raise HTTPException(status_code=400, detail=error)
    database = web(request).database()
    org_id = auth.viewer.org_id
    audit.record_reading(database, auth.viewer, org_id, "csv", filters)

    def stream() -> Iterator[str]:
        with database.read() as s:  # its own session, open while the response streams
            yield from audit.csv_lines(s, org_id, filters)

    return StreamingResponse(stream(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="audit.csv"',
                                      "Cache-Control": "no-store"})
