//! clangd and clang-tidy on confess's compile database against Bear's from a real build: every
//! translation unit of confess's database is checked with the real tools twice, once through
//! confess's database (sources in the user's tree, generated files kept in the output directory)
//! and once through Bear's (the real build's tree, where the generated files lie among the
//! sources), and confess's side may give no diagnostic that Bear's does not also give.

use super::{require, Path, PathBuf};
use std::collections::BTreeSet;
use std::process::Command;

/// One diagnostic: the tool's code or check, the line, the message (paths replaced by the
/// name of their root).
type Diag = (String, u32, String);

/// What the two sides gave, per translation unit.
pub struct Parity {
    pub units: usize,
    pub clangd: usize,
    pub tidy: usize,
}

/// clangd's diagnostics for `file` through the database in `db_dir` (`--check` prints one
/// `E[..] [code] Line N: message` line per diagnostic).
fn clangd(file: &Path, db_dir: &Path, roots: &[(&Path, &str)]) -> BTreeSet<Diag> {
    let out = Command::new("clangd")
        .arg(format!("--check={}", file.display()))
        .arg(format!("--compile-commands-dir={}", db_dir.display()))
        .arg("--check-lines=1")
        .arg("--enable-config=0")
        .output()
        .expect("run clangd");
    let text = String::from_utf8_lossy(&out.stderr);
    // It exits non-zero when it finds errors: what it found is compared, not the status.
    assert!(
        text.contains("All checks completed"),
        "clangd --check={} failed:\n{text}",
        file.display()
    );
    assert!(
        !text.contains("Failed to find compilation database"),
        "clangd found no entry for {} in {}:\n{text}",
        file.display(),
        db_dir.display()
    );
    text.lines()
        .filter(|l| l.starts_with("E["))
        .filter_map(|l| {
            let rest = l.split_once("] [")?.1;
            let (code, rest) = rest.split_once("] Line ")?;
            let (line, msg) = rest.split_once(": ")?;
            Some((code.to_string(), line.parse().ok()?, normalize(msg, roots)))
        })
        .collect()
}

/// clang-tidy's diagnostics (bugprone checks and the compiler's own) for `file` through the
/// database in `db_dir`.
/// The `directory` of the entry of `db` that compiles `file`: clang-tidy names files as the
/// entry spells them, relative to it or not.
fn directory_of(db: &serde_json::Value, file: &Path) -> PathBuf {
    db.as_array()
        .into_iter()
        .flatten()
        .find_map(|e| {
            let dir = Path::new(e["directory"].as_str()?);
            let f = confess_shims::headers::lexical(&dir.join(e["file"].as_str()?));
            (f == file).then(|| dir.to_path_buf())
        })
        .unwrap_or_else(|| file.parent().unwrap_or(file).to_path_buf())
}

fn tidy(
    file: &Path,
    db_dir: &Path,
    db: &serde_json::Value,
    roots: &[(&Path, &str)],
) -> BTreeSet<Diag> {
    let dir = directory_of(db, file);
    let out = Command::new("clang-tidy")
        .arg("-p")
        .arg(db_dir)
        .arg("--checks=-*,bugprone-*")
        .arg("--quiet")
        .arg(file)
        .output()
        .expect("run clang-tidy");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter_map(|l| {
            // path:line:col: severity: message [check]
            let (path, rest) = l.split_once(':')?;
            let (line, rest) = rest.split_once(':')?;
            let (_col, rest) = rest.split_once(": ")?;
            let (sev, msg) = rest.split_once(": ")?;
            if !matches!(sev, "error" | "warning") {
                return None;
            }
            let (msg, check) = msg.rsplit_once(" [")?;
            // A path as the entry spelled it: resolved, so that both sides name it alike.
            let path = confess_shims::headers::lexical(&dir.join(path));
            Some((
                check.trim_end_matches(']').to_string(),
                line.parse().ok()?,
                format!(
                    "{}: {}",
                    normalize(&path.display().to_string(), roots),
                    normalize(msg, roots)
                ),
            ))
        })
        .collect()
}

fn normalize(text: &str, roots: &[(&Path, &str)]) -> String {
    let mut roots: Vec<(String, &str)> = roots
        .iter()
        .map(|(p, n)| (p.display().to_string(), *n))
        .collect();
    // The longest root first (the output directory may lie below the user's tree).
    roots.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    let mut s = text.to_string();
    for (p, n) in &roots {
        s = s.replace(p.as_str(), n);
    }
    s
}

/// Checks every translation unit of confess's database in `out` with clangd and clang-tidy,
/// and the same file of the real build through Bear's database `bear_db`. `to_real` names the
/// real build's file for a file of confess's database (a source in the user's tree, or a kept
/// generated file). `roots` name the trees on both sides by the same name, so that messages
/// compare (`[(user_src, "$SRC"), (real_src, "$SRC"), (out/generated, "$BUILD"), ...]`).
pub fn parity(
    what: &str,
    out: &Path,
    bear_db: &serde_json::Value,
    to_real: &dyn Fn(&Path) -> PathBuf,
    roots: &[(&Path, &str)],
) -> Parity {
    require("clangd", "clangd");
    require("clang-tidy", "clang-tidy");
    let theirs = tempfile::tempdir().expect("tmp");
    std::fs::write(
        theirs.path().join("compile_commands.json"),
        serde_json::to_string_pretty(bear_db).expect("json"),
    )
    .expect("write Bear's database");
    let ours: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("compile_commands.json")).expect("compile_commands"),
    )
    .expect("json");
    let files: BTreeSet<PathBuf> = ours
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            let f = PathBuf::from(e["file"].as_str().expect("file"));
            if f.is_absolute() {
                f
            } else {
                Path::new(e["directory"].as_str().expect("directory")).join(f)
            }
        })
        .collect();
    assert!(!files.is_empty(), "{what}: no translation unit");
    let (mut n_clangd, mut n_tidy) = (0, 0);
    for f in &files {
        let real = to_real(f);
        assert!(
            real.is_file(),
            "{what}: {} (for {}) is not a file of the real build",
            real.display(),
            f.display()
        );
        let (a, b) = (clangd(f, out, roots), clangd(&real, theirs.path(), roots));
        let extra: Vec<&Diag> = a.difference(&b).collect();
        assert!(
            extra.is_empty(),
            "{what}: clangd on {} gives diagnostics that Bear's database does not:\n{extra:#?}\n(Bear's: {b:#?})",
            f.display()
        );
        let (c, d) = (
            tidy(f, out, &ours, roots),
            tidy(&real, theirs.path(), bear_db, roots),
        );
        let extra: Vec<&Diag> = c.difference(&d).collect();
        assert!(
            extra.is_empty(),
            "{what}: clang-tidy on {} gives diagnostics that Bear's database does not:\n{extra:#?}\n(Bear's: {d:#?})",
            f.display()
        );
        n_clangd += a.len();
        n_tidy += c.len();
    }
    eprintln!(
        "{what}: clangd and clang-tidy on {} translation units: {n_clangd} and {n_tidy} diagnostics through confess's database, none that Bear's does not give",
        files.len()
    );
    Parity {
        units: files.len(),
        clangd: n_clangd,
        tidy: n_tidy,
    }
}

/// `parity` for a confession in `out` of the tree `src`, against Bear's database of a real build
/// of its copy `copy` in `build` (`copy` itself for an in-source build): confess's generated
/// files (kept in `generated/`, or laid out in `build/` for an out-of-tree build) are the real
/// build directory's.
pub fn parity_trees(
    what: &str,
    out: &Path,
    src: &Path,
    copy: &Path,
    build: &Path,
    bear_db: &serde_json::Value,
) -> Parity {
    let generated = out.join("generated");
    let laid_out = out.join("build");
    let to_real = |f: &Path| {
        if let Ok(rel) = f.strip_prefix(&generated) {
            build.join(rel)
        } else if let Ok(rel) = f.strip_prefix(&laid_out) {
            build.join(rel)
        } else {
            copy.join(f.strip_prefix(src).expect("a file of the source tree"))
        }
    };
    let b = if copy == build { "$SRC" } else { "$BUILD" };
    parity(
        what,
        out,
        bear_db,
        &to_real,
        &[
            (src, "$SRC"),
            (copy, "$SRC"),
            (&generated, b),
            (&laid_out, b),
            (build, b),
        ],
    )
}
