"""Admin page: the organisation's data (docs/data-ownership.md) — its own retention periods and whether recordings
of spoken turns are kept (``services.org_retention``: the installation's settings are the ceiling), with links to
the organisation export and to erasing a person. Included by ``admin`` (no entry point of its own)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sparring.services import org_retention
from sparring.services.org_retention import OrgRetention, RetentionError
from sparring.store.retention_models import DAY_COLUMNS, MAX_DAYS
from sparring.web.deps import PageAuth, form_with_csrf, render, require_role, set_flash, web

router = APIRouter(include_in_schema=False)
BASE = "/admin/data"


def _period(days: int | None) -> str:
    return "kept for ever" if days is None else f"{days} day{'' if days == 1 else 's'}"


def _rows(found: OrgRetention, typed: dict[str, str] | None) -> list[dict[str, Any]]:
    """One row per period: the organisation's own value (as typed, after a refused form), the ceiling and what
    applies, in words."""
    out = []
    for name in DAY_COLUMNS:
        what, setting = org_retention.PERIODS[name]
        own, ceiling, applied = (getattr(p, name) for p in (found.own, found.ceiling, found.effective))
        out.append({"name": name, "what": what, "setting": setting, "ceiling": ceiling,
                    "value": typed.get(name, "") if typed is not None else ("" if own is None else str(own)),
                    "applied": _period(applied),
                    "limited": own is not None and ceiling is not None and ceiling < own})
    return out


def _page(request: Request, auth: PageAuth, found: OrgRetention, *, error: str = "",
          typed: dict[str, str] | None = None, status_code: int = 200) -> Response:
    keep = found.keep_audio if typed is None else typed.get("keep_audio") == "on"
    return render(request, "admin_data.html", auth, active="data", rows=_rows(found, typed), keep_audio=keep,
                  installation_keeps_audio=found.installation_keeps_audio, audio_kept=found.audio_kept,
                  error=error, max_days=MAX_DAYS, status_code=status_code)


@router.get(BASE)
def data_page(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    settings = request.app.state.root.settings
    with web(request).database().read() as s:
        found = org_retention.read(s, auth.viewer.org_id, settings)
    return _page(request, auth, found)


@router.post(BASE + "/retention")
async def save_retention(request: Request, auth: PageAuth) -> Response:
    require_role(auth, "admin")
    form = await form_with_csrf(request, auth)
    settings = request.app.state.root.settings
    database = web(request).database()

    def work() -> tuple[OrgRetention, OrgRetention] | str:
        try:
            with database.session() as s:
                before = org_retention.read(s, auth.viewer.org_id, settings)
                return before, org_retention.update(s, auth.viewer, form, settings)
        except RetentionError as exc:
            return str(exc)

    done = await run_in_threadpool(work)
    if isinstance(done, str):  # refused: the page again with what was typed and the stored values untouched
        with database.read() as s:
            found = org_retention.read(s, auth.viewer.org_id, settings)
        return _page(request, auth, found, error=done, typed=form, status_code=400)
    before, after = done
    response = RedirectResponse(BASE, status_code=303)
    if before.values() == after.values():
        set_flash(response, "ok", "Nothing changed.")
    else:
        set_flash(response, "ok", "Retention saved: the nightly sweep applies it from tonight.")
    return response
