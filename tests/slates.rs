//! `rung slates` on constructed assignments whose outcomes are known; the
//! pooled figures are cross-checked with statsmodels and scipy.

mod common;

use common::*;
use serde_json::Value;

/// (assignment, client, White longlisted, BME longlisted, White shortlisted,
/// BME shortlisted, unknown longlisted, unknown shortlisted); women are the
/// first two shortlisted White candidates of X1 only.
type Assignment = (&'static str, &'static str, u64, u64, u64, u64, u64, u64);
const PLAN: [Assignment; 4] = [
    ("X1", "Client X", 10, 5, 2, 1, 1, 0),
    ("X2", "Client X", 8, 0, 3, 0, 0, 0),
    ("X3", "Client X", 6, 4, 3, 0, 2, 1),
    ("Y1", "Client Y", 3, 3, 1, 1, 0, 0),
];

fn dataset() -> Dataset {
    let ds = Dataset::new();
    let (mut apps, mut events) = (vec![], vec![]);
    let mut n = 0;
    for (a, client, wl, bl, ws, bs, ul, us) in PLAN {
        for (label, long, short) in [
            ("White British", wl, ws),
            ("Black African", bl, bs),
            ("Prefer not to say", ul, us),
        ] {
            for i in 0..long {
                n += 1;
                let woman = a == "X1" && label == "White British" && i < 2;
                let role = if a == "X1" || a == "X3" {
                    "Finance"
                } else {
                    "Board"
                };
                apps.push(format!(
                    "C{n},{a},{label},{client},{},{role}",
                    if woman { "Female" } else { "Male" }
                ));
                events.push(format!("C{n},Sourced"));
                if i < short {
                    events.push(format!("C{n},Presented"));
                }
            }
        }
    }
    ds.write(
        "applications.csv",
        &csv(
            "application_id,vacancy_id,ethnicity,client,sex,role_family",
            &apps,
        ),
    );
    ds.write("stage_events.csv", &csv("application_id,stage", &events));
    ds
}

fn slates(ds: &Dataset, extra: &[&str]) -> Value {
    let mut args = vec![
        "slates",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--by",
        "client",
    ];
    args.extend_from_slice(extra);
    run_json(&args)
}

#[test]
fn default_rule_skips_assignments_without_minority_longlist() {
    let ds = dataset();
    let doc = slates(&ds, &[]);
    assert_eq!(doc["longlist_stage"], "longlist");
    assert_eq!(doc["shortlist_stage"], "shortlist");
    let met: Vec<(String, Value)> = doc["slates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["assignment"].as_str().unwrap().to_string(),
                a["rules"][0]["met"].clone(),
            )
        })
        .collect();
    assert_eq!(
        met,
        [
            ("X1".to_string(), Value::Bool(true)),
            ("X2".to_string(), Value::Null),
            ("X3".to_string(), Value::Bool(false)),
            ("Y1".to_string(), Value::Bool(true)),
        ]
    );
    let rule = &doc["summary"]["rules"][0];
    assert_eq!((u(&rule["applicable"]), u(&rule["met"])), (3, 2));
    // statsmodels proportion_confint(2, 3, method="wilson").
    assert_close(f(&rule["ci_low"]), 0.2076596008020477, 1e-9, "wilson low");
    assert_close(f(&rule["ci_high"]), 0.9385080552796037, 1e-9, "wilson high");
    // A client with a single assignment still gets its summary.
    let y = doc["by_client"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client"] == "Client Y")
        .unwrap();
    assert_eq!(u(&y["assignments"]), 1);
}

#[test]
fn pooled_rate_and_shortfall_match_statsmodels_and_scipy() {
    let ds = dataset();
    let doc = slates(&ds, &[]);
    let p = &doc["summary"]["pooled"][0];
    // StratifiedTable over the three assignments with both groups longlisted.
    assert_close(f(&p["rl_mh"]), 2.028571428571429, 1e-12, "RL_MH");
    assert_close(f(&p["p_cmh"]), 0.3322010850014493, 1e-9, "CMH p");
    assert_eq!(u(&p["assignments_used"]), 3);
    let s = &doc["summary"]["shortfall"];
    // Σ n·K/N and the lower tail of the convolved hypergeometrics (scipy).
    assert_eq!(u(&s["observed"]), 2);
    assert_close(f(&s["expected"]), 3.2, 1e-12, "expected");
    assert_close(f(&s["lost"]), 1.2, 1e-12, "lost");
    assert_close(f(&s["p"]), 0.28798534798534803, 1e-9, "p");
}

#[test]
fn tiny_assignments_withhold_rates_and_shares() {
    let ds = dataset();
    let doc = slates(&ds, &[]);
    let y1 = doc["slates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["assignment"] == "Y1")
        .unwrap();
    assert!(
        y1["rate_by_group"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["rate"].is_null())
    );
    assert!(y1["note"].as_str().unwrap().contains("too few"));
    assert!(y1["shortlist"]["focal_share"].is_null());
    let x1 = doc["slates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["assignment"] == "X1")
        .unwrap();
    let white = x1["rate_by_group"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "White")
        .unwrap();
    assert_close(f(&white["rate"]), 0.2, 1e-12, "rate");
    assert_close(
        f(&x1["longlist"]["focal_share"]),
        5.0 / 16.0,
        1e-12,
        "share",
    );
}

#[test]
fn configured_rules_women_and_shares() {
    let ds = dataset();
    let rules = ds.write(
        "rules.toml",
        "[[rule]]\nname = \"two women\"\nmin_women = 2\n\n\
         [[rule]]\nname = \"30% where the longlist had 30%\"\nmin_focal_share = 0.3\nonly_if_longlist_focal_share = 0.3\n",
    );
    let doc = slates(&ds, &["--rules", rules.to_str().unwrap()]);
    let outcome = |a: &str, i: usize| {
        doc["slates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["assignment"] == a)
            .unwrap()["rules"][i]["met"]
            .clone()
    };
    assert_eq!(outcome("X1", 0), Value::Bool(true));
    assert_eq!(outcome("X3", 0), Value::Bool(false));
    // X1's longlist is 5/16 = 31% BME: applies; shortlist 1/3 = 33%: met.
    assert_eq!(outcome("X1", 1), Value::Bool(true));
    // X3's longlist 4/12 = 33%: applies; shortlist 0/4: not met.
    assert_eq!(outcome("X3", 1), Value::Bool(false));
    // X2 had no BME longlisted: does not apply.
    assert_eq!(outcome("X2", 1), Value::Null);

    let bad = ds.write("bad.toml", "[[rule]]\nname = \"x\"\nmin_focal_share = 30\n");
    let err = run_error(&[
        "slates",
        ds.path().to_str().unwrap(),
        "--rules",
        bad.to_str().unwrap(),
    ]);
    assert!(
        err.contains("bad.toml") && err.contains("between 0 and 1"),
        "{err}"
    );
}

#[test]
fn generated_search_data_shows_the_injected_shortlist_gap() {
    let dir = tempfile::tempdir().unwrap();
    let out = generate_search(dir.path(), 20000, 3);
    let doc = run_json(&[
        "slates",
        out.to_str().unwrap(),
        "--format",
        "json",
        "--by",
        "client",
    ]);
    let s = &doc["summary"];
    // BME candidates weigh 0.7 in shortlist draws (docs/generator.md).
    assert!(f(&s["pooled"][0]["rl_mh"]) > 1.0, "{s}");
    assert!(
        f(&s["shortfall"]["lost"]) > 0.0 && f(&s["shortfall"]["p"]) < 0.05,
        "{s}"
    );
    // The spine works on the search ladder through the bundled profile.
    let audit = run_json(&[
        "audit",
        out.to_str().unwrap(),
        "--profile",
        "search",
        "--format",
        "json",
    ]);
    assert_eq!(audit["settings"]["ladder"][0], "longlist");
    transition(&audit, "longlist", "shortlist", &serde_json::json!({}));
}

#[test]
fn csv_and_terminal_outputs() {
    let ds = dataset();
    let out = run(&["slates", ds.path().to_str().unwrap(), "--format", "csv"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[1][0], "X2");
    assert!(text.contains("not applicable"));
    let out = run(&["slates", ds.path().to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("NOT MET") && text.contains("Wilson"),
        "{text}"
    );
}

#[test]
fn longlists_against_an_availability_benchmark() {
    let ds = dataset();
    let bench = ds.write(
        "bench.csv",
        "role_family,group,share\nFinance,BME,0.5\n,BME,0.25\n",
    );
    let doc = slates(&ds, &["--availability", bench.to_str().unwrap()]);
    let x1 = doc["slates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["assignment"] == "X1")
        .unwrap();
    let a = &x1["availability"];
    assert_eq!(a["benchmark"], "role_family = Finance");
    assert_eq!((u(&a["longlisted"]), u(&a["observed"])), (15, 5));
    assert_close(f(&a["expected"]), 7.5, 1e-12, "expected");
    // scipy: binom.cdf(5, 15, 0.5).
    assert_close(f(&a["p_binomial"]), 0.15087890624999997, 1e-9, "p");
    let x2 = doc["slates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["assignment"] == "X2")
        .unwrap();
    assert_eq!(x2["availability"]["benchmark"], "all roles");
    // Σ of the four binomials, convolved in scipy: P(≤ 12) with 16 expected.
    let s = &doc["summary"]["availability"];
    assert_eq!(u(&s["assignments_matched"]), 4);
    assert_eq!(u(&s["observed"]), 12);
    assert_close(f(&s["expected"]), 16.0, 1e-12, "expected");
    assert_close(f(&s["shortfall"]), 4.0, 1e-12, "shortfall");
    assert_close(f(&s["p"]), 0.11902859220283764, 1e-9, "p");

    let bad = ds.write("bad.csv", "role_family,group,share\nFinance,Purple,0.5\n");
    let err = run_error(&[
        "slates",
        ds.path().to_str().unwrap(),
        "--availability",
        bad.to_str().unwrap(),
    ]);
    assert!(
        err.contains("bad.csv") && err.contains("line 2") && err.contains("'Purple'"),
        "{err}"
    );
}

#[test]
fn malformed_lines_stop_slates_and_labels_too() {
    let ds = dataset();
    let text = std::fs::read_to_string(ds.path().join("applications.csv")).unwrap();
    ds.write("applications.csv", &(text + "C999,X1,Indian,Client X\n"));
    for command in ["slates", "labels"] {
        let err = run_error(&[command, ds.path().to_str().unwrap()]);
        assert!(
            err.contains("applications.csv") && err.contains("fields"),
            "{command}: {err}"
        );
    }
}

/// Publication mode: every count from 1 to 4 is hidden, no list's sum has a
/// single hidden member (it could be subtracted out), and the rule outcomes
/// stay unless they rest on a hidden count.
#[test]
fn published_slates_hide_small_counts_and_keep_rule_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let out = generate_search(dir.path(), 2000, 5);
    let d = out.to_str().unwrap();
    let plain = run_json(&["slates", d, "--by", "client", "--format", "json"]);
    let doc = run_json(&[
        "slates",
        d,
        "--by",
        "client",
        "--format",
        "json",
        "--publish",
    ]);
    assert!(doc["publication"]["primary"].as_u64().unwrap() > 0);
    let hidden = |v: &Value| v.is_null();
    for (a, p) in doc["slates"]
        .as_array()
        .unwrap()
        .iter()
        .zip(plain["slates"].as_array().unwrap())
    {
        // A rule outcome resting on a hidden count is withheld (issue 16);
        // the others are kept.
        let rests_on_hidden = ["longlist", "shortlist"].iter().any(|l| {
            ["total", "focal", "women"]
                .iter()
                .any(|f| hidden(&a[*l][*f]))
        });
        if rests_on_hidden {
            for r in a["rules"].as_array().unwrap() {
                assert!(r["met"].is_null() && r["withheld"] == true, "{r}");
            }
        } else {
            assert_eq!(a["rules"], p["rules"], "rule outcomes are kept");
        }
        for list in ["longlist", "shortlist"] {
            let (c, truth) = (&a[list], &p[list]);
            let mut members = vec![&c["total"], &c["unknown"]];
            members.extend(c["groups"].as_object().unwrap().values());
            let hidden_members = members.iter().filter(|v| hidden(v)).count();
            assert_ne!(
                hidden_members, 1,
                "{list} of {}: one hidden count in a sum",
                a["assignment"]
            );
            for field in ["total", "unknown", "focal", "women"] {
                let n = truth[field].as_u64().unwrap();
                if (1..5).contains(&n) {
                    assert!(hidden(&c[field]), "{list}.{field} = {n} shown");
                } else if !hidden(&c[field]) {
                    assert_eq!(c[field].as_u64(), Some(n));
                }
            }
            for (g, n) in truth["groups"].as_object().unwrap() {
                if (1..5).contains(&n.as_u64().unwrap()) {
                    assert!(hidden(&c["groups"][g]), "{list} {g} = {n} shown");
                }
            }
            if hidden_members > 0 {
                assert_eq!(c["suppressed"], true);
                assert!(c["focal_share"].is_null());
            }
        }
        for g in a["rate_by_group"].as_array().unwrap() {
            if g["longlisted"].is_null() || g["shortlisted"].is_null() {
                assert!(g["rate"].is_null());
            }
        }
    }
    // The shortfall's observed count is the sum of the shortlists' focal
    // counts: never the only hidden member of that sum.
    for (s, scope) in std::iter::once(&doc["summary"])
        .chain(doc["by_client"].as_array().unwrap())
        .map(|s| (s, s["client"].clone()))
    {
        let focal: Vec<&Value> = doc["slates"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| scope.is_null() || a["client"] == scope)
            .map(|a| &a["shortlist"]["focal"])
            .collect();
        let hidden_members = focal.iter().filter(|v| v.is_null()).count()
            + usize::from(s["shortfall"]["observed"].is_null());
        assert_ne!(hidden_members, 1, "{scope}");
        if s["shortfall"]["observed"].is_null() {
            assert!(s["shortfall"]["lost"].is_null() && s["shortfall"]["p"].is_null());
        }
    }
}

/// Issue 16: with rules "at least k BME on the shortlist" for k = 1..5, the
/// published met / not met outcomes would spell out every hidden shortlist
/// count. An attacker who tries each value 1..4 against the visible
/// outcomes must never be left with exactly one.
#[test]
fn published_rule_outcomes_do_not_spell_out_hidden_counts() {
    let dir = tempfile::tempdir().unwrap();
    let out = generate_search(dir.path(), 2000, 5);
    let d = out.to_str().unwrap();
    let rules: String = (1..=5)
        .map(|k| format!("[[rule]]\nname = \"at least {k}\"\nmin_focal = {k}\n\n"))
        .collect();
    let rules_file = dir.path().join("rules.toml");
    std::fs::write(&rules_file, rules).unwrap();
    let r = rules_file.to_str().unwrap();
    let doc = run_json(&["slates", d, "--rules", r, "--format", "json", "--publish"]);
    let plain = run_json(&["slates", d, "--rules", r, "--format", "json"]);
    let mut hidden_focal = 0;
    for (a, truth) in doc["slates"]
        .as_array()
        .unwrap()
        .iter()
        .zip(plain["slates"].as_array().unwrap())
    {
        if !a["shortlist"]["focal"].is_null() {
            continue;
        }
        hidden_focal += 1;
        let outcomes: Vec<&Value> = a["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| &o["met"])
            .collect();
        let consistent: Vec<u64> = (1..5u64)
            .filter(|x| {
                outcomes
                    .iter()
                    .enumerate()
                    .all(|(i, met)| match met.as_bool() {
                        Some(m) => m == (*x > i as u64),
                        None => true,
                    })
            })
            .collect();
        assert!(
            consistent.len() > 1,
            "{}: the outcomes leave only {consistent:?} (truth {})",
            a["assignment"],
            truth["shortlist"]["focal"]
        );
    }
    assert!(hidden_focal > 0, "no hidden shortlist count to attack");
    // The summaries count only the outcomes shown, and say how many are
    // withheld.
    let summary = &doc["summary"]["rules"][0];
    let assignments = doc["slates"].as_array().unwrap().len() as u64;
    let applicable = summary["applicable"].as_u64().unwrap();
    let withheld = summary["withheld"].as_u64().unwrap_or(0);
    assert!(
        withheld > 0 && applicable + withheld <= assignments,
        "{summary}"
    );
}

/// `--split-by client`: one report per client holding that client's
/// assignments alone, opening with the summary line, unmet rules marked.
#[test]
fn one_report_per_client_to_send_as_it_is() {
    let ds = dataset();
    let folder = ds.path().join("reports");
    let out = run(&[
        "slates",
        ds.path().to_str().unwrap(),
        "--split-by",
        "client",
        "--format",
        "html",
        "-o",
        folder.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["Client X.html", "Client Y.html"]);
    let x = std::fs::read_to_string(folder.join("Client X.html")).unwrap();
    let y = std::fs::read_to_string(folder.join("Client Y.html")).unwrap();
    // Each holds its own assignments and no other client's.
    for a in ["X1", "X2", "X3"] {
        assert!(x.contains(&format!("<td>{a}</td>")) && !y.contains(&format!("<td>{a}</td>")));
    }
    assert!(y.contains("<td>Y1</td>") && !x.contains("<td>Y1</td>") && !x.contains("Client Y"));
    // The summary line: X2 and X3 shortlisted no BME candidate; the rule
    // applies to X1 and X3 (X2's longlist had none) and X3 missed it.
    assert!(x.contains("2 of 3 shortlists had no BME candidate"), "{x}");
    assert!(
        x.contains("was met on 1 of the 2 assignments it applies to"),
        "{x}"
    );
    assert!(y.contains("0 of 1 shortlists had no BME candidate"), "{y}");
    // X3's unmet rule stands out, in the table and in the chart.
    assert_eq!(x.matches("class=\"flag unmet\"").count(), 1);
    assert!(x.contains("0 of 3 — NOT MET"), "{x}");
    assert!(!y.contains("— NOT MET") && !y.contains("flag unmet"));
    // Without a folder or with the terminal format it is refused.
    let out = run(&[
        "slates",
        ds.path().to_str().unwrap(),
        "--split-by",
        "client",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "slates",
        ds.path().to_str().unwrap(),
        "--split-by",
        "client",
        "--by",
        "sex",
        "--format",
        "html",
        "-o",
        folder.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn human_slate_reports_read_the_right_way_round() {
    let ds = dataset();
    let md = String::from_utf8(
        run(&[
            "slates",
            ds.path().to_str().unwrap(),
            "--by",
            "client",
            "--format",
            "markdown",
        ])
        .stdout,
    )
    .unwrap();
    assert!(
        md.contains("2 of 4 shortlists had no BME candidate"),
        "{md}"
    );
    assert!(md.contains("**NOT MET**"), "{md}");
    // A pooled ratio is stated with the more likely group first: never
    // "0.xx times as likely".
    let doc = slates(&ds, &[]);
    for s in std::iter::once(&doc["summary"]).chain(doc["by_client"].as_array().unwrap()) {
        for p in s["pooled"].as_array().unwrap() {
            let Some(rl) = p["rl_mh"].as_f64() else {
                continue;
            };
            let (first, shown) = if rl < 1.0 {
                (p["focal"].as_str().unwrap(), 1.0 / rl)
            } else {
                (p["reference"].as_str().unwrap(), rl)
            };
            let sentence = format!("{first} candidates were {shown:.2} times as likely");
            assert!(md.contains(&sentence), "missing {sentence:?} in {md}");
        }
    }
    assert!(
        !md.split("times as likely").any(|part| part
            .trim_end()
            .ends_with(|c: char| c.is_ascii_digit())
            && part
                .trim_end()
                .rsplit(' ')
                .next()
                .is_some_and(|n| n.starts_with("0."))),
        "{md}"
    );
}
