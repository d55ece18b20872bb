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

/// What a test page reports of its own layout in the browser: whether any
/// element passes the right edge of the window, and how far down "In
/// brief" starts. Added to a copy of a report only: reports carry no
/// scripts.
const LAYOUT_CHECK: &str = r#"<script>
window.addEventListener('load', () => {
  const width = document.documentElement.clientWidth;
  const over = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1) over.push(el.tagName + ' ' + el.textContent.slice(0, 40));
  }
  const brief = [...document.querySelectorAll('h2')].find(h => h.textContent === 'In brief');
  const out = document.createElement('pre');
  out.id = 'layout-check';
  out.textContent = JSON.stringify({
    over: over.slice(0, 10),
    brief_top: brief ? brief.getBoundingClientRect().top : -1,
    screen: window.innerHeight,
  });
  document.body.appendChild(out);
});
</script>"#;

/// A4 at 96 dots per inch: 210 × 297 mm.
const A4: &str = "--window-size=794,1123";

/// Renders `html` with [`LAYOUT_CHECK`] in headless Chromium at A4 size:
/// the elements that overflow its width, and whether "In brief" begins on
/// the first screen.
fn layout_at_a4(browser: &str, dir: &std::path::Path, html: &str) -> (Vec<String>, bool) {
    let page = dir.join("layout-check.html");
    std::fs::write(
        &page,
        html.replace("</body>", &format!("{LAYOUT_CHECK}</body>")),
    )
    .unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            A4,
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8(out.stdout).unwrap();
    let marker = "<pre id=\"layout-check\">";
    let start = dom.find(marker).expect("the check ran") + marker.len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end]
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let over = v["over"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.to_string())
        .collect();
    let top = f(&v["brief_top"]);
    (over, top >= 0.0 && top < f(&v["screen"]))
}

/// At A4 width nothing overflows the page, the headline is on the first
/// screen, and the sample's report prints in under 10 pages; the same for
/// a client's slate report.
#[test]
#[ignore = "needs Chromium; .ci/run installs it and runs this test"]
fn reports_fit_a4_and_print_short() {
    let browser = std::env::var("RUNG_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.html");
    let status = rung()
        .args([
            "audit",
            SAMPLE,
            "--format",
            "html",
            "--generated-at",
            "2026-01-01T00:00:00Z",
            "-o",
        ])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let (over, brief_first) = layout_at_a4(
        &browser,
        dir.path(),
        &std::fs::read_to_string(&path).unwrap(),
    );
    assert!(over.is_empty(), "overflowing A4 width: {over:?}");
    assert!(brief_first, "'In brief' is not on the first screen");

    let pdf = dir.path().join("sample.pdf");
    let out = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", path.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&pdf).unwrap();
    // Each page is an object "/Type /Page" (the tree's own is "/Pages").
    let text = String::from_utf8_lossy(&bytes);
    let pages = text
        .match_indices("/Type /Page")
        .filter(|(i, _)| !text[i + 11..].starts_with('s'))
        .count();
    assert!(
        (1..10).contains(&pages),
        "the sample report prints on {pages} pages"
    );

    let data = generate_search(dir.path(), 1500, 9);
    let folder = dir.path().join("clients");
    let out = run(&[
        "slates",
        data.to_str().unwrap(),
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
    let first = std::fs::read_dir(&folder)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let (over, brief_first) = layout_at_a4(
        &browser,
        dir.path(),
        &std::fs::read_to_string(&first).unwrap(),
    );
    assert!(
        over.is_empty(),
        "client report overflows A4 width: {over:?}"
    );
    assert!(
        brief_first,
        "the client report's summary line is not on the first screen"
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
