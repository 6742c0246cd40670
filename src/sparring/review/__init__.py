"""Reviewing real calls: the key moments of a call, the pivotal one, and which rubric a call is scored against
(issue 13; docs/moments.md). Core code: it reads conversations, acts and scorecards, never storage or the web."""
