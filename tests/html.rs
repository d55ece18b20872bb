//! The HTML report: self-contained, with the expected numbers, and — in the
//! ignored test that `.ci/run` runs after installing Chromium — rendered by
//! a real headless browser.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");

fn report(dir: &std::path::Path) -> (PathBuf, String) {
    let path = dir.join("report.html");
    let status = rung()
        .args([
            "audit",
            SAMPLE,
            "--by",
            "organisation",
            "--format",
            "html",
            "--generated-at",
            "2026-01-01T00:00:00Z",
            "-o",
            path.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let html = std::fs::read_to_string(&path).unwrap();
    (path, html)
}

/// The numbers the HTML must carry, from the JSON of the same audit.
fn expected_numbers() -> Vec<String> {
    let doc = run_json(&["audit", SAMPLE, "--by", "organisation", "--format", "json"]);
    let t = transition(&doc, "shortlisted", "appointed", &serde_json::json!({}));
    let c = comparison(t, "BME");
    vec![
        format!("{:.2}", f(&c["relative_likelihood"])),
        format!("{:.2}–{:.2}", f(&c["ci_low"]), f(&c["ci_high"])),
        group(t, "BME")["entered"].to_string(),
        doc["data_quality"]["applications"].to_string(),
    ]
}

#[test]
fn html_is_self_contained_and_carries_the_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (_, html) = report(dir.path());
    assert!(html.starts_with("<!DOCTYPE html>"));
    for forbidden in ["<script", "http://", "https://", "<link", "<img"] {
        assert!(!html.contains(forbidden), "must not contain {forbidden}");
    }
    for tag in ["table", "svg", "ul", "h2", "p"] {
        let open =
            html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count();
        let close = html.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}> opened {open} times, closed {close}");
    }
    for id in [
        "findings",
        "forest",
        "funnel",
        "quality",
        "steps",
        "pooled",
        "panels",
        "scores",
        "provenance",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    for n in expected_numbers() {
        assert!(html.contains(&n), "missing {n}");
    }
    // The time it was made, in words.
    assert!(html.contains("1 January 2026, 00:00 UTC"));
}

/// Renders the report in headless Chromium: the browser must load it and
/// the rendered text must hold the findings and the numbers. Run by
/// `.ci/run`, which installs Debian's chromium; needs `chromium` on PATH or
/// RUNG_CHROMIUM.
#[test]
#[ignore = "needs Chromium; .ci/run installs it and runs this test"]
fn html_renders_in_headless_chromium() {
    let browser = std::env::var("RUNG_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = report(dir.path());
    let url = format!("file://{}", path.display());
    let headless = |extra: &[&str]| {
        let mut args = vec!["--headless", "--no-sandbox", "--disable-gpu"];
        args.extend_from_slice(extra);
        args.push(&url);
        Command::new(&browser)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {browser}: {e}"))
    };
    let dom = headless(&["--dump-dom"]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8(dom.stdout).unwrap();
    assert!(dom.contains("Recruitment funnel audit") && dom.contains("Findings"));
    for n in expected_numbers() {
        assert!(dom.contains(&n), "rendered page misses {n}");
    }
    let shot = dir.path().join("report.png");
    let screenshot = format!("--screenshot={}", shot.display());
    let out = headless(&[&screenshot, "--window-size=1200,2000"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot of {} bytes",
        png.len()
    );
}

/// The slates client report: self-contained, a section per client, the
/// numbers of the JSON, and "[c]" in its published version.
#[test]
fn slates_html_client_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = generate_search(dir.path(), 1500, 9);
    let d = data.to_str().unwrap();
    let html_of = |extra: &[&str]| {
        let mut args = vec!["slates", d, "--by", "client", "--format", "html"];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let html = html_of(&[]);
    for forbidden in ["<script", "http://", "https://", "<link", "<img"] {
        assert!(!html.contains(forbidden), "must not contain {forbidden}");
    }
    let doc = run_json(&["slates", d, "--by", "client", "--format", "json"]);
    for c in doc["by_client"].as_array().unwrap() {
        let title = format!(
            ">{}: {} assignments</h2>",
            c["client"].as_str().unwrap(),
            c["assignments"]
        );
        assert!(html.contains(&title), "missing {title}");
    }
    let pooled = &doc["summary"]["pooled"][0];
    // Stated the way round it reads: the more likely group first.
    let rl = f(&pooled["rl_mh"]);
    let shown = if rl < 1.0 { 1.0 / rl } else { rl };
    assert!(html.contains(&format!("were {shown:.2} times as likely")));
    assert_eq!(
        html.matches("<table>").count(),
        html.matches("</table>").count()
    );
    let published = html_of(&["--publish"]);
    assert!(published.contains("[c]") && published.contains("Published version"));
}
