#!/usr/bin/env python3
"""Lists the tests Surefire skipped and fails on those not on the allow list.

Usage: skipped-tests.py ALLOW_LIST REPORT_DIR...

Reads every TEST-*.xml under each REPORT_DIR (a module's target/surefire-reports) and prints one line
per skipped test, "skipped: CLASS#METHOD: REASON". ALLOW_LIST (.ci/allowed-skips) holds the tests
that may be skipped, one "CLASS#METHOD  reason" a line ('#' starts a comment); METHOD may be '*'.
Exit status: 0 when every skipped test is allowed, 1 when one is not (its names are printed), 2 on bad
usage or an unreadable report.
"""
import pathlib
import sys
import xml.etree.ElementTree as ET


def allowed(path):
    entries = {}
    for n, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if "#" not in name or not reason.strip():
            sys.exit(f"skipped-tests: {path}:{n}: want 'CLASS#METHOD reason', got '{line}'")
        entries[name] = reason.strip()
    return entries


def skipped(report_dirs):
    for d in report_dirs:
        for report in sorted(pathlib.Path(d).glob("TEST-*.xml")):
            try:
                root = ET.parse(report).getroot()
            except ET.ParseError as e:
                sys.exit(f"skipped-tests: cannot read {report}: {e}")
            for case in root.iter("testcase"):
                skip = case.find("skipped")
                if skip is not None:
                    # JUnit's parameterized and fuzz invocations are named "method(args)[n]".
                    method = case.get("name", "?").split("(")[0]
                    yield f"{case.get('classname', '?')}#{method}", (skip.get("message") or "").strip()


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    allow = allowed(argv[1])
    bad = 0
    for name, why in skipped(argv[2:]):
        cls = name.split("#")[0]
        reason = allow.get(name) or allow.get(cls + "#*")
        if reason:
            print(f"skipped (allowed: {reason}): {name}: {why}")
        else:
            print(f"skipped: {name}: {why}")
            bad += 1
    if bad:
        print(f"skipped-tests: {bad} skipped test(s) not on {argv[1]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
