"""An example plugin: ``.echo`` transcripts (``SPEAKER >> text`` per line), ``sparring echo-hello`` and
``GET /plugins/echo``. Everything it adds is declared in its pyproject.toml; nothing in Sparring lists it."""

from __future__ import annotations

import typer
from fastapi import APIRouter

from sparring.conversation.errors import Problem, TranscriptError
from sparring.conversation.importers import Parsed, RawTurn, TranscriptFormat


def parse_echo(text: str, file: str) -> Parsed:
    turns: list[RawTurn] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        speaker, sep, said = line.partition(">>")
        if not sep or not speaker.strip() or not said.strip():
            raise TranscriptError([Problem(file, number, "line", "expected 'SPEAKER >> text'")])
        turns.append((speaker.strip(), said.strip(), None, None, number, None))
    return turns, {}, ["read by the echo plugin"]


ECHO = TranscriptFormat("echo", (".echo",), parse_echo)


def register(app: typer.Typer) -> None:
    @app.command("echo-hello")
    def echo_hello(name: str = typer.Argument("world")) -> None:
        """Say hello from the echo plugin."""
        print(f"hello {name} from the echo plugin")


router = APIRouter()


@router.get("/plugins/echo", include_in_schema=False)
def echo_route() -> dict[str, str]:
    return {"plugin": "echo"}
