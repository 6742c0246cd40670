"""``sparring mcp``: the read API as a Model Context Protocol server over stdio (docs/mcp.md)."""

from __future__ import annotations

import typer

from sparring.cli.errors import UserError


def _mcp(
    url: str | None = typer.Option(None, "--url", help="the Sparring server, e.g. http://127.0.0.1:8000 "
                                   "(default: SPARRING_MCP_URL)"),
    token: str | None = typer.Option(None, "--token", help="an API token (default: SPARRING_MCP_TOKEN, which keeps "
                                     "it out of the process list)"),
) -> None:
    """Serve Sparring's read API to an AI assistant over MCP (stdio), with the access of one API token."""
    import importlib.util

    if importlib.util.find_spec("mcp") is None:
        raise UserError("the MCP server needs the [mcp] extra: pip install 'sparring[mcp]'")
    from sparring.mcp.server import serve

    try:
        serve(url, token)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def register(app: typer.Typer) -> None:
    app.command("mcp")(_mcp)
