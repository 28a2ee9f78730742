//! The manifests: per source directory that owns targets, under `dhall/` of the output
//! directory and mirroring the source tree, a BUILD.dhall in the engine's form
//! (`emit::engine_dhall`) and a BUILD.confess.dhall in confess's own form, rendered here, with
//! confess's schema beside them (`dhall/schema.dhall`) imported by relative path. Pure text
//! rendering in a fixed order: byte-identical output for the same targets.

pub use super::dhall_text::{build_file, text};
use super::dhall_text::{import_path, list, opt_text, record, toolchain_record};
use crate::model::{
    Arch, AsmFlag, Assembler, Assembly, CFlag, Compiler, Cpu, Dep, Generated, Gpu, LDFlag,
    LinkItem, Lto, OutsideHeader, Override, Owner, Package, Producer, Resource, Src, Target,
    Toolchain, Triple, Vendor, Version, ABI, OS,
};
use std::fmt::Write;

/// The schema, as shipped in the output directory.
pub const SCHEMA: &str = include_str!("../../dhall/schema.dhall");

fn alt<T: std::fmt::Debug>(union: &str, v: T) -> String {
    format!("S.{union}.{v:?}")
}

fn other(union: &str, label: &str, v: &str) -> String {
    format!("(S.{union}.{label} {})", text(v))
}

fn triple(t: &Triple) -> String {
    let arch = match &t.arch {
        Arch::Other(s) => other("Arch", "Other", s),
        a => alt("Arch", a),
    };
    let vendor = match &t.vendor {
        Vendor::Other(s) => other("Vendor", "Other", s),
        v => alt("Vendor", v),
    };
    let os = match &t.os {
        OS::Other(s) => other("OS", "Other", s),
        o => alt("OS", o),
    };
    let abi = match &t.abi {
        ABI::Other(s) => other("ABI", "Other", s),
        a => alt("ABI", a),
    };
    let cpu = match &t.cpu {
        Cpu::Named(s) => other("Cpu", "Named", s),
        c => alt("Cpu", c),
    };
    let gpu = match &t.gpu {
        Gpu::SM(n) => format!("(S.Gpu.SM {n})"),
        Gpu::NoGPU => "S.Gpu.NoGPU".into(),
    };
    format!(
        "{{ arch = {arch}, vendor = {vendor}, os = {os}, abi = {abi}, cpu = {cpu}, gpu = {gpu} }}"
    )
}

fn compiler(c: &Compiler) -> String {
    let v = |label: &str, v: &Version| {
        format!("S.Compiler.{label} {{ version = {} }}", text(&v.version))
    };
    match c {
        Compiler::GCC(x) => v("GCC", x),
        Compiler::Clang(x) => v("Clang", x),
        Compiler::NVClang(x) => v("NVClang", x),
        Compiler::NVCC(x) => v("NVCC", x),
        Compiler::Rustc(x) => v("Rustc", x),
        Compiler::GHC(x) => v("GHC", x),
        Compiler::Lean(x) => v("Lean", x),
        Compiler::Unknown(n) => format!(
            "S.Compiler.Unknown {{ name = {}, version = {} }}",
            text(&n.name),
            text(&n.version)
        ),
    }
}

#[must_use]
pub fn cflag(f: &CFlag) -> String {
    let t = |label: &str, v: &str| format!("S.CFlag.{label} {}", text(v));
    match f {
        CFlag::Optimize(o) => format!("S.CFlag.Optimize S.OptLevel.{o:?}"),
        CFlag::Debug(n) => format!("S.CFlag.Debug {n}"),
        CFlag::DebugFormat(s) => t("DebugFormat", s),
        CFlag::Std(s) => format!("S.CFlag.Std S.Std.{s:?}"),
        CFlag::LTO(Lto::Jobs(n)) => format!("S.CFlag.LTO (S.LTO.Jobs {n})"),
        CFlag::LTO(l) => format!("S.CFlag.LTO S.LTO.{l:?}"),
        CFlag::NoLTO => "S.CFlag.NoLTO".into(),
        CFlag::Define(d) => format!(
            "S.CFlag.Define {{ name = {}, value = {} }}",
            text(&d.name),
            opt_text(d.value.as_ref())
        ),
        CFlag::Undefine(s) => t("Undefine", s),
        CFlag::Include(s) => t("Include", s),
        CFlag::System(s) => t("System", s),
        CFlag::Quote(s) => t("Quote", s),
        CFlag::DirAfter(s) => t("DirAfter", s),
        CFlag::IncludeFile(s) => t("IncludeFile", s),
        CFlag::MacrosFile(s) => t("MacrosFile", s),
        CFlag::Visibility(v) => format!("S.CFlag.Visibility S.SymbolVisibility.{v:?}"),
        CFlag::StackProtector(p) => format!("S.CFlag.StackProtector S.StackProtector.{p:?}"),
        CFlag::Warn(s) => t("Warn", s),
        CFlag::NoWarn(s) => t("NoWarn", s),
        CFlag::WarnError(s) => t("WarnError", s),
        CFlag::Feature(x) => format!(
            "S.CFlag.Feature {{ name = {}, enabled = {} }}",
            text(&x.name),
            if x.enabled { "True" } else { "False" }
        ),
        CFlag::March(s) => t("March", s),
        CFlag::Mtune(s) => t("Mtune", s),
        CFlag::Machine(s) => t("Machine", s),
        CFlag::Language(s) => t("Language", s),
        CFlag::Param(p) => format!(
            "S.CFlag.Param {{ name = {}, value = {} }}",
            text(&p.name),
            text(&p.value)
        ),
        CFlag::Assembler(s) => t("Assembler", s),
        CFlag::Raw(s) => t("Raw", s),
        unit => format!("S.CFlag.{unit:?}"),
    }
}

#[must_use]
pub fn ldflag(f: &LDFlag) -> String {
    let t = |label: &str, v: &str| format!("S.LDFlag.{label} {}", text(v));
    match f {
        LDFlag::LibPath(s) => t("LibPath", s),
        LDFlag::Rpath(s) => t("Rpath", s),
        LDFlag::RpathLink(s) => t("RpathLink", s),
        LDFlag::GroupDeps => "S.LDFlag.GroupDeps".into(),
        LDFlag::Soname(s) => t("Soname", s),
        LDFlag::VersionScript(s) => t("VersionScript", s),
        LDFlag::ZKeyword(s) => t("ZKeyword", s),
        LDFlag::LinkerOptimize(n) => format!("S.LDFlag.LinkerOptimize {n}"),
        LDFlag::BuildId(o) => format!("S.LDFlag.BuildId ({})", opt_text(o.as_ref())),
        LDFlag::HashStyle(s) => t("HashStyle", s),
        LDFlag::Script(s) => t("Script", s),
        LDFlag::Entry(s) => t("Entry", s),
        LDFlag::UndefinedSymbol(s) => t("UndefinedSymbol", s),
        LDFlag::Compiler(c) => format!("S.LDFlag.Compiler ({})", cflag(c)),
        LDFlag::Raw(s) => t("Raw", s),
        unit => format!("S.LDFlag.{unit:?}"),
    }
}

fn dep(d: &Dep) -> String {
    match d {
        Dep::Local(s) => format!("S.Dep.Local {}", text(s)),
        Dep::External(e) => format!(
            "S.Dep.External {{ hash = {}, name = {} }}",
            text(&e.hash),
            text(&e.name)
        ),
        Dep::PkgConfig(s) => format!("S.Dep.PkgConfig {}", text(s)),
        Dep::Flake(s) => format!("S.Dep.Flake {}", text(s)),
        Dep::Package(p) => format!(
            "S.Dep.Package {{ name = {}, method = S.PackageMethod.{:?}, version = {}, libraries = {} }}",
            text(&p.name),
            p.method,
            text(&p.version),
            if p.libraries.is_empty() {
                "[] : List Text".to_string()
            } else {
                format!("[ {} ]", texts(&p.libraries).join(", "))
            }
        ),
        Dep::Library(s) => format!("S.Dep.Library {}", text(s)),
        Dep::File(s) => format!("S.Dep.File {}", text(s)),
    }
}

fn asm_flag(f: &AsmFlag) -> String {
    let t1 = |alt: &str, v: &str| format!("S.AsmFlag.{alt} {}", text(v));
    match f {
        AsmFlag::Format(v) => t1("Format", v),
        AsmFlag::Include(v) => t1("Include", v),
        AsmFlag::Define(d) => format!(
            "S.AsmFlag.Define {{ name = {}, value = {} }}",
            text(&d.name),
            opt_text(d.value.as_ref())
        ),
        AsmFlag::Undefine(v) => t1("Undefine", v),
        AsmFlag::PreInclude(v) => t1("PreInclude", v),
        AsmFlag::Debug(v) => format!("S.AsmFlag.Debug ({})", opt_text(v.as_ref())),
        AsmFlag::Optimize(v) => t1("Optimize", v),
        AsmFlag::Warn(v) => t1("Warn", v),
        AsmFlag::Raw(v) => t1("Raw", v),
    }
}

fn link_item(l: &LinkItem) -> String {
    match l {
        LinkItem::Source(s) => format!("S.LinkItem.Source {}", text(s)),
        LinkItem::Object(s) => format!("S.LinkItem.Object {}", text(s)),
        LinkItem::Dep(d) => format!("S.LinkItem.Dep ({})", dep(d)),
        LinkItem::Option(o) => format!("S.LinkItem.Option S.LinkOption.{o:?}"),
    }
}

fn resource(r: &Resource) -> String {
    match r {
        Resource::Pure => "S.Resource.Pure".into(),
        Resource::Network => "S.Resource.Network".into(),
        Resource::Auth(s) => format!("S.Resource.Auth {}", text(s)),
        Resource::Sandbox(s) => format!("S.Resource.Sandbox {}", text(s)),
        Resource::Filesystem(s) => format!("S.Resource.Filesystem {}", text(s)),
    }
}

fn texts(v: &[String]) -> Vec<String> {
    v.iter().map(|s| text(s)).collect()
}

/// Indentation of what continues a field's value in a target record.
const FIELD_INDENT: usize = 8;

fn target(t: &Target, triple_let: Option<&str>, compiler_let: Option<&str>) -> String {
    let i = FIELD_INDENT;
    let mut s = String::new();
    let what = t.kind.as_str();
    match &t.origin {
        Some(o) => {
            let _ = writeln!(s, "-- {}: {what}, defined at {}:{}", t.name, o.file, o.line);
        }
        None => {
            let _ = writeln!(s, "-- {}: {what}, output {}", t.name, t.output);
        }
    }
    let outside: Vec<String> = t.outside_headers.iter().map(outside_header).collect();
    let overrides: Vec<String> = t.overrides.iter().map(|o| override_value(o, i)).collect();
    let assembled: Vec<String> = t.assembled.iter().map(|a| assembly(a, i)).collect();
    let generated: Vec<String> = t.generated.iter().map(|g| generated(g, i)).collect();
    let origin = match &t.origin {
        Some(o) => format!("Some {{ file = {}, line = {} }}", text(&o.file), o.line),
        None => "None S.Origin".into(),
    };
    let fields = [
        ("name", text(&t.name)),
        ("kind", alt("TargetKind", t.kind)),
        ("output", text(&t.output)),
        ("aliases", list(&texts(&t.aliases), "Text", i + 2)),
        ("srcs", srcs(&t.srcs, i)),
        ("headers", list(&texts(&t.headers), "Text", i + 2)),
        ("outside_headers", list(&outside, "S.OutsideHeader", i + 2)),
        (
            "deps",
            list(&t.deps.iter().map(dep).collect::<Vec<_>>(), "S.Dep", i + 2),
        ),
        (
            "toolchain",
            toolchain(&t.toolchain, triple_let, compiler_let, i),
        ),
        ("overrides", list(&overrides, "S.Override", i + 2)),
        ("assembled", list(&assembled, "S.Assembly", i + 2)),
        (
            "link",
            list(
                &t.link.iter().map(link_item).collect::<Vec<_>>(),
                "S.LinkItem",
                i + 2,
            ),
        ),
        ("generated", list(&generated, "S.Generated", i + 2)),
        (
            "requires",
            list(
                &t.requires.iter().map(resource).collect::<Vec<_>>(),
                "S.Resource",
                i + 2,
            ),
        ),
        ("visibility", alt("Visibility", t.visibility)),
        ("origin", origin),
    ];
    record(&mut s, &fields);
    s
}

/// A target's sources, its value `i` deep.
fn srcs(srcs: &Src, i: usize) -> String {
    match srcs {
        // An empty list is annotated, and an annotation as an argument needs parentheses.
        Src::Files(f) if f.is_empty() => "S.Src.Files ([] : List Text)".to_string(),
        Src::Files(f) => format!("S.Src.Files {}", list(&texts(f), "Text", i + 2)),
        Src::Fetch(f) => format!(
            "S.Src.Fetch {{ url = {}, hash = {} }}",
            text(&f.url),
            text(&f.hash)
        ),
        Src::Git(g) => format!(
            "S.Src.Git {{ url = {}, rev = {}, hash = {} }}",
            text(&g.url),
            text(&g.rev),
            text(&g.hash)
        ),
    }
}

/// A header from outside the trees, with its owner.
fn outside_header(h: &OutsideHeader) -> String {
    let owner = match &h.owner {
        Owner::Toolchain => "S.Owner.Toolchain".to_string(),
        Owner::Package(p) => format!("S.Owner.Package {}", text(p)),
        Owner::Filesystem => "S.Owner.Filesystem".to_string(),
    };
    format!("{{ path = {}, owner = {owner} }}", text(&h.path))
}

/// A list of compile flags, `ind` deep.
fn cflags(v: &[CFlag], ind: usize) -> String {
    list(&v.iter().map(cflag).collect::<Vec<_>>(), "S.CFlag", ind)
}

/// A target's toolchain, its value `i` deep; the triples and the compiler as the package's
/// `let`s when it has them.
fn toolchain(
    tc: &Toolchain,
    triple_let: Option<&str>,
    compiler_let: Option<&str>,
    i: usize,
) -> String {
    let host = triple_let.map_or_else(|| triple(&tc.host), str::to_string);
    let target_triple = triple_let.map_or_else(|| triple(&tc.target), str::to_string);
    let comp = compiler_let.map_or_else(|| compiler(&tc.compiler), str::to_string);
    toolchain_record(
        [
            &comp,
            &host,
            &target_triple,
            &cflags(&tc.cflags, i + 4),
            &cflags(&tc.cxxflags, i + 4),
            &list(
                &tc.ldflags.iter().map(ldflag).collect::<Vec<_>>(),
                "S.LDFlag",
                i + 4,
            ),
            &opt_text(tc.sysroot.as_ref()),
        ],
        i,
    )
}

/// A source's compile flags that differ from its target's.
fn override_value(o: &Override, i: usize) -> String {
    format!(
        "{{ src = {}\n{p}  , object = {}\n{p}  , flags = {}\n{p}  }}",
        text(&o.src),
        opt_text(o.object.as_ref()),
        cflags(&o.flags, i + 6),
        p = " ".repeat(i + 2)
    )
}

/// An assembler call of a source.
fn assembly(a: &Assembly, i: usize) -> String {
    let (alt, v) = match &a.assembler {
        Assembler::Nasm(v) => ("Nasm", v),
        Assembler::Yasm(v) => ("Yasm", v),
        Assembler::GnuAs(v) => ("GnuAs", v),
    };
    format!(
        "{{ src = {}\n{p}  , object = {}\n{p}  , assembler = S.Assembler.{alt} {{ version = {} }}\n{p}  , flags = {}\n{p}  }}",
        text(&a.src),
        opt_text(a.object.as_ref()),
        text(&v.version),
        list(
            &a.flags.iter().map(asm_flag).collect::<Vec<_>>(),
            "S.AsmFlag",
            i + 6
        ),
        p = " ".repeat(i + 2)
    )
}

/// A generated file and its producer.
fn generated(g: &Generated, i: usize) -> String {
    let producer = match &g.producer {
        Producer::Program(p) => format!(
            "S.Producer.Program {{ tool = {}, argv = {}, cwd = {} }}",
            text(&p.tool),
            list(&texts(&p.argv), "Text", i + 4),
            text(&p.cwd)
        ),
        Producer::Unrecorded => "S.Producer.Unrecorded".into(),
    };
    format!("{{ path = {}, producer = {producer} }}", text(&g.path))
}

/// Where a package's companion goes, relative to `dhall/`.
#[must_use]
pub fn companion_file(dir: &str) -> String {
    if dir == "." {
        COMPANION.into()
    } else {
        format!("{dir}/{COMPANION}")
    }
}

/// The companion's file name: confess's own form beside each BUILD.dhall.
pub const COMPANION: &str = "BUILD.confess.dhall";

/// One BUILD.confess.dhall: confess's own form of a package's targets.
#[must_use]
pub fn render_package(p: &Package) -> String {
    let depth = if p.dir == "." {
        0
    } else {
        p.dir.split('/').count()
    };
    let schema = if depth == 0 {
        "./schema.dhall".to_string()
    } else {
        format!("{}schema.dhall", "../".repeat(depth))
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "-- {}: the targets of {}, in confess's own form.",
        companion_file(&p.dir),
        if p.dir == "." {
            "the source root"
        } else {
            &p.dir
        }
    );
    s.push_str(
        "-- Each target extends the engine target of the same name in BUILD.dhall beside this file\n\
         -- with what the engine's Target cannot say: kind, output, aliases, headers, per-source flags,\n\
         -- generated files and their programs, origin; flags and deps in confess's own typed vocabulary.\n\
         -- Paths are relative to the source root; \"[build]/\" marks the build tree. Types: schema.dhall.\n",
    );
    let _ = writeln!(s, "let S = {schema}\n");
    // One toolchain triple and compiler for the whole file, when they are the same throughout.
    let triples: std::collections::BTreeSet<&Triple> = p
        .targets
        .iter()
        .flat_map(|t| [&t.toolchain.host, &t.toolchain.target])
        .collect();
    let compilers: std::collections::BTreeSet<&Compiler> =
        p.targets.iter().map(|t| &t.toolchain.compiler).collect();
    let triple_let = (triples.len() == 1).then_some("triple");
    let compiler_let = (compilers.len() == 1).then_some("compiler");
    if let Some(t) = triples.iter().next().filter(|_| triple_let.is_some()) {
        let _ = writeln!(s, "let triple = {}\n", triple(t));
    }
    if let Some(c) = compilers.iter().next().filter(|_| compiler_let.is_some()) {
        let _ = writeln!(s, "let compiler = {}\n", compiler(c));
    }
    for (k, t) in p.targets.iter().enumerate() {
        s.push_str(if k == 0 { "in  [ " } else { "\n    , " });
        s.push_str(&target(t, triple_let, compiler_let));
    }
    s.push_str("\n    ]\n  : List S.Target\n");
    s
}

/// The index of every package: `dhall/packages.dhall`, each directory with its engine targets
/// (when there is an engine form) and its own-form targets.
#[must_use]
pub fn render_index(
    packages: &[Package],
    engine: Option<&crate::emit::engine_dhall::EngineRoot>,
) -> String {
    let mut s = String::from(
        "-- packages.dhall: every manifest of this confession, by source directory.\n",
    );
    if let Some(root) = engine {
        let _ = writeln!(s, "let Build = {}\n", root.import(".", "Build.dhall"));
    }
    s.push_str("let S = ./schema.dhall\n\nin  ");
    let items: Vec<String> = packages
        .iter()
        .map(|p| {
            let at = |file: &str| {
                if p.dir == "." {
                    format!("./{file}")
                } else {
                    format!("./{}/{file}", import_path(&p.dir))
                }
            };
            match engine {
                Some(_) => format!(
                    "{{ dir = {}, targets = {}, confess = {} }}",
                    text(&p.dir),
                    at("BUILD.dhall"),
                    at(COMPANION)
                ),
                None => format!("{{ dir = {}, confess = {} }}", text(&p.dir), at(COMPANION)),
            }
        })
        .collect();
    let ty = match engine {
        Some(_) => "{ dir : Text, targets : List Build.Target, confess : List S.Target }",
        None => "{ dir : Text, confess : List S.Target }",
    };
    s.push_str(&list(&items, ty, 4));
    if !items.is_empty() {
        let _ = write!(s, " : List {ty}");
    }
    s.push('\n');
    s
}

/// One entry of `dhall/packages.dhall` with an engine form, as serde_dhall reads it back.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct IndexEntry {
    pub dir: String,
    pub targets: Vec<crate::engine::model::Target>,
    pub confess: Vec<Target>,
}

/// Writes `dhall/` (the schemas, the engine form and the companion of each package, the
/// index) into the output directory. The engine form and `dhall/engine/` are written only when
/// every toolchain has one (`Confessed::engine_lacks` says when not).
pub fn write_all(
    out: &std::path::Path,
    c: &crate::targets::Confessed,
    root: &crate::emit::engine_dhall::EngineRoot,
) -> crate::error::Result<()> {
    use crate::emit::engine_dhall::{self, EngineRoot};
    use crate::error::Error;
    let write = |p: &std::path::Path, text: &str| -> crate::error::Result<()> {
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
        }
        std::fs::write(p, text).map_err(|e| Error::io("writing", p, e))
    };
    let dir = out.join("dhall");
    write(&dir.join("schema.dhall"), SCHEMA)?;
    let engine = c.engine_lacks.is_none();
    if engine && *root == EngineRoot::Bundled {
        for (name, text) in crate::engine::DECLARATION {
            write(&dir.join("engine").join(name), text)?;
        }
    }
    for (k, p) in c.packages.iter().enumerate() {
        write(&dir.join(companion_file(&p.dir)), &render_package(p))?;
        if let (true, Some(e)) = (engine, c.engine.get(k)) {
            let about = |name: &str| -> String {
                match p.targets.iter().find(|t| t.name == name) {
                    Some(t) => format!("{}, output {}", t.kind.as_str(), t.output),
                    None => String::new(),
                }
            };
            write(
                &dir.join(build_file(&p.dir)),
                &engine_dhall::render_package(e, root, &about),
            )?;
        }
    }
    write(
        &dir.join("packages.dhall"),
        &render_index(&c.packages, engine.then_some(root)),
    )
}

/// Writes `targets.json` (what `confess targets` and `confess explain` read) and `report.md`
/// into the output directory `out`.
pub fn write_records(
    out: &std::path::Path,
    c: &crate::targets::Confessed,
) -> crate::error::Result<()> {
    use crate::error::Error;
    let targets = out.join("targets.json");
    crate::emit::write_pretty_json(&targets, c).map_err(|e| Error::io("writing", &targets, e))?;
    let report = out.join("report.md");
    std::fs::write(&report, crate::emit::report::render(c))
        .map_err(|e| Error::io("writing", &report, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_interpolation_and_quotes() {
        assert_eq!(text("a\"b${c}\\"), "\"a\\\"b\\${c}\\\\\"");
    }

    /// Every alternative of every union of both forms, rendered and read back with serde_dhall,
    /// the engine form with its type checked against the engine's types (the reference checker
    /// runs on the same files in tests/dhall.rs).
    #[test]
    fn every_alternative_reads_back() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = crate::model::every_alternative();
        let e = crate::engine::Package {
            dir: p.dir.clone(),
            targets: crate::engine::model::every_alternative(),
        };
        let c = crate::targets::Confessed {
            schema: crate::targets::SCHEMA.into(),
            packages: vec![p.clone()],
            engine: vec![e.clone()],
            ..Default::default()
        };
        let root = crate::emit::engine_dhall::EngineRoot::Bundled;
        write_all(tmp.path(), &c, &root).expect("write");
        let dir = tmp.path().join("dhall/every alternative");
        let back: Vec<Target> = serde_dhall::from_file(dir.join(COMPANION))
            .parse()
            .expect("serde_dhall reads the companion");
        assert_eq!(back, p.targets);
        let back: Vec<crate::engine::model::Target> =
            serde_dhall::from_file(dir.join("BUILD.dhall"))
                .static_type_annotation()
                .parse()
                .expect("serde_dhall reads the engine form as exactly the engine's List Target");
        assert_eq!(back, e.targets);
        let all: Vec<IndexEntry> = serde_dhall::from_file(tmp.path().join("dhall/packages.dhall"))
            .parse()
            .expect("serde_dhall reads the index");
        assert_eq!(
            all,
            vec![IndexEntry {
                dir: p.dir.clone(),
                targets: e.targets,
                confess: p.targets
            }]
        );
    }

    #[test]
    fn import_paths_quote_odd_components() {
        assert_eq!(import_path("lib/sub"), "lib/sub");
        assert_eq!(import_path("my dir/x"), "\"my dir\"/x");
    }
}
