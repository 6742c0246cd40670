"""What an account may be called: e-mail addresses, display names, organisation and team names.

E-mail syntax is checked by ``email-validator`` (syntax only: no DNS, nothing leaves the machine), then
lower-cased as a whole, because addresses are unique across the installation and compared lower-cased
(docs/decisions.md, "Storage"). The reserved ``.test`` domain is accepted (demos and tests use it); other
special-use domains (``.local``, ``.localhost``, ``.invalid`` ...) and addresses without a dot in the domain are
not. Names go through ``sparring.inputs.clean_text`` (no NUL, control characters or lone surrogates, no bidi
overrides, NFC, one line, capped at the column's size). Errors name the field and never echo the input in full.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from sparring.inputs import InputError, clean_text, shown
from sparring.services.errors import InvalidInput

MAX_EMAIL_CHARS = 320  # users.email
MAX_NAME_CHARS = 200  # users.name, organisations.name, teams.name


def normalise_email(email: str, field: str = "email") -> str:
    """The address as stored (validated, lower-cased), or InvalidInput naming ``field``."""
    try:
        text = clean_text(email, field, max_chars=MAX_EMAIL_CHARS, required=True)
    except InputError as exc:
        raise InvalidInput(str(exc)) from exc
    try:
        checked = validate_email(text, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        # email-validator's messages describe the rule and do not repeat the address
        raise InvalidInput(f"{field}: not an e-mail address: {shown(text, 80)} ({exc})") from exc
    return checked.normalized.lower()


def clean_name(value: str | None, field: str, *, required: bool = False) -> str:
    """A display, organisation or team name made safe to store and show, or InvalidInput naming ``field``."""
    try:
        return clean_text(value or "", field, max_chars=MAX_NAME_CHARS, required=required)
    except InputError as exc:
        raise InvalidInput(str(exc)) from exc
