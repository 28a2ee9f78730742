//! BUILD.dhall in the engine's form: exactly `List Target` of the engine's Build.dhall, with
//! its types imported by relative path from `dhall/engine/` (confess's declaration of them) or,
//! with `--engine-schema DIR`, from the user's checkout of the engine's own folder. Pure text
//! rendering in a fixed order.

use super::dhall_text::{build_file, import_path, list, opt_text, record, text, toolchain_record};
use crate::engine::model::{CFlag, Compiler, Dep, LDFlag, Resource, Src, Target, Triple};
use crate::engine::Package;
use std::fmt::Write;
use std::path::PathBuf;

/// Where the manifests import the engine's types from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum EngineRoot {
    /// `dhall/engine/`, written by confess beside the manifests.
    #[default]
    Bundled,
    /// A checkout of the engine's `src/armitage/dhall` (an absolute directory).
    Dir(PathBuf),
}

impl EngineRoot {
    /// The root a `--engine-schema DIR` names: an existing directory holding the engine's
    /// files, made absolute.
    pub fn from_dir(dir: &std::path::Path) -> crate::error::Result<EngineRoot> {
        let abs = std::fs::canonicalize(dir).map_err(|e| crate::error::Error::Input {
            path: dir.to_path_buf(),
            reason: format!(
                "--engine-schema: {e}: give the engine's src/armitage/dhall directory (a checkout of the engine's repository)"
            ),
        })?;
        let root = EngineRoot::Dir(abs);
        root.check()?;
        Ok(root)
    }

    /// A checkout must hold every file the manifests import.
    pub fn check(&self) -> crate::error::Result<()> {
        let EngineRoot::Dir(d) = self else {
            return Ok(());
        };
        for (_, file) in MODULES {
            if !d.join(file).is_file() {
                return Err(crate::error::Error::Input {
                    path: d.join(file),
                    reason: "--engine-schema: the engine's folder has no such file; give the engine's src/armitage/dhall directory".into(),
                });
            }
        }
        Ok(())
    }

    /// The import of one of the engine's files from a BUILD.dhall in `dir` (relative to
    /// `dhall/`).
    #[must_use]
    pub fn import(&self, dir: &str, file: &str) -> String {
        match self {
            EngineRoot::Bundled => {
                let depth = if dir == "." {
                    0
                } else {
                    dir.split('/').count()
                };
                if depth == 0 {
                    format!("./engine/{file}")
                } else {
                    format!("{}engine/{file}", "../".repeat(depth))
                }
            }
            EngineRoot::Dir(d) => {
                let p = d.join(file);
                let s = p.to_string_lossy();
                format!("/{}", import_path(s.trim_start_matches('/')))
            }
        }
    }
}

/// The engine's modules a BUILD.dhall imports, by the names it binds them to.
const MODULES: [(&str, &str); 6] = [
    ("Build", "Build.dhall"),
    ("Toolchain", "Toolchain.dhall"),
    ("Triple", "Triple.dhall"),
    ("CFlags", "CFlags.dhall"),
    ("LDFlags", "LDFlags.dhall"),
    ("Resource", "Resource.dhall"),
];

fn triple(t: Triple) -> String {
    format!(
        "{{ arch = Triple.Arch.{:?}, vendor = Triple.Vendor.{:?}, os = Triple.OS.{:?}, abi = Triple.ABI.{:?}, cpu = Triple.Cpu.{:?}, gpu = Triple.Gpu.{:?} }}",
        t.arch, t.vendor, t.os, t.abi, t.cpu, t.gpu
    )
}

fn compiler(c: &Compiler) -> String {
    let (label, v) = match c {
        Compiler::Clang(v) => ("Clang", v),
        Compiler::NVClang(v) => ("NVClang", v),
        Compiler::GCC(v) => ("GCC", v),
        Compiler::NVCC(v) => ("NVCC", v),
        Compiler::Rustc(v) => ("Rustc", v),
        Compiler::GHC(v) => ("GHC", v),
        Compiler::Lean(v) => ("Lean", v),
    };
    format!(
        "Toolchain.Compiler.{label} {{ version = {} }}",
        text(&v.version)
    )
}

#[must_use]
pub fn cflag(f: &CFlag) -> String {
    let t = |label: &str, v: &str| format!("CFlags.CFlag.{label} {}", text(v));
    match f {
        CFlag::Opt(o) => format!("CFlags.CFlag.Opt CFlags.OptLevel.{o:?}"),
        CFlag::LTO(l) => format!("CFlags.CFlag.LTO CFlags.LTOMode.{l:?}"),
        CFlag::StdC(s) => format!("CFlags.CFlag.StdC CFlags.CStd.{s:?}"),
        CFlag::StdCxx(s) => format!("CFlags.CFlag.StdCxx CFlags.CxxStd.{s:?}"),
        CFlag::Wno(s) => t("Wno", s),
        CFlag::Define(d) => format!(
            "CFlags.CFlag.Define {{ name = {}, value = {} }}",
            text(&d.name),
            opt_text(d.value.as_ref())
        ),
        CFlag::Undef(s) => t("Undef", s),
        CFlag::Include(s) => t("Include", s),
        CFlag::System(s) => t("System", s),
        CFlag::March(s) => t("March", s),
        CFlag::Mtune(s) => t("Mtune", s),
        CFlag::Debug(d) => format!("CFlags.CFlag.Debug CFlags.DebugLevel.{d:?}"),
        CFlag::Sanitize(s) => format!("CFlags.CFlag.Sanitize CFlags.Sanitizer.{s:?}"),
        CFlag::Raw(s) => t("Raw", s),
        unit => format!("CFlags.CFlag.{unit:?}"),
    }
}

#[must_use]
pub fn ldflag(f: &LDFlag) -> String {
    let t = |label: &str, v: &str| format!("LDFlags.LDFlag.{label} {}", text(v));
    match f {
        LDFlag::Lib(s) => t("Lib", s),
        LDFlag::LibPath(s) => t("LibPath", s),
        LDFlag::Rpath(s) => t("Rpath", s),
        LDFlag::RpathLink(s) => t("RpathLink", s),
        LDFlag::Soname(s) => t("Soname", s),
        LDFlag::VersionScript(s) => t("VersionScript", s),
        LDFlag::LTOJobs(n) => format!("LDFlags.LDFlag.LTOJobs {n}"),
        LDFlag::Raw(s) => t("Raw", s),
        unit => format!("LDFlags.LDFlag.{unit:?}"),
    }
}

fn dep(d: &Dep) -> String {
    match d {
        Dep::Local(s) => format!("Build.Dep.Local {}", text(s)),
        Dep::External(e) => format!(
            "Build.Dep.External {{ hash = {}, name = {} }}",
            text(&e.hash),
            text(&e.name)
        ),
        Dep::PkgConfig(s) => format!("Build.Dep.PkgConfig {}", text(s)),
        Dep::Flake(s) => format!("Build.Dep.Flake {}", text(s)),
    }
}

fn resource(r: &Resource) -> String {
    match r {
        Resource::Pure => "Resource.Resource.Pure".into(),
        Resource::Network => "Resource.Resource.Network".into(),
        Resource::Auth(s) => format!("Resource.Resource.Auth {}", text(s)),
        Resource::Sandbox(s) => format!("Resource.Resource.Sandbox {}", text(s)),
        Resource::Filesystem(s) => format!("Resource.Resource.Filesystem {}", text(s)),
    }
}

fn target(t: &Target, about: &str, triple_let: bool, compiler_let: bool) -> String {
    let i = 8;
    let mut s = String::new();
    let _ = writeln!(s, "-- {}: {about}", t.name);
    let texts = |v: &[String]| v.iter().map(|x| text(x)).collect::<Vec<_>>();
    let srcs = match &t.srcs {
        Src::Files(f) if f.is_empty() => "Build.Src.Files ([] : List Text)".to_string(),
        Src::Files(f) => format!("Build.Src.Files {}", list(&texts(f), "Text", i + 2)),
        Src::Fetch(f) => format!(
            "Build.Src.Fetch {{ url = {}, hash = {} }}",
            text(&f.url),
            text(&f.hash)
        ),
        Src::Git(g) => format!(
            "Build.Src.Git {{ url = {}, rev = {}, hash = {} }}",
            text(&g.url),
            text(&g.rev),
            text(&g.hash)
        ),
    };
    let tc = &t.toolchain;
    let host = if triple_let {
        "triple".to_string()
    } else {
        triple(tc.host)
    };
    let target_triple = if triple_let {
        "triple".to_string()
    } else {
        triple(tc.target)
    };
    let comp = if compiler_let {
        "compiler".to_string()
    } else {
        compiler(&tc.compiler)
    };
    let fl = |v: &[CFlag]| {
        list(
            &v.iter().map(cflag).collect::<Vec<_>>(),
            "CFlags.CFlag",
            i + 4,
        )
    };
    let toolchain = toolchain_record(
        [
            &comp,
            &host,
            &target_triple,
            &fl(&tc.cflags),
            &fl(&tc.cxxflags),
            &list(
                &tc.ldflags.iter().map(ldflag).collect::<Vec<_>>(),
                "LDFlags.LDFlag",
                i + 4,
            ),
            &opt_text(tc.sysroot.as_ref()),
        ],
        i,
    );
    let fields = [
        ("name", text(&t.name)),
        ("srcs", srcs),
        (
            "deps",
            list(
                &t.deps.iter().map(dep).collect::<Vec<_>>(),
                "Build.Dep",
                i + 2,
            ),
        ),
        ("toolchain", toolchain),
        (
            "requires",
            list(
                &t.requires.iter().map(resource).collect::<Vec<_>>(),
                "Resource.Resource",
                i + 2,
            ),
        ),
    ];
    record(&mut s, &fields);
    s
}

/// One BUILD.dhall in the engine's form. `about` says in a comment what each target is (its
/// kind and output, from confess's own form), by name.
pub fn render_package(p: &Package, root: &EngineRoot, about: &dyn Fn(&str) -> String) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "-- {}: the targets of {}, in the engine's form: List Target of its Build.dhall.",
        build_file(&p.dir),
        if p.dir == "." {
            "the source root"
        } else {
            &p.dir
        }
    );
    s.push_str(
        "-- What the engine's Target cannot say (kind, outputs, headers, per-source flags, generated\n\
         -- files) is in BUILD.confess.dhall beside this file, in confess's own schema.\n\
         -- Paths are relative to the source root; \"[build]/\" marks the build tree, \"[out]/\" confess's\n\
         -- output directory.\n",
    );
    for (name, file) in MODULES {
        let _ = writeln!(s, "let {name} = {}\n", root.import(&p.dir, file));
    }
    let triples: std::collections::BTreeSet<&Triple> = p
        .targets
        .iter()
        .flat_map(|t| [&t.toolchain.host, &t.toolchain.target])
        .collect();
    let compilers: std::collections::BTreeSet<&Compiler> =
        p.targets.iter().map(|t| &t.toolchain.compiler).collect();
    let triple_let = triples.len() == 1;
    let compiler_let = compilers.len() == 1;
    if let (true, Some(t)) = (triple_let, triples.iter().next()) {
        let _ = writeln!(s, "let triple = {}\n", triple(**t));
    }
    if let (true, Some(c)) = (compiler_let, compilers.iter().next()) {
        let _ = writeln!(s, "let compiler = {}\n", compiler(c));
    }
    if p.targets.is_empty() {
        s.push_str("in  [] : List Build.Target\n");
        return s;
    }
    for (k, t) in p.targets.iter().enumerate() {
        s.push_str(if k == 0 { "in  [ " } else { "\n    , " });
        s.push_str(&target(t, &about(&t.name), triple_let, compiler_let));
    }
    s.push_str("\n    ]\n  : List Build.Target\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_relative_to_the_manifest_or_name_the_checkout() {
        assert_eq!(
            EngineRoot::Bundled.import(".", "Build.dhall"),
            "./engine/Build.dhall"
        );
        assert_eq!(
            EngineRoot::Bundled.import("lib/sub", "CFlags.dhall"),
            "../../engine/CFlags.dhall"
        );
        assert_eq!(
            EngineRoot::Dir("/home/u/aleph/src/armitage/dhall".into()).import("lib", "Build.dhall"),
            "/home/u/aleph/src/armitage/dhall/Build.dhall"
        );
        assert_eq!(
            EngineRoot::Dir("/my engine/dhall".into()).import(".", "Build.dhall"),
            "/\"my engine\"/dhall/Build.dhall"
        );
    }
}
