//! `confess verify`: rebuild from the manifests with the real toolchain, run the legacy build
//! for real, and compare the two, artifact by artifact.

pub mod confine;
pub mod elf;
pub mod imports;
pub mod plan;
pub mod real;
/// Typed flags back to gcc's words (the model's own).
pub use crate::model::words as render;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

use crate::drivers::Driver;
use crate::scratch::Scratch;
use plan::Roots;
use serde::Serialize;
use std::fmt::Write as _;

/// What `confess verify` is asked.
#[derive(Clone, Debug)]
pub struct Options {
    /// How the real build runs: sealed (the default) or not.
    pub seal: crate::seal::SealOptions,
    pub out: PathBuf,
    pub jobs: Option<usize>,
    pub keep_scratch: bool,
}

/// The verdict on one target.
#[derive(Clone, Debug, Serialize)]
pub struct TargetVerdict {
    pub target: String,
    pub kind: String,
    pub output: String,
    /// `identical` (every file byte for byte), `equivalent` (same symbols, sections, members,
    /// needed libraries), `differs`, or `missing` (one build did not make it).
    pub verdict: String,
    /// Objects compared (both builds wrote them), and how many of them are the same bytes.
    pub objects: usize,
    pub objects_identical: usize,
    /// Objects the real build never kept (compiled and linked in one call): the artifact they
    /// went into is compared instead.
    #[serde(skip_serializing_if = "is_zero")]
    pub objects_not_kept: usize,
    /// The first difference, in words, when the verdict is `differs` or `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<String>,
    /// Dependencies the manifest build could not link.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<String>,
}

// reason: serde's `skip_serializing_if` passes the field by reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// verify.json.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    /// `match` when every target is identical or equivalent and the real build made no
    /// artifact the manifests leave out, else `mismatch`.
    pub verdict: String,
    pub targets: Vec<TargetVerdict>,
    /// Programs, shared libraries and archives the real build made that no target of the
    /// manifests builds (paths as the manifests write them).
    pub unclaimed: Vec<String>,
}

impl Report {
    #[must_use]
    pub fn failures(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| !matches!(t.verdict.as_str(), "identical" | "equivalent"))
            .count()
            + self.unclaimed.len()
    }

    /// The verdict table, one line per target, then the differences.
    #[must_use]
    pub fn render(&self) -> String {
        let mut s = String::new();
        let w = self
            .targets
            .iter()
            .map(|t| t.target.len())
            .max()
            .unwrap_or(6)
            .max(6);
        let _ = writeln!(
            s,
            "{:<w$}  {:<15} {:<10} objects",
            "target", "kind", "verdict"
        );
        for t in &self.targets {
            let _ = writeln!(
                s,
                "{:<w$}  {:<15} {:<10} {}/{} identical",
                t.target, t.kind, t.verdict, t.objects_identical, t.objects
            );
        }
        for t in &self.targets {
            if let Some(d) = &t.difference {
                let _ = writeln!(s, "\n{} ({}): {d}", t.target, t.output);
            }
            for u in &t.unresolved {
                let _ = writeln!(s, "{}: not linked: {u}", t.target);
            }
        }
        for u in &self.unclaimed {
            let _ = writeln!(
                s,
                "\n{u}: the real build made it, and no target of the manifests builds it"
            );
        }
        let agree = self
            .targets
            .iter()
            .filter(|t| matches!(t.verdict.as_str(), "identical" | "equivalent"))
            .count();
        let _ = writeln!(
            s,
            "\nverify: {} ({agree} of {} targets agree with the real build{})",
            self.verdict,
            self.targets.len(),
            if self.unclaimed.is_empty() {
                String::new()
            } else {
                format!(", {} artifacts unclaimed", self.unclaimed.len())
            }
        );
        s
    }
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| Error::io("moving", from, e))
}

/// Runs both builds and compares them. `driver` is the build the confession ran.
pub fn run(driver: &dyn Driver, opts: &Options) -> Result<Report> {
    let out = std::fs::canonicalize(&opts.out).map_err(|e| Error::Input {
        path: opts.out.clone(),
        reason: format!("no confession here ({e}): confess a project with this --out first"),
    })?;
    // One run at a time writes into an output directory.
    let _lock = crate::outdir::lock(&out)?;
    crate::options::check_jobs(opts.jobs)?;
    let declared = plan::load(&out)?;
    // Nothing runs before every path the manifests give is known to stay in its place.
    confine::check(&out, &declared)?;
    let vdir = out.join("verify");
    if vdir.exists() {
        std::fs::remove_dir_all(&vdir).map_err(|e| Error::io("removing", &vdir, e))?;
    }
    std::fs::create_dir_all(&vdir).map_err(|e| Error::io("creating", &vdir, e))?;
    let scratch = Scratch::new(
        opts.keep_scratch,
        crate::scratch::shim_path()?,
        crate::drivers::source_bytes(driver),
    )?;
    // The real build first; then its trees move away, and the manifest build takes the same
    // paths.
    // The real build runs sealed as the confession did: an install or an absolute path
    // reaches the copy or a throwaway layer, never the user's files.
    let seal = crate::seal::Seal::new(
        opts.seal,
        &scratch.root,
        crate::drivers::copies(driver, &scratch.src),
    )?;
    let configured = real::build(
        driver,
        &scratch,
        &seal,
        &build_options(opts, &out),
        &vdir.join("real-build.log"),
        &scratch_roots(driver, &scratch, &out),
    )?;
    let real = move_real_trees(driver, &scratch, &out)?;
    let ours = manifest_trees(driver, &scratch, &out)?;
    let rec = plan::Recorded::read(&out, &ours)?;
    let (ninja, planned) = plan::ninja(&declared, &rec, &ours)?;
    let log = vdir.join("manifest-build.log");
    let build_failed = build_manifests(
        opts,
        &seal,
        &scratch,
        &vdir.join("build.ninja"),
        &ninja,
        &log,
    )?;
    let mut targets = Vec::new();
    for p in &planned {
        targets.push(judge(p, &real, &ours, build_failed, &log));
    }
    let mut report = Report {
        schema: "confess-verify/1",
        verdict: String::new(),
        targets,
        unclaimed: unclaimed(&planned, &real, driver.source(), &configured),
    };
    report.verdict = if report.failures() == 0 {
        "match".into()
    } else {
        "mismatch".into()
    };
    write_report(&scratch, &vdir, &report)?;
    if opts.keep_scratch {
        eprintln!(
            "confess: scratch directory kept at {} ({})",
            scratch.root.display(),
            scratch.placed
        );
    }
    Ok(report)
}

/// The options the real build runs with: the confession's, for output directory `out`.
fn build_options(opts: &Options, out: &Path) -> crate::options::Options {
    crate::options::Options {
        out: out.to_path_buf(),
        jobs: opts.jobs,
        keep_scratch: opts.keep_scratch,
        progress: false,
        verbose: false,
        engine_root: crate::emit::engine_dhall::EngineRoot::default(),
        seal: opts.seal,
        compdb: crate::emit::compdb::Options::default(),
        outside: crate::targets::OutsideAs::default(),
        json_log: None,
    }
}

/// The trees of a build in the scratch: its copy of the sources, and its build tree (the
/// copy itself for an in-source build).
fn scratch_roots(driver: &dyn Driver, scratch: &Scratch, out: &Path) -> Roots {
    Roots {
        src: scratch.src.clone(),
        build: if driver.out_of_tree() {
            scratch.build.clone()
        } else {
            scratch.src.clone()
        },
        out: out.to_path_buf(),
    }
}

/// Moves the real build's trees out of the way (beside them in the scratch), and says where
/// they are now.
fn move_real_trees(driver: &dyn Driver, scratch: &Scratch, out: &Path) -> Result<Roots> {
    let real_src = scratch.root.join("real-src");
    rename(&scratch.src, &real_src)?;
    Ok(if driver.out_of_tree() {
        let real_build = scratch.root.join("real-build");
        rename(&scratch.build, &real_build)?;
        Roots {
            src: real_src,
            build: real_build,
            out: out.to_path_buf(),
        }
    } else {
        Roots {
            src: real_src.clone(),
            build: real_src,
            out: out.to_path_buf(),
        }
    })
}

/// Makes the trees of the manifest build where the real build's were: a fresh copy of the
/// sources, and the generated sources and headers the confession kept.
fn manifest_trees(driver: &dyn Driver, scratch: &Scratch, out: &Path) -> Result<Roots> {
    crate::drivers::copy_source(driver, &scratch.src, &[])?;
    let ours = scratch_roots(driver, scratch, out);
    std::fs::create_dir_all(&ours.build).map_err(|e| Error::io("creating", &ours.build, e))?;
    // Generated sources and headers: the files the confession kept.
    let kept = out.join(if driver.out_of_tree() {
        "build"
    } else {
        "generated"
    });
    if kept.is_dir() {
        // They name the user's tree and the output directory (see confession.rs): here, the
        // verify scratch's.
        let mut pairs = crate::drivers::copies(driver, &ours.src);
        pairs.push((kept.clone(), ours.build.clone()));
        crate::scratch::copy_tree_mapped(&kept, &ours.build, &pairs)?;
    }
    Ok(ours)
}

/// The error of a machine without ninja.
fn no_ninja() -> Error {
    Error::MissingTool {
        tool: "ninja".into(),
        hint: "install Ninja (Debian: apt-get install ninja-build): verify builds the manifests with it".into(),
    }
}

/// Writes `ninja` to `ninja_file` and runs it, sealed, its output in `log`; says whether the
/// build failed.
fn build_manifests(
    opts: &Options,
    seal: &crate::seal::Seal,
    scratch: &Scratch,
    ninja_file: &Path,
    ninja: &str,
    log: &Path,
) -> Result<bool> {
    use std::os::unix::process::CommandExt;
    // Names that are not UTF-8 are in confess's text form in the manifests: ninja gets bytes.
    std::fs::write(ninja_file, confess_shims::raw::bytes(ninja))
        .map_err(|e| Error::io("writing", ninja_file, e))?;
    let logf = std::fs::File::create(log).map_err(|e| Error::io("writing", log, e))?;
    let logf2 = logf.try_clone().map_err(|e| Error::io("writing", log, e))?;
    let mut ninja_args: Vec<std::ffi::OsString> =
        vec!["-f".into(), ninja_file.into(), "-k".into(), "0".into()];
    if let Some(j) = opts.jobs {
        ninja_args.push(format!("-j{j}").into());
    }
    which::which("ninja").map_err(|_| no_ninja())?;
    // The manifests' build is sealed too: a hand-edited manifest reaches nothing outside.
    let mut sealed = seal.command("ninja".as_ref(), &ninja_args, &scratch.root)?;
    if !seal.is_sealed() {
        sealed.command.stdin(std::process::Stdio::null());
    }
    let cmd = &mut sealed.command;
    // ninja keeps its log beside the build file's directory it runs in.
    let mut child = cmd
        .stdout(logf)
        .stderr(logf2)
        .process_group(0)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => no_ninja(),
            _ => Error::io("running", "ninja", e),
        })?;
    Ok(!crate::interrupt::wait(&mut child, "ninja")?.success())
}

/// The artifacts the real build made that no target of the manifests builds. What configure
/// made and the build left as it was (a try_run program copied into the build tree, a
/// project's own check program) is configure's, not a target's.
fn unclaimed(
    planned: &[plan::Planned],
    real: &Roots,
    user_src: &Path,
    configured: &Made,
) -> Vec<String> {
    let claimed: BTreeSet<String> = planned
        .iter()
        .flat_map(|p| std::iter::once(&p.output).chain(&p.aliases))
        .cloned()
        .collect();
    let now = made(real, user_src);
    real_artifacts(real, user_src)
        .into_iter()
        .filter(|a| !claimed.contains(a))
        .filter(|a| configured.get(a).is_none_or(|f| now.get(a) != Some(f)))
        .collect()
}

/// Writes verify.json, and takes the scratch's path out of the logs and build.ninja: the
/// scratch is gone after the run, its files name it `[scratch]`.
fn write_report(scratch: &Scratch, vdir: &Path, report: &Report) -> Result<()> {
    let pairs = [(scratch.root.clone(), PathBuf::from("[scratch]"))];
    for f in ["build.ninja", "manifest-build.log", "real-build.log"] {
        crate::scratch::map_in_place(&vdir.join(f), &pairs)?;
    }
    let json = vdir.join("verify.json");
    let text = serde_json::to_string_pretty(report).map_err(|e| Error::Usage(e.to_string()))?;
    std::fs::write(&json, text + "\n").map_err(|e| Error::io("writing", &json, e))?;
    Ok(())
}

/// Compares one target's artifact and objects across the two builds.
fn judge(
    p: &plan::Planned,
    real: &Roots,
    ours: &Roots,
    build_failed: bool,
    log: &Path,
) -> TargetVerdict {
    let mut v = TargetVerdict {
        target: p.label.clone(),
        kind: p.kind.as_str().to_string(),
        output: p.output.clone(),
        verdict: "identical".into(),
        objects: 0,
        objects_identical: 0,
        objects_not_kept: 0,
        difference: None,
        unresolved: p.unresolved.clone(),
    };
    let failed = build_failed.then_some(log);
    for o in &p.objects {
        v.judge_object(o, real, ours, failed);
    }
    if p.kind != TargetKind::ObjectLibrary {
        v.judge_artifact(p, real, ours, log);
    }
    v
}

/// A file of a build, if it is there.
fn read(r: &Roots, path: &str) -> Option<Vec<u8>> {
    std::fs::read(r.file(path)).ok()
}

impl TargetVerdict {
    /// Notes the first difference, with its verdict.
    fn differ(&mut self, verdict: &str, why: String) {
        if self.difference.is_none() {
            self.verdict = verdict.into();
            self.difference = Some(why);
        }
    }

    /// Notes the verdict of one comparison.
    fn agree(&mut self, cmp: std::result::Result<elf::Agreement, String>) {
        match cmp {
            Ok(elf::Agreement::Identical) => {}
            Ok(elf::Agreement::Equivalent) => {
                if self.verdict == "identical" {
                    self.verdict = "equivalent".into();
                }
            }
            Err(e) => self.differ("differs", e),
        }
    }

    /// Compares one object across the two builds (`failed`: the manifest build failed, its
    /// log there).
    fn judge_object(
        &mut self,
        o: &plan::Object,
        real: &Roots,
        ours: &Roots,
        failed: Option<&Path>,
    ) {
        let (Some(a), Some(b)) = (read(real, &o.path), read(ours, &o.path)) else {
            if read(ours, &o.path).is_none() {
                self.differ(
                    "missing",
                    format!(
                        "the manifest build made no object for {}{}",
                        o.src,
                        failed.map_or_else(String::new, |log| format!(
                            " (the compile failed: see {})",
                            log.display()
                        ))
                    ),
                );
            }
            // The real build removed its object (a temporary one): the artifact says the rest.
            self.objects_not_kept += 1;
            return;
        };
        self.objects += 1;
        match elf::compare_objects(&a, &b) {
            Ok(elf::Agreement::Identical) => self.objects_identical += 1,
            cmp => {
                self.agree(cmp.map_err(|e| format!("the object of {} ({}): {e}", o.src, o.path)));
            }
        }
    }

    /// Compares the target's artifact, and its aliases, across the two builds.
    fn judge_artifact(&mut self, p: &plan::Planned, real: &Roots, ours: &Roots, log: &Path) {
        let (a, b) = match (read(real, &p.output), read(ours, &p.output)) {
            (Some(a), Some(b)) => (a, b),
            (None, _) => {
                self.differ(
                    "missing",
                    "the real build did not make it (see verify/real-build.log)".into(),
                );
                return;
            }
            (_, None) => {
                self.differ(
                    "missing",
                    format!("the manifest build did not make it (see {})", log.display()),
                );
                return;
            }
        };
        // The manifest says the real build leaves the artifact at its aliases too (copies,
        // links): each is there, with the same bytes.
        for alias in &p.aliases {
            if read(real, alias).as_deref() != Some(a.as_slice()) {
                self.differ(
                    "differs",
                    format!(
                        "the manifest names {alias} as a copy of {}, and the real build left {} there",
                        p.output,
                        if real.file(alias).exists() {
                            "a different file"
                        } else {
                            "nothing"
                        }
                    ),
                );
            }
        }
        let cmp = match p.kind {
            TargetKind::StaticLibrary => {
                let (ra, ob) = (real.file(&p.output), ours.file(&p.output));
                let parent = |q: &Path| q.parent().map(Path::to_path_buf).unwrap_or_default();
                elf::compare_archives(&a, &b, (&parent(&ra), &parent(&ob)))
            }
            _ => elf::compare_linked(&a, &b),
        };
        self.agree(cmp);
    }
}

use crate::model::TargetKind;

/// The programs, shared libraries and archives the real build left in its trees that the
/// user's tree did not have, as manifest paths. Left out: what configure steps make to probe
/// the compiler and the system (CMakeFiles/, meson-private/).
/// Artifacts by manifest path, with the length and modification time they had.
pub(crate) type Made = BTreeMap<String, (u64, Option<std::time::SystemTime>)>;

/// The artifacts in a build's trees now (as `real_artifacts` finds them), fingerprinted.
pub(crate) fn made(roots: &Roots, user_src: &Path) -> Made {
    artifact_files(roots, user_src)
        .into_iter()
        .map(|(m, f)| {
            let meta = std::fs::metadata(&f).ok();
            (
                m,
                (
                    meta.as_ref().map_or(0, std::fs::Metadata::len),
                    meta.and_then(|m| m.modified().ok()),
                ),
            )
        })
        .collect()
}

fn real_artifacts(real: &Roots, user_src: &Path) -> BTreeSet<String> {
    artifact_files(real, user_src).into_keys().collect()
}

fn artifact_files(real: &Roots, user_src: &Path) -> BTreeMap<String, PathBuf> {
    let is_artifact = |p: &Path| -> bool {
        use std::io::Read;
        let mut head = [0u8; 18];
        let Ok(mut f) = std::fs::File::open(p) else {
            return false;
        };
        let n = f.read(&mut head).unwrap_or(0);
        if head[..n].starts_with(b"!<arch>\n") || head[..n].starts_with(b"!<thin>\n") {
            return true;
        }
        // ELF programs and shared objects (e_type 2 or 3), not relocatable objects.
        n == 18 && head.starts_with(b"\x7fELF") && matches!(head[16], 2 | 3)
    };
    let probe = |rel: &str| {
        rel.split('/').any(|c| {
            // CMake's configure leaves its probes in CMakeFiles/ (compiler identification,
            // check_type_size); no target's output is there.
            c == "CMakeFiles" || c == "meson-private" || c == "CMakeTmp" || c == "CMakeScratch"
        })
    };
    let mut files = crate::walk::files_below(&real.build);
    if real.build != real.src {
        files.extend(crate::walk::files_below(&real.src));
    }
    let mut out = BTreeMap::new();
    for f in files {
        let (relative, manifest) = if let Ok(r) = f.strip_prefix(&real.build) {
            let r = r.display().to_string();
            (r.clone(), format!("[build]/{r}"))
        } else if let Ok(r) = f.strip_prefix(&real.src) {
            let r = r.display().to_string();
            (r.clone(), r)
        } else {
            continue;
        };
        if probe(&relative) || user_src.join(&relative).exists() || !is_artifact(&f) {
            continue;
        }
        out.insert(manifest, f);
    }
    out
}

use std::collections::{BTreeMap, BTreeSet};
