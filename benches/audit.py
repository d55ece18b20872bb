#!/usr/bin/env python3
"""Speed and peak memory of `rung audit` on large generated extracts.

Usage (from the repository root):

    cargo build --release
    python3 benches/audit.py                   # 1M applications, CSV and Parquet
    python3 benches/audit.py --sizes 100000 1000000 5000000 --repeat 3

For each size it generates an extract once (cached in benches/data/), then
times each command several times and keeps the best wall time and the
largest peak resident memory. The machine is shared and noisy, so every
figure is also given as a ratio to a baseline measured in the same run:

- `read`: reading every input byte once (cat to /dev/null), the floor for
  any tool that looks at all the data;
- `labels`: `rung labels`, a pass over the applications table alone.

Peak memory is the child's ru_maxrss from wait4, so it needs no external
tools. Only the Python standard library is used.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "rung"
DATA = ROOT / "benches" / "data"


def measure(cmd, stdout=subprocess.DEVNULL):
    """Wall seconds and peak RSS (MiB) of one run of `cmd`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024.0


def best_of(cmd, repeat):
    runs = [measure(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def dataset(n, fmt):
    out = DATA / f"{fmt}-{n}"
    marker = out / ".complete"
    if not marker.exists():
        print(f"generating {n:,} applications as {fmt} in {out} …", file=sys.stderr)
        wall, rss = measure(
            [BIN, "generate", "--applications", str(n), "--seed", "1", "--out", out, "--format", fmt]
        )
        print(f"  generate: {wall:.1f} s, peak {rss:.0f} MiB", file=sys.stderr)
        marker.write_text("")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args()
    if not BIN.exists():
        sys.exit("build first: cargo build --release")

    results = []
    for n in args.sizes:
        for fmt in args.formats:
            path = dataset(n, fmt)
            files = [p for p in sorted(path.iterdir()) if p.suffix == f".{fmt}"]
            funnel_files = [p for p in files if p.stem in ("applications", "stage_events")]
            size_mib = sum(p.stat().st_size for p in funnel_files) / 2**20
            read = best_of(["cat", *files], args.repeat)
            labels = best_of([BIN, "labels", path, "--format", "json"], args.repeat)
            audit = best_of([BIN, "audit", path, "--format", "json"], args.repeat)
            audit_by = best_of(
                [BIN, "audit", path, "--format", "json", "--by", "organisation", "--by", "agency"],
                args.repeat,
            )
            row = {
                "applications": n,
                "format": fmt,
                "funnel_input_mib": round(size_mib, 1),
                "read_s": round(read[0], 3),
                "labels_s": round(labels[0], 3),
                "audit_s": round(audit[0], 3),
                "audit_by_s": round(audit_by[0], 3),
                "audit_peak_mib": round(audit[1], 1),
                "audit_by_peak_mib": round(audit_by[1], 1),
                "audit_vs_read": round(audit[0] / read[0], 2),
                "audit_vs_labels": round(audit[0] / labels[0], 2),
                "audit_peak_vs_input": round(audit[1] / size_mib, 2),
            }
            results.append(row)

    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"rung audit, best of {args.repeat} (wall time) and largest peak RSS")
    for r in results:
        print(
            f"{r['applications']:>11,} {r['format']:<8} input {r['funnel_input_mib']:>7.1f} MiB | "
            f"read {r['read_s']:.2f}s  labels {r['labels_s']:.2f}s  audit {r['audit_s']:.2f}s "
            f"(×{r['audit_vs_read']} read, ×{r['audit_vs_labels']} labels)  "
            f"audit --by org --by agency {r['audit_by_s']:.2f}s | "
            f"peak {r['audit_peak_mib']:.0f} MiB (×{r['audit_peak_vs_input']} input), "
            f"with --by {r['audit_by_peak_mib']:.0f} MiB"
        )


if __name__ == "__main__":
    main()
