#!/usr/bin/env python3
"""Turns JMH JSON (with -prof gc) into a markdown table: score, error, units, B/op, and the ratio to
the baseline in the same class and with the same parameters.

Baselines are found by name: in a class, benchmark `baselineFoo`, `rawFoo` or `cFoo` (the C
reference) is the baseline of `foo` (first letter lowered); a benchmark with no such pair has no
ratio. A baseline's parameters must all match the benchmark's; a parameter the baseline does not
take (the Java loop's `stats`, for example) is ignored. Several JSON files are read as one run."""
import json
import sys


def norm(name):
    for prefix in ("baseline", "raw", "c"):
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


def main(paths):
    runs = []
    for path in paths:
        with open(path) as f:
            runs += json.load(f)
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
    # Each benchmark right after its baseline, so a pair reads as one group.
    rows.sort(key=lambda r: (r["cls"], r["key"], not r["base"]))
    baselines = [r for r in rows if r["base"]]

    def baseline_of(r):
        for b in baselines:
            if (b["cls"], b["key"]) == (r["cls"], r["key"]) and b["params"].items() <= r["params"].items():
                return b
        return None

    print("| benchmark | params | score | ± error | units | B/op | ratio to baseline |")
    print("|---|---|--:|--:|---|--:|--:|")
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in sorted(r["params"].items()))
        ratio = "(baseline)" if r["base"] else "-"
        if not r["base"]:
            b = baseline_of(r)
            if b and b["score"]:
                ratio = f"{r['score'] / b['score']:.2f}x"
        print(f"| {r['cls']}.{r['method']} | {params} | {fmt(r['score'])} | {fmt(r['error'])} | {r['unit']} "
              f"| {fmt(r['alloc'])} | {ratio} |")


if __name__ == "__main__":
    main(sys.argv[1:] or ["target/bench/results.json"])
