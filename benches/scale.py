#!/usr/bin/env python3
"""National scale: rung against the engines an analyst would pick instead.

Usage (from the repository root):

    cargo build --release
    python3 benches/scale.py                                # 1M and 10M, Parquet and CSV
    python3 benches/scale.py --sizes 1000000 10000000 50000000 --repeat 3

For each size and format it generates a funnel extract once with `rung
generate --funnel-only` (applications and stage events, cached in
benches/data/), then times as whole processes, each run `--repeat` times
(median wall time; largest peak RSS and peak anonymous memory, see
`measure`):

- rung:    `rung audit DATA --by organisation --format json` (the full
           default audit: every transition, pooled and sensitivity figures;
           the default memory budget of 1 GiB, so large extracts are
           counted in slices);
- rung1:   the same with `--memory 16GiB`: one slice, the fastest plan;
- duckdb:  the same reduction to counts in DuckDB: the query `rung sql
           --dialect duckdb DATA --by organisation` emits (the same rules:
           one row per application, loose stage matching, highest stage),
           its result written to a Parquet file;
- polars:  the same reduction written plainly in python-polars (lazy,
           streaming engine): each stage string normalised, a join to the
           stage map, the highest rank per application id, a join to the
           applications, counts by organisation, label and stage;
- scan:    python-polars reading the columns used once (lengths summed), the
           floor for any tool that reads the data.

DuckDB and polars are installed by this script into benches/.venv (pinned
versions below). Every figure is also printed as a ratio to DuckDB's in the
same run, because the machine is shared and noisy. `--markdown FILE` writes
the table for benches/RESULTS.md.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "rung"
DATA = ROOT / "benches" / "data"
VENV = ROOT / "benches" / ".venv"
PINNED = ["duckdb==2.0.1", "polars==1.44.2"]

POLARS_PLAN = r'''
import sys, polars as pl
fmt, apps, events, out = sys.argv[1:5]
scan = (lambda p: pl.scan_parquet(p)) if fmt == "parquet" else (
    lambda p: pl.scan_csv(p, infer_schema_length=0))
stages = ["applied", "shortlisted", "interviewed", "offered", "appointed"]
stage_map = pl.LazyFrame({"key": stages, "rank": list(range(len(stages)))})
ev = (scan(events)
      .select(pl.col("application_id").cast(pl.String),
              pl.col("stage").cast(pl.String).str.to_lowercase()
                .str.replace_all(r"[\s_-]+", " ").str.strip_chars().alias("key"))
      .filter(pl.col("application_id").is_not_null())
      .join(stage_map, on="key")
      .group_by("application_id").agg(pl.col("rank").max()))
ap = (scan(apps)
      .select(pl.col("application_id").cast(pl.String), pl.col("ethnicity").cast(pl.String),
              pl.col("organisation").cast(pl.String))
      .filter(pl.col("application_id").is_not_null())
      .group_by("application_id").agg(pl.col("ethnicity").first(), pl.col("organisation").first()))
counts = (ap.join(ev, on="application_id", how="left")
          .with_columns(pl.col("rank").fill_null(0))
          .group_by("organisation", "ethnicity", "rank").agg(pl.len().alias("applications")))
counts.collect(engine="streaming").write_parquet(out)
'''

SCAN_PLAN = r'''
import sys, polars as pl
fmt, apps, events = sys.argv[1:4]
scan = (lambda p: pl.scan_parquet(p)) if fmt == "parquet" else (
    lambda p: pl.scan_csv(p, infer_schema_length=0))
def used(p, cols):
    return scan(p).select([pl.col(c).cast(pl.String).str.len_bytes().sum() for c in cols])
a = used(apps, ["application_id", "ethnicity", "organisation"])
e = used(events, ["application_id", "stage"])
pl.collect_all([a, e], engine="streaming")
'''

DUCKDB_RUN = r'''
import sys, duckdb
sql, out = open(sys.argv[1]).read(), sys.argv[2]
duckdb.sql(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
'''


def python():
    """The benchmark's own Python with DuckDB and polars installed."""
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    check = subprocess.run([py, "-c", "import duckdb, polars"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([py, "-m", "pip", "install", "-q", *PINNED], check=True)
    return py


def measure(cmd):
    """Wall seconds, peak RSS and peak anonymous memory (MiB) of one run.

    Peak RSS is the kernel's (wait4's ru_maxrss). It counts the pages of
    files a process maps, and polars maps the CSV files it reads, so for
    CSV it includes most of the input; peak anonymous memory (RssAnon,
    sampled every 20 ms from /proc) is the memory the process itself
    allocated."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    status = Path(f"/proc/{proc.pid}/status")
    anon = 0
    while True:
        # wait4 without blocking: reaps the child, with its resource usage,
        # once it has exited.
        pid, code, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        try:
            for line in status.read_text().splitlines():
                if line.startswith("RssAnon:"):
                    anon = max(anon, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.02)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(code)
    err = proc.stderr.read().decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{err[-3000:]}")
    return wall, usage.ru_maxrss / 1024.0, anon / 1024.0


def median_of(cmd, repeat):
    runs = [measure(cmd) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), max(r[1] for r in runs),
            max(r[2] for r in runs), [r[0] for r in runs])


def dataset(n, fmt):
    out = DATA / f"funnel-{fmt}-{n}"
    if not (out / ".complete").exists():
        print(f"generating {n:,} applications as {fmt} …", file=sys.stderr, flush=True)
        wall, rss, _ = measure([BIN, "generate", "--applications", n, "--funnel-only",
                                "--format", fmt, "--out", out])
        print(f"  {wall:.1f} s, {rss:.0f} MiB", file=sys.stderr)
        (out / ".complete").write_text("")
    return out


def size_mib(path):
    return sum(f.stat().st_size for f in Path(path).iterdir() if f.is_file()) / 2**20


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--formats", nargs="+", default=["parquet", "csv"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--markdown", type=Path, help="append the results table to this file")
    args = ap.parse_args()
    if not BIN.exists():
        sys.exit("build first: cargo build --release")
    py = python()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in args.sizes:
            for fmt in args.formats:
                data = dataset(n, fmt)
                apps, events = data / f"applications.{fmt}", data / f"stage_events.{fmt}"
                sql = tmp / "q.sql"
                with open(sql, "w") as f:
                    subprocess.run([BIN, "sql", "--dialect", "duckdb", data, "--by", "organisation"],
                                   stdout=f, check=True)
                engines = {
                    "rung": [BIN, "audit", data, "--by", "organisation", "--format", "json",
                             "--output", tmp / "audit.json"],
                    # Memory enough for one slice: the fastest plan.
                    "rung1": [BIN, "audit", data, "--by", "organisation", "--format", "json",
                              "--output", tmp / "audit1.json", "--memory", "16GiB"],
                    "duckdb": [py, "-c", DUCKDB_RUN, sql, tmp / "duckdb.parquet"],
                    "polars": [py, "-c", POLARS_PLAN, fmt, apps, events, tmp / "polars.parquet"],
                    "scan": [py, "-c", SCAN_PLAN, fmt, apps, events],
                }
                got = {}
                for name, cmd in engines.items():
                    got[name] = median_of(cmd, args.repeat)
                    wall, rss, anon, runs = got[name]
                    print(f"{n:>11,} {fmt:8} {name:7} {wall:7.2f} s  {rss:7.0f} MiB  anon {anon:7.0f} MiB  "
                          f"runs {', '.join(f'{r:.2f}' for r in runs)}", file=sys.stderr, flush=True)
                rows.append((n, fmt, size_mib(data), got))
    header = ("| applications | format | input | rung audit | rung, one slice | DuckDB count | "
              "python-polars count | bare scan | rung ÷ DuckDB | one slice ÷ DuckDB | rung ÷ polars | "
              "rung ÷ scan | rung µs/row | peak RSS (anonymous) rung | one slice | DuckDB | polars |")
    lines = [header, "|" + "---|" * 17]
    for n, fmt, mib, g in rows:
        w = {k: v[0] for k, v in g.items()}
        m = {k: f"{v[1]:,.0f} ({v[2]:,.0f}) MiB" for k, v in g.items()}
        lines.append(
            f"| {n:,} | {fmt} | {mib:,.0f} MiB | {w['rung']:.2f} s | {w['rung1']:.2f} s | "
            f"{w['duckdb']:.2f} s | {w['polars']:.2f} s | {w['scan']:.2f} s | "
            f"{w['rung'] / w['duckdb']:.2f} | {w['rung1'] / w['duckdb']:.2f} | "
            f"{w['rung'] / w['polars']:.2f} | {w['rung'] / w['scan']:.1f} | "
            f"{w['rung'] / n * 1e6:.2f} | {m['rung']} | {m['rung1']} | {m['duckdb']} | "
            f"{m['polars']} |")
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write(f"\n{platform.node()} · {os.cpu_count()} cores · "
                    f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB · "
                    f"median of {args.repeat} runs\n\n{table}\n")


if __name__ == "__main__":
    main()
