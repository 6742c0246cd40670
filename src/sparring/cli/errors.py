"""Turning user errors into one line on stderr and a non-zero exit."""

from __future__ import annotations

import sys

import click
import pydantic
import typer

from sparring.content.errors import UnknownContentError
from sparring.kernel.plugins import PluginError
from sparring.kernel.problems import ProblemError

try:  # newer typer parses arguments with its own vendored click: bad flags raise its exception classes
    from typer._click.exceptions import ClickException as VendoredClickException
except ImportError:  # pragma: no cover - typer that uses click itself
    VendoredClickException = click.ClickException  # type: ignore[misc,assignment]


class UserError(Exception):
    """A problem the user can fix; its message is printed as one line."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 1) -> None:
    raise UserError(message, code)


def setting_problems(exc: pydantic.ValidationError) -> list[str]:
    """One line per bad setting, named as it is set (``SPARRING_SESSION_IDLE_MINUTES: Input should be a valid
    integer (got 'abc')``), instead of pydantic's traceback."""
    lines = []
    for err in exc.errors():
        name = "SPARRING_" + "_".join(str(part) for part in err.get("loc", ())).upper()
        got = err.get("input")
        shown = f" (got {str(got)[:60]!r})" if isinstance(got, str | int | float) else ""
        lines.append(f"setting {name}: {err.get('msg', 'invalid')}{shown}")
    return lines or [str(exc)]


def run_guarded(app: typer.Typer, argv: list[str]) -> int:
    try:
        # with standalone_mode=False, typer returns the code of ``raise typer.Exit(n)`` instead of raising
        rc = app(args=argv, prog_name="sparring", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.exceptions.Abort:
        print("sparring: aborted", file=sys.stderr)
        return 130
    except (click.ClickException, VendoredClickException) as exc:  # bad flags, missing arguments
        print(f"sparring: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code or 2
    except UserError as exc:
        print(f"sparring: {exc}", file=sys.stderr)
        return exc.code
    except UnknownContentError as exc:
        print(f"sparring: {exc}", file=sys.stderr)
        return 1
    except PluginError as exc:  # a configured engine or plugin that is not installed or does not load
        print(f"sparring: {exc}", file=sys.stderr)
        return 1
    except ProblemError as exc:  # content, transcript or config file: every problem, FILE:LINE: field: message
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"sparring: file not found: {exc.filename or exc}", file=sys.stderr)
        return 1
    except pydantic.ValidationError as exc:  # a SPARRING_* setting (environment or config file) of the wrong kind
        for line in setting_problems(exc):
            print(f"sparring: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sparring: interrupted", file=sys.stderr)
        return 130
    return rc if isinstance(rc, int) else 0
