"""The MCP server (docs/mcp.md; issue 16 item 5): the read operations of Sparring's JSON API as MCP tools, for an
AI assistant that runs ``sparring mcp`` over stdio.

Every tool is one GET of the versioned JSON API (docs/api.md) of a running Sparring server, with the caller's API
token: the same resources, the same shapes, the same access rules — a tool can show exactly what the token's
account may see through the API and nothing more, because it *is* the API. Nothing here reads the database. A
token revoked or expired stops working at the next call. An API error becomes a tool error that carries the API's
own message ("no such rep", "managers and admins only"…).

The SDK is the official ``mcp`` package (the optional ``[mcp]`` extra), imported only when the server starts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

#: the environment variables ``sparring mcp`` reads when no option is given (a token on the command line is
#: visible to other users of the machine in the process list; the environment is not)
URL_ENV = "SPARRING_MCP_URL"
TOKEN_ENV = "SPARRING_MCP_TOKEN"


class ApiError(RuntimeError):
    """The Sparring API refused a call; the message is the API's own detail, with the status."""


@dataclass
class SparringApi:
    """A small client of the read API: ``get(path, params)`` → the JSON answer, or ``ApiError``."""

    base_url: str
    token: str
    timeout: float = 30.0
    transport: httpx.BaseTransport | None = None

    def __post_init__(self) -> None:
        self._client = httpx.Client(base_url=self.base_url.rstrip("/"), timeout=self.timeout,
                                    headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
                                    transport=self.transport, follow_redirects=False)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        try:
            response = self._client.get(path, params=query)
        except httpx.HTTPError as exc:
            raise ApiError(f"cannot reach Sparring at {self.base_url}: {exc}") from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text[:200]
            if response.status_code == 401:
                detail = (f"{detail} (the token is missing, revoked or expired: make a new one under "
                          "Admin → Integrations → API tokens)")
            raise ApiError(f"{response.status_code}: {detail}")
        return response.json()

    def close(self) -> None:
        self._client.close()


def _id(value: str | int) -> str:
    return quote(str(value), safe="")


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its name, what it does (shown to the assistant), and the call it makes."""

    name: str
    description: str
    call: Callable[..., Any]


def tools(api: SparringApi) -> list[ToolSpec]:
    """The tools, each a GET of the API (the parameters are the API's filters; docs/api.md "Resources")."""

    def list_scenarios(domain: str | None = None, skill: str | None = None, rubric: str | None = None,
                       limit: int = 50, offset: int = 0) -> Any:
        return api.get("/api/scenarios", {"domain": domain, "skill": skill, "rubric": rubric, "limit": limit,
                                          "offset": offset})

    def get_scenario(scenario_id: str) -> Any:
        return api.get(f"/api/scenarios/{_id(scenario_id)}")

    def list_rubrics(skill: str | None = None, limit: int = 50, offset: int = 0) -> Any:
        return api.get("/api/rubrics", {"skill": skill, "limit": limit, "offset": offset})

    def get_rubric(rubric_id: str, version: str | None = None) -> Any:
        return api.get(f"/api/rubrics/{_id(rubric_id)}", {"version": version})

    def list_reps(user_id: int | None = None, scenario: str | None = None, limit: int = 50) -> Any:
        return api.get("/api/reps", {"user_id": user_id, "scenario": scenario, "limit": limit})

    def get_rep(rep_id: int) -> Any:
        return api.get(f"/api/reps/{_id(rep_id)}")

    def list_calls(limit: int = 50) -> Any:
        return api.get("/api/calls", {"limit": limit})

    def get_call(conversation_id: int) -> Any:
        return api.get(f"/api/calls/{_id(conversation_id)}")

    def my_progress(last: int = 30) -> Any:
        return api.get("/api/progress", {"last": last})

    def user_progress(user_id: int, last: int = 30) -> Any:
        return api.get(f"/api/users/{_id(user_id)}/progress", {"last": last})

    def list_users(team: int | None = None, role: str | None = None, limit: int = 50, offset: int = 0) -> Any:
        return api.get("/api/users", {"team": team, "role": role, "limit": limit, "offset": offset})

    def list_teams(limit: int = 50, offset: int = 0) -> Any:
        return api.get("/api/teams", {"limit": limit, "offset": offset})

    def list_assignments(scenario: str | None = None, since: str | None = None, limit: int = 50,
                         offset: int = 0) -> Any:
        return api.get("/api/assignments", {"scenario": scenario, "since": since, "limit": limit, "offset": offset})

    def list_programs(status: str | None = None, limit: int = 50, offset: int = 0) -> Any:
        return api.get("/api/programs", {"status": status, "limit": limit, "offset": offset})

    def program_progress(program_id: int) -> Any:
        return api.get(f"/api/programs/{_id(program_id)}/progress")

    return [
        ToolSpec("list_scenarios", "The practice scenarios this organisation has (id, title, domain, rubric, skills, "
                 "difficulties). Filters: domain, skill, rubric.", list_scenarios),
        ToolSpec("get_scenario", "One scenario as a learner sees it before starting: brief, role, objectives, who "
                 "the counterpart is. Never the counterpart's hidden agenda.", get_scenario),
        ToolSpec("list_rubrics", "The scoring rubrics and their criteria. Filter: skill.", list_rubrics),
        ToolSpec("get_rubric", "One rubric, now or in the version a scorecard names.", get_rubric),
        ToolSpec("list_reps", "Practice reps the caller may see, newest first, with scores.", list_reps),
        ToolSpec("get_rep", "One rep: its transcript and its scorecard (criteria met or missed, with the turns that "
                 "earned each, and feedback).", get_rep),
        ToolSpec("list_calls", "Imported real calls the caller may see.", list_calls),
        ToolSpec("get_call", "One call's review: scorecard, key moments and the pivotal moment.", get_call),
        ToolSpec("my_progress", "The caller's own progress: scores per rep and per skill, the weakest skill.",
                 my_progress),
        ToolSpec("user_progress", "A learner's progress (for themselves, their managers and admins).",
                 user_progress),
        ToolSpec("list_users", "People the caller may see (managers and admins). Filters: team id, role.",
                 list_users),
        ToolSpec("list_teams", "Teams the caller may see (managers and admins).", list_teams),
        ToolSpec("list_assignments", "Assignments: a manager's given, or a learner's own.", list_assignments),
        ToolSpec("list_programs", "Practice programs (sprints). Filter: status (active, archived).", list_programs),
        ToolSpec("program_progress", "A program's progress today: completion, reps, who is behind.",
                 program_progress),
    ]


def build_server(api: SparringApi) -> Any:
    """The MCP server with every tool registered (the ``mcp`` package's ``MCPServer``)."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("sparring", instructions=(
        "Read-only access to a Sparring practice lab (conversation practice, scorecards, progress, programs) with "
        "the access of one API token. Scores are 0-100; every criterion cites the turns that earned it."))
    for spec in tools(api):
        server.tool(name=spec.name, description=spec.description)(_reporting(spec.call))
    return server


def _reporting(call: Callable[..., Any]) -> Callable[..., str]:
    """The tool's answer as JSON text; an API refusal becomes the tool's error with the API's message."""
    import functools

    from mcp.server.mcpserver.exceptions import ToolError  # the SDK shows a ToolError's message to the assistant

    @functools.wraps(call)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        try:
            return json.dumps(call(*args, **kwargs), indent=1, ensure_ascii=False)
        except ApiError as exc:
            raise ToolError(str(exc)) from None

    return wrapper


def serve(url: str | None, token: str | None) -> None:
    """Run the server over stdio until the assistant closes it."""
    base = url or os.environ.get(URL_ENV, "")
    secret = token or os.environ.get(TOKEN_ENV, "")
    if not base:
        raise ValueError(f"the Sparring server's address: --url or {URL_ENV} (e.g. http://127.0.0.1:8000)")
    if not secret:
        raise ValueError(f"an API token: --token or {TOKEN_ENV} (make one under Admin → Integrations → API tokens)")
    api = SparringApi(base, secret)
    try:
        build_server(api).run("stdio")
    finally:
        api.close()
