"""``/.well-known/security.txt`` (RFC 9116): where to report a vulnerability in this installation.

Served only when the operator names a contact (``SPARRING_SECURITY_CONTACT``): a security.txt pointing at
nobody would send reports into a void. ``Expires`` is a year after the server started, so the file never goes
stale while the installation runs; ``Canonical`` is given when the public URL is known.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response

from sparring.settings import Settings

router = APIRouter(include_in_schema=False)

_STARTED = datetime.now(UTC).replace(microsecond=0)


def security_txt(settings: Settings, now: datetime | None = None) -> str | None:
    """The file's text, or None when no contact is configured."""
    contact = (settings.security_contact or "").strip()
    if not contact:
        return None
    if "://" not in contact and not contact.startswith("mailto:"):
        contact = f"mailto:{contact}" if "@" in contact else contact
    expires = ((now or _STARTED) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [f"Contact: {contact}", f"Expires: {expires}", "Preferred-Languages: en"]
    if settings.public_url:
        lines.append(f"Canonical: {settings.public_url.rstrip('/')}/.well-known/security.txt")
    return "\n".join(lines) + "\n"


@router.get("/.well-known/security.txt")
def well_known_security_txt(request: Request) -> Response:
    text = security_txt(request.app.state.settings)
    if text is None:
        raise HTTPException(status_code=404, detail="no security contact is configured")
    return PlainTextResponse(text)
