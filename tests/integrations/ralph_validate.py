"""Validate xAPI statements with Ralph's strict statement model, for the xAPI end-to-end test.

Run by the Ralph venv's Python (``python ralph_validate.py FILE``; not imported by the test suite). FILE holds a
JSON array of statements or JSON lines (Ralph's file-system LRS). Each statement is validated with
``ralph.models.xapi.base.statements.BaseXapiStatement`` — unknown fields refused, empty strings refused, scores,
durations, IRIs, UUIDs and the version checked — which is stricter than the lax model Ralph's API accepts. Prints
``{"valid": N, "errors": [...]}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import ValidationError
from ralph.models.xapi.base.statements import BaseXapiStatement


def main(path: str) -> None:
    text = Path(path).read_text(encoding="utf-8")
    statements = json.loads(text) if text.lstrip().startswith("[") else [json.loads(line) for line in
                                                                         text.splitlines() if line.strip()]
    valid, errors = 0, []
    for statement in statements:
        try:
            BaseXapiStatement.model_validate(statement)
            valid += 1
        except ValidationError as exc:
            errors.append({"id": statement.get("id"), "error": str(exc)[:2000]})
    print(json.dumps({"valid": valid, "errors": errors}))


if __name__ == "__main__":
    main(sys.argv[1])
