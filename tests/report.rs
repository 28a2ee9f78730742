//! report.html and graph.dot on fixtures: the page renders in headless Chromium with the target
//! graph and every target (common::html); the graph is the transitively reduced target graph.

mod common;
use common::*;

#[test]
fn report_html_of_make_and_cmake_fixtures_renders_with_every_target() {
    require("make", "make");
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    for (name, args) in [
        ("make-subdirs", vec!["make", "make/subdirs"]),
        ("cmake-basic", vec!["cmake", "cmake/basic"]),
    ] {
        let tmp = tempfile::tempdir().expect("tmp");
        let fx = fixture(args[1]);
        let run = confess(tmp.path(), &[args[0], fx.to_str().expect("utf-8")]);
        run.assert_ok();
        html::check(name, &run.out);
    }
}

#[test]
fn graph_dot_is_the_reduced_target_graph_and_the_files_are_in_graph_files_dot() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let tmp = tempfile::tempdir().expect("tmp");
    let fx = fixture("cmake/basic");
    let run = confess(tmp.path(), &["cmake", fx.to_str().expect("utf-8")]);
    run.assert_ok();
    let dot = run.read("graph.dot");
    let targets = run.json("targets.json");
    let n: usize = targets["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| p["targets"].as_array().expect("targets").len())
        .sum();
    // One node per target, in a cluster per directory; no file nodes.
    let nodes = dot.lines().filter(|l| l.contains("URL=\"#t-")).count();
    assert_eq!(nodes, n, "{dot}");
    assert!(dot.contains("subgraph cluster_"), "{dot}");
    assert!(!dot.contains(".o\"") && !dot.contains(".c\""), "{dot}");
    // No edge a longer path implies.
    let edges: std::collections::BTreeSet<(String, String)> = dot
        .lines()
        .filter_map(|l| {
            let (a, b) = l.trim().trim_end_matches(';').split_once(" -> ")?;
            Some((a.to_string(), b.to_string()))
        })
        .collect();
    assert!(!edges.is_empty(), "{dot}");
    for (a, c) in &edges {
        for (a2, b) in &edges {
            if a2 == a && b != c {
                assert!(
                    !edges.contains(&(b.clone(), c.clone())),
                    "{a} -> {c} is implied by {a} -> {b} -> {c}:\n{dot}"
                );
            }
        }
    }
    // Graphviz reads both.
    for f in ["graph.dot", "graph-files.dot"] {
        let o = std::process::Command::new("dot")
            .arg("-Tsvg")
            .arg(run.out.join(f))
            .output()
            .expect("dot");
        assert!(o.status.success(), "{f}: {o:?}");
    }
    assert!(run.read("graph-files.dot").contains(".c\""));
}
