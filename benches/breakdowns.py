#!/usr/bin/env python3
"""Cost of a breakdown with many distinct values (issue 16, item 12).

Usage (from the repository root):

    cargo build --release
    python3 benches/breakdowns.py                          # 4k, 16k, 64k values
    python3 benches/breakdowns.py --values 8000 32000 --repeat 3

Each extract has 25 applications per breakdown value, spread over 5 ethnic
groups and two unknown classes (declined, not stated), so each breakdown
row has small counts to suppress and unknown-class equations that link the
rows through the whole-dataset totals: the shape that made publication's
exact check build a dense matrix of hidden cells × equations. For each
size it times `rung audit --format json` with no breakdown (the baseline,
same rows), with `--by organisation`, and with `--by organisation
--publish`, and reports seconds and peak RSS per breakdown value: flat
columns mean the work is linear in the number of values. Figures are best
wall time and largest peak RSS (the child's ru_maxrss) over the repeats;
the machine is shared, so compare the ratios to the baseline within a run.
Only the Python standard library is used.
"""

import argparse
import random
import sys

# The timing helper, binary and data folder of the full-audit bench.
from audit import BIN, DATA, measure

ETHNICITY = ["White - British"] * 6 + [
    "Asian or Asian British - Indian",
    "Black or Black British - African",
    "Mixed - White and Asian",
    "Prefer not to say",
    "Not stated",
]
STAGES = ["applied", "shortlisted", "interviewed", "offered", "appointed"]


def extract(values):
    """An applications table with `values` organisations, 25 rows each."""
    out = DATA / f"breakdown-{values}"
    path = out / "applications.csv"
    if not path.exists():
        out.mkdir(parents=True, exist_ok=True)
        rng = random.Random(values)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            f.write("application_id,vacancy_id,ethnicity,organisation,furthest_stage\n")
            for i in range(values * 25):
                stage = STAGES[min(4, int(rng.expovariate(1.0)))]
                org = rng.randrange(values)
                f.write(f"A{i},V{i // 10},{rng.choice(ETHNICITY)},ORG{org},{stage}\n")
        tmp.rename(path)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--values", type=int, nargs="+", default=[4000, 16000, 64000])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if not BIN.exists():
        sys.exit(f"{BIN} not found: run `cargo build --release` first")
    runs = {
        "no --by": [],
        "--by": ["--by", "organisation"],
        "--by --publish": ["--by", "organisation", "--publish"],
    }
    print("| values | applications | " + " | ".join(f"{k} s" for k in runs) +
          " | --by ÷ none | --publish ÷ none | µs per value (--by, --publish) | peak RSS MiB (none, --by, --publish) |")
    print("|---" * 8 + "|")
    for values in args.values:
        data = extract(values)
        best = {}
        for _ in range(args.repeat):
            for name, flags in runs.items():
                cmd = [BIN, "audit", data, "--format", "json", *flags]
                wall, rss = measure(cmd)
                t, r = best.get(name, (float("inf"), 0.0))
                best[name] = (min(t, wall), max(r, rss))
        (t0, r0), (t1, r1), (t2, r2) = best.values()
        print(f"| {values:,} | {values * 25:,} | {t0:.2f} | {t1:.2f} | {t2:.2f} | "
              f"{t1 / t0:.1f} | {t2 / t0:.1f} | {t1 / values * 1e6:.0f}, {t2 / values * 1e6:.0f} | "
              f"{r0:.0f}, {r1:.0f}, {r2:.0f} |", flush=True)


if __name__ == "__main__":
    main()
