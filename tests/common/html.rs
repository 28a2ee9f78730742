//! report.html as a person sees it: rendered by headless Chromium (Debian's chromium), checked
//! for the target graph and every target's section, and photographed into
//! target/test-artifacts/report-NAME.png.

use super::{repo, require};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The anchor confess gives a target (`emit::report::anchor`).
fn anchor(dir: &str, name: &str) -> String {
    let mut s = String::from("t");
    let dir = if dir == "." { None } else { Some(dir) };
    for part in dir.into_iter().chain([name]) {
        s.push('-');
        for b in part.bytes() {
            if b.is_ascii_alphanumeric() || b == b'_' {
                s.push(b as char);
            } else {
                let _ = write!(s, ".{b:02X}");
            }
        }
    }
    s
}

fn chromium(args: &[&str], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().expect("tmp");
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

/// Checks `out/report.html` in headless Chromium and keeps a screenshot; returns its path.
pub fn check(name: &str, out: &Path) -> PathBuf {
    require("chromium", "chromium");
    require("dot", "graphviz");
    let page = out.join("report.html");
    let text = std::fs::read_to_string(&page).expect("report.html");
    // Self-contained: no script, no stylesheet or image fetched from anywhere.
    for bad in ["<script", "<link", "<img", "<iframe", " src=", "url("] {
        assert!(!text.contains(bad), "{name}: report.html has {bad}");
    }
    let o = chromium(&["--dump-dom"], &page);
    assert!(o.status.success(), "{name}: chromium: {o:?}");
    let dom = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        dom.contains("<svg"),
        "{name}: no target graph in the rendered page"
    );
    let targets: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("targets.json")).expect("read"))
            .expect("targets.json");
    let mut n = 0;
    for p in targets["packages"].as_array().expect("packages") {
        let dir = p["dir"].as_str().expect("dir");
        for t in p["targets"].as_array().expect("targets") {
            let a = anchor(dir, t["name"].as_str().expect("name"));
            assert!(
                dom.contains(&format!("<section class=\"target\" id=\"{a}\"")),
                "{name}: no section for {a}"
            );
            // Its node in the graph, linking to the section.
            assert!(
                dom.contains(&format!("id=\"node-{a}\"")) && dom.contains(&format!("\"#{a}\"")),
                "{name}: no node for {a} in the graph"
            );
            n += 1;
        }
    }
    assert!(n > 0, "{name}: no targets");
    let dir = repo().join("target/test-artifacts");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let shot = dir.join(format!("report-{name}.png"));
    let _ = std::fs::remove_file(&shot);
    let o = chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2200",
        ],
        &page,
    );
    assert!(o.status.success(), "{name}: chromium screenshot: {o:?}");
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{name}: screenshot of {} bytes",
        png.len()
    );
    eprintln!(
        "{name}: report.html has the graph and all {n} targets; screenshot {}",
        shot.display()
    );
    shot
}
