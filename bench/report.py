"""One table of every benchmark target from bench/results/*.json, for the terminal and the README.

    python bench/report.py            # after the benchmarks have run (make bench runs them all)
"""
import json
import sys

from common import RESULTS, print_table


def main():
    files = sorted(RESULTS.glob("*.json"))
    if not files:
        sys.exit("no results in bench/results/; run make bench")
    rows, missed = [], 0
    for path in files:
        data = json.loads(path.read_text())
        for t in data.get("targets", []):
            measured = t["measured"] if isinstance(t["measured"], str) else f"{t['measured']:.4g}"
            rows.append((data["benchmark"], t["target"], measured, "yes" if t["met"] else "NO"))
            missed += not t["met"]
    m = json.loads(files[0].read_text())["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']}, onnxruntime {m['onnxruntime']}, "
          f"commit {m['commit']}, {m['date']}")
    print_table("all targets", ["benchmark", "target", "measured", "met"], rows)
    print(f"\n{len(rows) - missed} of {len(rows)} targets met")


if __name__ == "__main__":
    main()
