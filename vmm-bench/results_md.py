#!/usr/bin/env python3
"""Turns JMH JSON (with -prof gc) into a markdown table: score, error, units, B/op, and the ratio to
the baseline in the same class and with the same parameters.

Baselines are found by name: in a class, benchmark `baselineFoo` or `rawFoo` is the baseline of
`foo` (first letter lowered); a benchmark with no such pair has no ratio. Parameters a baseline
does not depend on still split it into rows, so the pair is matched on all parameters."""
import json
import sys


def norm(name):
    for prefix in ("baseline", "raw"):
        if name.startswith(prefix) and len(name) > len(prefix) and name[len(prefix)].isupper():
            rest = name[len(prefix):]
            return rest[0].lower() + rest[1:], True
    return name, False


def fmt(x):
    if x is None or x != x:
        return "-"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def main(path):
    with open(path) as f:
        runs = json.load(f)
    rows = []
    for r in runs:
        cls, method = r["benchmark"].rsplit(".", 1)
        cls = cls.rsplit(".", 1)[-1]
        params = r.get("params", {}) or {}
        pm = r["primaryMetric"]
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        key, is_base = norm(method)
        rows.append(dict(cls=cls, method=method, params=params, score=pm["score"], error=pm["scoreError"],
                         unit=pm["scoreUnit"], alloc=alloc, key=key, base=is_base))
    baselines = {(r["cls"], r["key"], tuple(sorted(r["params"].items()))): r for r in rows if r["base"]}
    print("| benchmark | params | score | ± error | units | B/op | ratio to baseline |")
    print("|---|---|--:|--:|---|--:|--:|")
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in sorted(r["params"].items()))
        ratio = "(baseline)" if r["base"] else "-"
        if not r["base"]:
            b = baselines.get((r["cls"], r["key"], tuple(sorted(r["params"].items()))))
            if b and b["score"]:
                ratio = f"{r['score'] / b['score']:.2f}x"
        print(f"| {r['cls']}.{r['method']} | {params} | {fmt(r['score'])} | {fmt(r['error'])} | {r['unit']} "
              f"| {fmt(r['alloc'])} | {ratio} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/bench/results.json")
