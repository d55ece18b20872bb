#!/usr/bin/env python3
"""National scale: rung against the engines an analyst would pick instead.

Usage (from the repository root):

    cargo build --release
    python3 benches/scale.py                                # 1M and 10M, both shapes, funnel and full
    python3 benches/scale.py --sizes 1000000 10000000 50000000 --repeat 3
    python3 benches/scale.py --shapes national --audits full --formats parquet

Each extract is generated once with `rung generate` in the shape asked for
(`standard`, or `national`: many organisations, larger vacancies, ids in
no order, returning candidates, three spellings of each label; see
docs/generator.md), with all four tables, and cached in benches/data/. The
funnel runs read a folder beside it holding links to its applications and
stage events only, so "full ÷ funnel" compares two audits of one extract.
Each run is timed as a whole process, `--repeat` times (median wall time;
largest peak RSS and peak anonymous memory, see `measure`).

Funnel (`--audits funnel`: applications and stage events):

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
- plain:   the join-and-count a user would write in DuckDB without rung's
           rules: events joined to applications, rows counted by
           organisation, label and stage (an application counts at every
           stage it has an event for; no furthest stage, no duplicate
           events folded, no unknown stages dropped) — less work than the
           audit's reduction, the bar a plain query sets;
- scan:    python-polars reading the columns used once (lengths summed), the
           floor for any tool that reads the data.

Full (`--audits full`: all four tables): rung and rung1 as above on the
whole extract; duckdb and polars compute the funnel counts as above plus
the panel and score aggregates the audit uses: members per vacancy and
label; scores deduplicated per application, stage and assessor, kept when
the assessor sits on the vacancy's panel, joined to the applicant's label,
sex and quarter applied; histograms of scores and of application means by
stage, label, sex and quarter; and each assessor's n, sum and sum of
squares of (own score − the mean of the other assessors') by label. The
bare scan reads every column of the four tables the audit reads. The funnel
runs of DuckDB and the scan are made beside them (also with `--audits full`
alone), so the table gives each engine's full ÷ funnel: the work the panels
and scores add, by DuckDB's measure and by the floor's.

DuckDB and polars are installed by this script into benches/.venv (pinned
versions below). Every figure is also printed as a ratio to DuckDB's in the
same run, because the machine is shared and noisy. `--markdown FILE` writes
the tables for benches/RESULTS.md.
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

# The floor for the full audit: every column of the four tables it reads.
FULL_SCAN_PLAN = SCAN_PLAN.replace(
    "fmt, apps, events = sys.argv[1:4]", "fmt, apps, events, panels, scores = sys.argv[1:6]"
).replace('pl.collect_all([a, e], engine="streaming")', '''a = used(apps, ["application_id", "vacancy_id", "candidate_id", "ethnicity",
                "organisation", "grade", "sex", "applied_on"])
e = used(events, ["application_id", "stage", "entered_at"])
p = used(panels, ["vacancy_id", "stage", "member_id", "member_ethnicity", "member_sex"])
s = used(scores, ["application_id", "stage", "assessor_id", "score"])
pl.collect_all([a, e, p, s], engine="streaming")''')

DUCKDB_RUN = r'''
import sys, duckdb
sql, out = open(sys.argv[1]).read(), sys.argv[2]
duckdb.sql(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
'''

# The plain join-and-count (see "plain" above).
DUCKDB_PLAIN = r'''
import sys, duckdb
apps, events, out = sys.argv[1:4]
duckdb.sql(f"""COPY (SELECT a.organisation, a.ethnicity, e.stage, count(*) AS n
                     FROM '{events}' e JOIN '{apps}' a USING (application_id)
                     GROUP BY ALL) TO '{out}' (FORMAT parquet)""")
'''


# The full audit's reductions in DuckDB: the funnel as rung's SQL has it,
# then the panels and scores as a user would write them.
DUCKDB_FULL = r'''
import sys, duckdb
sql, apps, panels, scores, out = sys.argv[1:6]
con = duckdb.connect()
def copy(query, name):
    con.sql(f"COPY ({query}) TO '{out}/{name}.parquet' (FORMAT parquet)")
copy(open(sql).read(), "funnel")
copy(f"SELECT vacancy_id, member_ethnicity, count(DISTINCT member_id) AS members "
     f"FROM '{panels}' GROUP BY ALL", "panels")
con.sql(f"""CREATE TEMP TABLE scored AS
  WITH s AS (SELECT application_id, stage, assessor_id,
                    any_value(TRY_CAST(score AS DOUBLE)) AS value
             FROM '{scores}'
             WHERE application_id IS NOT NULL AND assessor_id IS NOT NULL
             GROUP BY ALL),
       a AS (SELECT application_id, vacancy_id, ethnicity, sex,
                    TRY_CAST(applied_on AS DATE) AS applied FROM '{apps}'),
       p AS (SELECT DISTINCT vacancy_id, member_id FROM '{panels}')
  SELECT s.*, a.ethnicity, a.sex, year(a.applied) * 10 + quarter(a.applied) AS period
  FROM s JOIN a USING (application_id)
  JOIN p ON p.vacancy_id = a.vacancy_id AND p.member_id = s.assessor_id""")
con.sql("""CREATE TEMP TABLE per_app AS
  SELECT application_id, stage, avg(value) AS mean, sum(value) AS total, count(*) AS k,
         any_value(ethnicity) AS ethnicity, any_value(sex) AS sex, any_value(period) AS period
  FROM scored GROUP BY application_id, stage""")
copy("SELECT stage, ethnicity, sex, period, value, count(*) AS n FROM scored GROUP BY ALL",
     "scores")
copy("SELECT stage, ethnicity, sex, period, mean, count(*) AS n FROM per_app GROUP BY ALL",
     "means")
copy("""SELECT assessor_id, stage, ethnicity, count(*) AS n, sum(d) AS sum, sum(d * d) AS sum_sq
        FROM (SELECT s.assessor_id, s.stage, s.ethnicity,
                     s.value - (p.total - s.value) / (p.k - 1) AS d
              FROM scored s JOIN per_app p USING (application_id, stage) WHERE p.k > 1)
        GROUP BY ALL""", "assessors")
'''

# The same in python-polars: the funnel plan above, then panels and
# scores, all collected together.
POLARS_FULL = POLARS_PLAN.replace(
    "fmt, apps, events, out = sys.argv[1:5]",
    "fmt, apps, events, panels, scores, out = sys.argv[1:7]",
).replace('counts.collect(engine="streaming").write_parquet(out)', r'''
members = (scan(panels).group_by("vacancy_id", "member_ethnicity")
           .agg(pl.col("member_id").n_unique().alias("members")))
pairs = scan(panels).select("vacancy_id", pl.col("member_id").alias("assessor_id")).unique()
applicants = scan(apps).select(
    "application_id", "vacancy_id", "ethnicity", "sex",
    pl.col("applied_on").cast(pl.String).str.to_date(strict=False).alias("applied"))
scored = (scan(scores)
          .filter(pl.col("application_id").is_not_null() & pl.col("assessor_id").is_not_null())
          .group_by("application_id", "stage", "assessor_id")
          .agg(pl.col("score").cast(pl.Float64, strict=False).first().alias("value"))
          .join(applicants, on="application_id")
          .join(pairs, on=["vacancy_id", "assessor_id"])
          .with_columns((pl.col("applied").dt.year().cast(pl.Int32) * 10
                         + pl.col("applied").dt.quarter().cast(pl.Int32)).alias("period")))
keys = ["stage", "ethnicity", "sex", "period"]
per_app = scored.group_by("application_id", "stage").agg(
    pl.col("value").mean().alias("mean"), pl.col("value").sum().alias("total"),
    pl.len().alias("k"), pl.col("ethnicity", "sex", "period").first())
hist = scored.group_by(*keys, "value").agg(pl.len().alias("n"))
means = per_app.group_by(*keys, "mean").agg(pl.len().alias("n"))
assessors = (scored.join(per_app.select("application_id", "stage", "total", "k"),
                         on=["application_id", "stage"])
             .filter(pl.col("k") > 1)
             .with_columns((pl.col("value") - (pl.col("total") - pl.col("value"))
                            / (pl.col("k") - 1)).alias("d"))
             .group_by("assessor_id", "stage", "ethnicity")
             .agg(pl.len().alias("n"), pl.col("d").sum().alias("sum"),
                  (pl.col("d") ** 2).sum().alias("sum_sq")))
results = pl.collect_all([counts, members, hist, means, assessors], engine="streaming")
for name, df in zip(["funnel", "panels", "scores", "means", "assessors"], results):
    df.write_parquet(f"{out}/{name}.parquet")
''')


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


def dataset(n, fmt, shape):
    """The extract with all four tables, and a folder beside it holding
    links to its applications and stage events only (the funnel)."""
    out = DATA / f"{shape}-{fmt}-{n}"
    funnel = DATA / f"{shape}-{fmt}-{n}-funnel"
    if not (out / ".complete").exists():
        print(f"generating {n:,} applications, {shape} shape, as {fmt} …", file=sys.stderr,
              flush=True)
        wall, rss, _ = measure([BIN, "generate", "--applications", n, "--shape", shape,
                                "--format", fmt, "--out", out, "--force"])
        print(f"  {wall:.1f} s, {rss:.0f} MiB", file=sys.stderr)
        (out / ".complete").write_text("")
    funnel.mkdir(exist_ok=True)
    for table in ["applications", "stage_events"]:
        link = funnel / f"{table}.{fmt}"
        if not link.exists():
            link.symlink_to(out / f"{table}.{fmt}")
    return out, funnel


def size_mib(path):
    return sum(f.stat().st_size for f in Path(path).iterdir() if f.is_file()) / 2**20


def rung_runs(data, tmp):
    """rung with the default budget, and with room for one slice."""
    return {
        "rung": [BIN, "audit", data, "--by", "organisation", "--format", "json",
                 "--output", tmp / "audit.json"],
        "rung1": [BIN, "audit", data, "--by", "organisation", "--format", "json",
                  "--output", tmp / "audit1.json", "--memory", "16GiB"],
    }


def run_all(engines, label, repeat):
    got = {}
    for name, cmd in engines.items():
        got[name] = median_of(cmd, repeat)
        wall, rss, anon, runs = got[name]
        print(f"{label} {name:7} {wall:7.2f} s  {rss:7.0f} MiB  anon {anon:7.0f} MiB  "
              f"runs {', '.join(f'{r:.2f}' for r in runs)}", file=sys.stderr, flush=True)
    return got


def funnel_table(rows):
    lines = [
        "| applications | shape | format | input | rung audit | rung, one slice | DuckDB count | "
        "python-polars count | DuckDB plain join-and-count | bare scan | rung ÷ DuckDB | "
        "one slice ÷ DuckDB | rung ÷ polars | rung ÷ plain | rung ÷ scan | rung µs/row | "
        "peak RSS (anonymous) rung | one slice | DuckDB | polars | plain |",
        "|" + "---|" * 21,
    ]
    for n, shape, fmt, mib, g in rows:
        w = {k: v[0] for k, v in g.items()}
        m = {k: f"{v[1]:,.0f} ({v[2]:,.0f}) MiB" for k, v in g.items()}
        lines.append(
            f"| {n:,} | {shape} | {fmt} | {mib:,.0f} MiB | {w['rung']:.2f} s | {w['rung1']:.2f} s | "
            f"{w['duckdb']:.2f} s | {w['polars']:.2f} s | {w['plain']:.2f} s | {w['scan']:.2f} s | "
            f"{w['rung'] / w['duckdb']:.2f} | {w['rung1'] / w['duckdb']:.2f} | "
            f"{w['rung'] / w['polars']:.2f} | {w['rung'] / w['plain']:.2f} | "
            f"{w['rung'] / w['scan']:.1f} | "
            f"{w['rung'] / n * 1e6:.2f} | {m['rung']} | {m['rung1']} | {m['duckdb']} | "
            f"{m['polars']} | {m['plain']} |")
    return "Funnel only (applications and stage events):\n\n" + "\n".join(lines)


def full_table(rows):
    lines = [
        "| applications | shape | format | input | rung audit | rung, one slice | DuckDB | "
        "python-polars | bare scan | rung ÷ rung's funnel | DuckDB full ÷ its funnel | "
        "scan ÷ the funnel's scan | rung ÷ DuckDB | one slice ÷ DuckDB | "
        "rung ÷ polars | rung ÷ scan | rung µs/row | peak RSS (anonymous) rung | one slice | "
        "DuckDB | polars |",
        "|" + "---|" * 21,
    ]
    for n, shape, fmt, mib, g, funnel in rows:
        w = {k: v[0] for k, v in g.items()}
        f = {k: v[0] for k, v in funnel.items()}
        m = {k: f"{v[1]:,.0f} ({v[2]:,.0f}) MiB" for k, v in g.items()}
        lines.append(
            f"| {n:,} | {shape} | {fmt} | {mib:,.0f} MiB | {w['rung']:.2f} s | {w['rung1']:.2f} s | "
            f"{w['duckdb']:.2f} s | {w['polars']:.2f} s | {w['scan']:.2f} s | "
            f"{w['rung'] / f['rung']:.2f} | {w['duckdb'] / f['duckdb']:.2f} | "
            f"{w['scan'] / f['scan']:.2f} | "
            f"{w['rung'] / w['duckdb']:.2f} | {w['rung1'] / w['duckdb']:.2f} | "
            f"{w['rung'] / w['polars']:.2f} | {w['rung'] / w['scan']:.1f} | "
            f"{w['rung'] / n * 1e6:.2f} | {m['rung']} | "
            f"{m['rung1']} | {m['duckdb']} | {m['polars']} |")
    return "Full audit (panels and scores too):\n\n" + "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--formats", nargs="+", default=["parquet", "csv"])
    ap.add_argument("--shapes", nargs="+", default=["standard", "national"],
                    choices=["standard", "national"])
    ap.add_argument("--audits", nargs="+", default=["funnel", "full"], choices=["funnel", "full"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--markdown", type=Path, help="append the results tables to this file")
    args = ap.parse_args()
    if not BIN.exists():
        sys.exit("build first: cargo build --release")
    py = python()
    funnel_rows, full_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        peer = tmp / "peer"
        peer.mkdir()
        for n in args.sizes:
            for shape in args.shapes:
                for fmt in args.formats:
                    full, funnel = dataset(n, fmt, shape)
                    t = {name: full / f"{name}.{fmt}" for name in
                         ["applications", "stage_events", "panel_members", "scores"]}
                    sql = tmp / "q.sql"
                    with open(sql, "w") as f:
                        subprocess.run([BIN, "sql", "--dialect", "duckdb", funnel, "--by",
                                        "organisation"], stdout=f, check=True)
                    label = f"{n:>11,} {shape:8} {fmt:8}"
                    # rung's funnel always runs: the full audit's ratio is to it.
                    engines = rung_runs(funnel, tmp)
                    if "funnel" in args.audits:
                        engines |= {
                            "duckdb": [py, "-c", DUCKDB_RUN, sql, tmp / "duckdb.parquet"],
                            "polars": [py, "-c", POLARS_PLAN, fmt, t["applications"],
                                       t["stage_events"], tmp / "polars.parquet"],
                            "plain": [py, "-c", DUCKDB_PLAIN, t["applications"],
                                      t["stage_events"], tmp / "plain.parquet"],
                            "scan": [py, "-c", SCAN_PLAN, fmt, t["applications"],
                                     t["stage_events"]],
                        }
                    else:
                        # The full audit's ratios need the funnel's peers
                        # and floor from the same minutes.
                        del engines["rung1"]
                        engines |= {
                            "duckdb": [py, "-c", DUCKDB_RUN, sql, tmp / "duckdb.parquet"],
                            "scan": [py, "-c", SCAN_PLAN, fmt, t["applications"],
                                     t["stage_events"]],
                        }
                    got = run_all(engines, label + " funnel", args.repeat)
                    if "funnel" in args.audits:
                        funnel_rows.append((n, shape, fmt, size_mib(funnel), got))
                    if "full" in args.audits:
                        engines = rung_runs(full, tmp) | {
                            "duckdb": [py, "-c", DUCKDB_FULL, sql, t["applications"],
                                       t["panel_members"], t["scores"], peer],
                            "polars": [py, "-c", POLARS_FULL, fmt, t["applications"],
                                       t["stage_events"], t["panel_members"], t["scores"], peer],
                            "scan": [py, "-c", FULL_SCAN_PLAN, fmt, t["applications"],
                                     t["stage_events"], t["panel_members"], t["scores"]],
                        }
                        full_got = run_all(engines, label + " full  ", args.repeat)
                        full_rows.append((n, shape, fmt, size_mib(full), full_got, got))
    tables = ([funnel_table(funnel_rows)] if funnel_rows else []) + (
        [full_table(full_rows)] if full_rows else [])
    text = "\n\n".join(tables)
    print(text)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write(f"\n{platform.node()} · {os.cpu_count()} cores · "
                    f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB · "
                    f"median of {args.repeat} runs\n\n{text}\n")


if __name__ == "__main__":
    main()
