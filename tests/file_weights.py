"""The suite's time per test file, from a JUnit XML report of a run (pytest --junitxml=...):
setup, call and teardown of every test summed per file, the longest first. With --write it
records them in tests/file_weights.json, which tests/conftest.py reads to hand the longest
files to the pytest-xdist workers first (see the comment there).

    .venv/bin/pytest --numprocesses 3 --dist loadfile --junitxml=/tmp/suite.xml
    .venv/bin/python -m tests.file_weights /tmp/suite.xml --write
"""

from __future__ import annotations

import argparse
import json
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = Path(__file__).resolve().parent / "file_weights.json"


def file_of(case: ElementTree.Element) -> str:
    """The test file of a test case: its `file` attribute (junit_family=xunit1), else the
    longest prefix of its dotted class name that names a file (tests.e2e.test_x.Class)."""
    if case.get("file"):
        return case.get("file", "")
    parts = case.get("classname", "").split(".")
    for end in range(len(parts), 0, -1):
        candidate = "/".join(parts[:end]) + ".py"
        if (ROOT / candidate).is_file():
            return candidate
    raise ValueError(f"no test file for {case.get('classname')}::{case.get('name')}")


def seconds_per_file(report: Path) -> dict[str, float]:
    """Seconds per file (pytest's junit_duration_report "total": setup + call + teardown)."""
    totals: dict[str, float] = defaultdict(float)
    for case in ElementTree.parse(report).iter("testcase"):
        totals[file_of(case)] += float(case.get("time") or 0)
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a JUnit XML report of a whole run")
    parser.add_argument("--top", type=int, default=30, help="files to print")
    parser.add_argument("--write", action="store_true", help=f"record them in {WEIGHTS.name}")
    args = parser.parse_args()
    totals = seconds_per_file(args.report)
    for path, seconds in list(totals.items())[:args.top]:
        print(f"{seconds:8.1f} s  {path}")
    print(f"{sum(totals.values()):8.1f} s  in {len(totals)} files (the sum over every worker)")
    if args.write:
        WEIGHTS.write_text(json.dumps({path: round(seconds, 1) for path, seconds
                                       in totals.items()}, indent=0) + "\n")


if __name__ == "__main__":
    main()
