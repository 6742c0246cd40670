"""Check: does call routing (src/sparring/review/routing.py) give each call the type a user would expect?

    .venv/bin/python bench/call_routing.py [--json] FILE...

Each FILE is a call transcript with its expected call type either in a key file beside it (``<call>.key.json``,
the corpus format of corpus/calls/README.md, ``call_type``) or in ``EXPECTED`` below (the test fixtures written
for other tests, typed by what their own comments say they are). A key's ``other`` (an expansion call, a QBR) is
a type with no rubric of its own: it is listed, and left out of the accuracy. Every call is routed twice: as
imported (its title is the file name) and with the title hidden (``call``), because the title rules decide most
named files and hide what the content rules do — a real call is often titled "Acme / Rashid follow-up".

docs/calls.md ("How routing was checked") lists which calls informed the rules and which were held out. Never
pass corpus/calls/test (frozen, corpus/calls/README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sparring.conversation.importers import parse_transcript_bytes
from sparring.review.routing import route_call
from sparring.root import Sparring
from sparring.settings import Settings

#: expected types of the fixtures that have no key file, from their own header comments
EXPECTED = {
    "drill-price-call.txt": "objection-heavy",  # "a short sales call with a planted price objection"
    "otter-coaching.txt": "coaching",
    "plain-consulting.txt": "consulting",
    "pricing-call.srt": "objection-heavy",
    "teams-renewal.vtt": "renewal",
    "zoom-discovery.vtt": "discovery",
    "first-call-missed.txt": "objection-heavy",  # "the buyer pushes back on price"
    "next-call-improved.txt": "objection-heavy",
    "next-call-not-improved.txt": "objection-heavy",
    "next-call-no-objection.txt": "discovery",  # "an onboarding check-in: no objection at all"
}


def expected(path: Path) -> tuple[str, str | None]:
    key = path.with_name(path.name.rsplit(".", 1)[0] + ".key.json")
    if key.exists():
        doc = json.loads(key.read_text(encoding="utf-8"))
        return doc["call_type"], doc.get("rep")
    if path.name in EXPECTED:
        return EXPECTED[path.name], None
    raise SystemExit(f"{path}: no key file and no expected type in bench/call_routing.py")


def _mark(row: dict[str, str], key: str) -> str:
    if row["expected"] == "other":
        return "   "
    return "ok " if row[key] == row["expected"] else "-- "


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if any("calls/test" in str(f.resolve()) for f in args.files):
        raise SystemExit("corpus/calls/test is frozen: do not route it while tuning (corpus/calls/README.md)")
    formats = Sparring(Settings()).formats
    rows = []
    for path in args.files:
        want, rep = expected(path)
        conv = parse_transcript_bytes(path.read_bytes(), path.name, rep=rep, source="call", formats=formats)
        titled = route_call(conv)
        conv.title = "call"
        hidden = route_call(conv)
        rows.append({"file": path.name, "expected": want, "titled": titled.call_type, "untitled": hidden.call_type,
                     "reason_untitled": hidden.reason})
    judged = [r for r in rows if r["expected"] != "other"]
    summary = {"calls": len(rows), "judged": len(judged),
               "titled_right": sum(r["titled"] == r["expected"] for r in judged),
               "untitled_right": sum(r["untitled"] == r["expected"] for r in judged)}
    if args.json:
        print(json.dumps({"rows": rows, **summary}))
        return 0
    for r in rows:
        print(f"{r['file']:34} expected {r['expected']:16} {_mark(r, 'titled')}titled {r['titled']:16} "
              f"{_mark(r, 'untitled')}untitled {r['untitled']}")
    print(f"right: {summary['titled_right']}/{summary['judged']} titled, {summary['untitled_right']}/"
          f"{summary['judged']} with the title hidden ({summary['calls'] - summary['judged']} 'other' not judged)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
