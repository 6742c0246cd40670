"""Print the test files of a pytest JUnit XML report, slowest first, with their total seconds as a comment:
``python tools/slow_test_files.py report.xml [N] > tests/slow_files.txt``. ``tests/conftest.py`` runs the files
listed there first, so that the parallel run (``./dev test``) does not end with one worker on a long file."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict


def main(path: str, limit: int = 60) -> None:
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(path).iter("testcase"):
        module = case.get("classname", "")
        if not module:
            continue
        parts = module.split(".")
        # "tests.web.test_x" or "tests.web.test_x.TestClass": the file is the part up to the test_ module
        upto = next((i for i, p in enumerate(parts) if p.startswith("test_")), len(parts) - 1)
        seconds["/".join(parts[:upto + 1]) + ".py"] += float(case.get("time", 0) or 0)
    print("# test files, slowest first (seconds in one run, all workers); tools/slow_test_files.py writes this")
    for name, total in sorted(seconds.items(), key=lambda kv: -kv[1])[:limit]:
        print(f"{name}  # {total:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
