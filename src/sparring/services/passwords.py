"""The password policy: what a new password must be, and what a login may send before anything is hashed.

Applied wherever a password is *set* (first-run set-up, an admin creating a user or resetting a password,
``sparring users create`` / ``set-password``, the demo seed); never to stored passwords, so accounts created
under an older policy still log in. The rules (docs/web.md, "Accounts and logging in"; reasons in
docs/decisions.md):

- at least ``MIN_PASSWORD_CHARS`` (12) characters and at most ``MAX_PASSWORD_CHARS`` (256): a longer one is
  refused before it is hashed — at login too, where it is refused without hashing;
- not on the list of 30,000 most common passwords from breach corpora that ships inside the ``zxcvbn`` package
  (MIT licence; offline, nothing is fetched), compared case-insensitively;
- not guessable by zxcvbn's pattern search (dictionary words and names with l33t substitutions, keyboard walks,
  repeats, sequences, dates, and the user's own e-mail, name and organisation): it must score at least
  ``MIN_STRENGTH`` (3 of 4, i.e. an estimated 10^8 guesses or more). zxcvbn looks at the first 72 characters.

This module is part of the core: no web imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from sparring.services.errors import InvalidInput

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 256
MIN_STRENGTH = 3
#: zxcvbn's own limit: its matching is quadratic in the length, so only this many characters are scored
_SCORED_CHARS = 72
_SURROGATE = re.compile("[\ud800-\udfff]")
_WORDS = re.compile(r"[^\W_]{3,}")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The breached-password list shipped by zxcvbn (Xato's corpus, 30,000 entries), lower-cased."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def login_password_problem(password: str) -> str | None:
    """Why a password sent to log in is refused before hashing (NUL, a lone surrogate, over-long), or None."""
    if not isinstance(password, str):
        return "password: must be text"
    if "\x00" in password:
        return "password: contains a NUL character (\\x00)"
    if _SURROGATE.search(password):
        return "password: contains an unpaired surrogate code point; send valid UTF-8 text"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"password: is too long (at most {MAX_PASSWORD_CHARS} characters)"
    return None


def check_new_password(password: str, context: Iterable[str] = ()) -> None:
    """Raise InvalidInput (naming the rule, never echoing the password) unless ``password`` may be set.
    ``context`` holds words an attacker would try first: the user's e-mail, name, organisation."""
    problem = login_password_problem(password)
    if problem:
        raise InvalidInput(problem)
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"password: too short ({len(password)} characters; use at least {MIN_PASSWORD_CHARS})")
    if password.lower() in common_passwords() or password.strip().lower() in common_passwords():
        raise InvalidInput("password: it is on a list of common passwords from data breaches; choose another")
    from zxcvbn import zxcvbn

    words = sorted({w.lower() for text in (*context, "sparring") for w in _WORDS.findall(text or "")})
    result = zxcvbn(password[:_SCORED_CHARS], user_inputs=words)
    if int(result["score"]) < MIN_STRENGTH:
        warning = str(result["feedback"].get("warning") or "").rstrip(".")
        hint = " ".join(str(s) for s in result["feedback"].get("suggestions") or [])
        because = f" ({warning[:120]})" if warning else ""
        raise InvalidInput(f"password: too easy to guess{because}; {hint[:200] or 'use a longer phrase'}".rstrip())
