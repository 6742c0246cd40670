"""Test helpers for Sparring and its plugins (docs/testing.md): fake engines, a fake LLM provider, the act-reader
double, and real ``sparring`` processes on a database of the test's own. Import what you need from the
submodules; nothing here is used by Sparring at run time."""
