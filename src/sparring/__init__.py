"""Sparring: an open-source, self-hostable AI practice lab for business conversations."""

__version__ = "0.1.0"
