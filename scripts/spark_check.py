#!/usr/bin/env python3
"""Runs `rung sql --dialect spark` in a local Spark session and checks that
Spark's counts equal rung's own, and that auditing them gives the audit of
the rows. Needs pyspark (PyPI) and Java 17; see docs/scale.md.

    python3 -m venv .venv-spark && .venv-spark/bin/pip install pyspark
    .venv-spark/bin/python scripts/spark_check.py [--applications N]

It uses target/release/rung (else target/debug/rung, or $RUNG_BIN).

Exits 0 when every check passes, 1 otherwise.
"""

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rung_binary():
    import os
    if os.environ.get("RUNG_BIN"):
        return Path(os.environ["RUNG_BIN"])
    for profile in ("release", "debug"):
        b = ROOT / "target" / profile / "rung"
        if b.exists():
            return b
    sys.exit("build rung first: cargo build --release")


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kw)


def rows_of(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        return header, sorted(tuple(row) for row in r)


def without_provenance(doc):
    for k in ("provenance", "inputs"):
        doc.pop(k, None)
    # A counts file carries no dates, so no period either.
    for k in ("tables", "stage_source", "applications_without_stage",
              "candidates_with_differing_ethnicity", "applied_between"):
        doc["data_quality"].pop(k, None)
    return doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--applications", type=int, default=50_000)
    args = ap.parse_args()
    from pyspark.sql import SparkSession

    rung = rung_binary()
    by = ["--by", "organisation", "--by", "agency"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        run(rung, "generate", "--applications", args.applications, "--funnel-only", "--out", data)
        query = run(rung, "sql", "--dialect", "spark", "--applications", "applications",
                    "--stage-events", "stage_events", *by).stdout

        started = time.time()
        spark = (SparkSession.builder.master("local[2]").appName("rung-spark-check")
                 .config("spark.ui.enabled", "false").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        for table in ("applications", "stage_events"):
            # Every column as text, empty fields as null: as rung reads CSV.
            (spark.read.option("header", True).option("inferSchema", False)
             .csv(str(data / f"{table}.csv")).createOrReplaceTempView(table))
        result = spark.sql(query)
        columns = result.columns
        from_spark = tmp / "spark.csv"
        with open(from_spark, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(columns)
            for row in result.collect():
                w.writerow(["" if v is None else v for v in row])
        spark.stop()
        spark_seconds = time.time() - started

        from_rung = tmp / "rung.csv"
        run(rung, "counts", data, *by, "--out", from_rung)
        (h1, spark_rows), (h2, rung_rows) = rows_of(from_spark), rows_of(from_rung)
        failures = []
        if h1 != h2:
            failures.append(f"headers differ: {h1} vs {h2}")
        if spark_rows != rung_rows:
            only_s = set(spark_rows) - set(rung_rows)
            only_r = set(rung_rows) - set(spark_rows)
            failures.append(f"counts differ: {len(only_s)} rows only from Spark, "
                            f"{len(only_r)} only from rung, e.g. {sorted(only_s)[:3]} / {sorted(only_r)[:3]}")
        stamp = ["--format", "json", "--generated-at", "2026-01-01T00:00:00Z", *by]
        a = json.loads(run(rung, "audit", "--counts", from_spark, *stamp).stdout)
        b = json.loads(run(rung, "audit", data, *stamp).stdout)
        if without_provenance(a) != without_provenance(b):
            failures.append("the audit of Spark's counts differs from the audit of the rows")
        print(f"applications: {args.applications:,}; count rows: {len(rung_rows):,}; "
              f"Spark session and query: {spark_seconds:.1f} s")
        if failures:
            print("FAILED:\n  " + "\n  ".join(failures))
            return 1
        print("OK: Spark's counts equal rung's row for row, and audit the same")
        return 0


if __name__ == "__main__":
    sys.exit(main())
