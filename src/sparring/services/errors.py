"""Errors the service layer raises. Adapters map them: the CLI to one line on stderr, the web to 4xx."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service cannot carry out; the message is written for the person who made it."""


class NotFound(ServiceError, LookupError):
    """No such rep, user, organisation or content version."""


class Conflict(ServiceError):
    """The request does not fit the current state (e.g. a turn for a rep that has ended)."""


class InvalidInput(ServiceError, ValueError):
    """Bad input (empty turn, unknown role, malformed e-mail ...)."""


class EngineFailed(ServiceError):
    """The persona engine or the scorer raised. Whatever was committed before stays committed."""
