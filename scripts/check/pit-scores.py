#!/usr/bin/env python3
"""Mutation scores per package from PIT's mutations.xml reports, and a floor to hold.

Usage: pit-scores.py [--floor PACKAGE=PERCENT]... [--survivors PACKAGE] MUTATIONS_XML...

Prints a Markdown table: per Java package the mutants PIT generated, how many the tests detected
(killed, timed out, memory error or run error: PIT's own rule), how many survived, how many no test
reached, the mutation score (detected / generated) and the test strength (detected / generated minus
not reached). Every row also needs tests to have run: a report whose mutants all ran zero tests (PIT
with a test plugin that finds no tests) is an error, not a score of 0.
--floor PACKAGE=PERCENT exits 1 when PACKAGE scores below PERCENT (or has no mutants).
--survivors PACKAGE lists that package's surviving mutants (class, line, mutator, description).
Exit status 2 on bad usage or unreadable reports.
"""
import argparse
import collections
import sys
import xml.etree.ElementTree as ET


def main(argv):
    parser = argparse.ArgumentParser(prog="pit-scores.py")
    parser.add_argument("--floor", action="append", default=[], metavar="PACKAGE=PERCENT")
    parser.add_argument("--survivors", action="append", default=[], metavar="PACKAGE")
    parser.add_argument("reports", nargs="+")
    args = parser.parse_args(argv[1:])
    rows = collections.OrderedDict()
    survivors = collections.defaultdict(list)
    tests_run = 0
    for report in args.reports:
        try:
            root = ET.parse(report).getroot()
        except (OSError, ET.ParseError) as e:
            print(f"pit-scores: cannot read {report}: {e}", file=sys.stderr)
            return 2
        for m in root.iter("mutation"):
            cls = m.findtext("mutatedClass")
            package = cls.rsplit(".", 1)[0]
            status = m.get("status")
            row = rows.setdefault(package, collections.Counter())
            row["generated"] += 1
            row["detected"] += m.get("detected") == "true"
            row["survived"] += status == "SURVIVED"
            row["no coverage"] += status == "NO_COVERAGE"
            tests_run += int(m.get("numberOfTestsRun") or 0)
            if status in ("SURVIVED", "NO_COVERAGE"):
                survivors[package].append(f"{status:11} {cls.rsplit('.', 1)[1]}:{m.findtext('lineNumber')} "
                                          f"{m.findtext('mutatedMethod')}: {m.findtext('description')}")
    if not rows:
        print("pit-scores: no mutants in the reports", file=sys.stderr)
        return 2
    if tests_run == 0:
        print("pit-scores: PIT ran no test for any mutant: the test plugin found no tests", file=sys.stderr)
        return 2
    print("| package | mutants | detected | survived | no coverage | mutation score | test strength |")
    print("|---|---|---|---|---|---|---|")
    scores = {}
    for package, r in rows.items():
        covered = r["generated"] - r["no coverage"]
        scores[package] = 100.0 * r["detected"] / r["generated"]
        strength = 100.0 * r["detected"] / covered if covered else 0.0
        print(f"| `{package}` | {r['generated']} | {r['detected']} | {r['survived']} | {r['no coverage']} "
              f"| {scores[package]:.1f} % | {strength:.1f} % |")
    for package in args.survivors:
        print(f"\nsurvivors in {package}:")
        for line in survivors.get(package, []):
            print("  " + line)
    failed = 0
    for floor in args.floor:
        package, _, percent = floor.partition("=")
        score = scores.get(package)
        if score is None or score < float(percent):
            got = "no mutants" if score is None else f"{score:.1f} %"
            print(f"pit-scores: FAILED: {package} scores {got}, below its floor of {percent} %")
            failed = 1
        else:
            print(f"pit-scores: {package} scores {score:.1f} %, floor {percent} %: ok")
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv))
