//! The BUILD.dhall manifests of every fixture: they type-check with the reference Dhall
//! implementation and read back through serde_dhall equal to what was written; each target's
//! headers equal gcc -M's (restricted to the project); no Raw flags; the expected targets,
//! names, dependencies and generated files; byte-identical across runs and -j; and the
//! `confess targets` and `confess explain` commands read them back.

mod common;
use common::*;
use confess::targets::model::*;
use confess::targets::Confessed;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

fn confessed(run: &Run, src: &Path) -> Confessed {
    run.assert_ok();
    let c = dhall::check(&run.out);
    dhall::check_headers(&run.out, src, &c);
    c
}

fn target<'a>(c: &'a Confessed, dir: &str, name: &str) -> &'a Target {
    c.targets()
        .find(|(d, t)| *d == dir && t.name == name)
        .map_or_else(
            || {
                panic!(
                    "no target {dir}:{name}; there are {:?}",
                    c.targets()
                        .map(|(d, t)| format!("{d}:{}", t.name))
                        .collect::<Vec<_>>()
                )
            },
            |(_, t)| t,
        )
}

fn raw_count(c: &Confessed) -> usize {
    confess::emit::report::raw_flags(c).len()
}

fn make_fixture(name: &str) -> (Confessed, tempfile::TempDir, Run) {
    require("make", "make");
    let fx = fixture(&format!("make/{name}"));
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(tmp.path(), &["make", fx.to_str().expect("utf-8")]);
    let c = confessed(&run, &fx);
    let report = run.read("report.md");
    assert_eq!(raw_count(&c), 0, "{name}: Raw flags\n{report}");
    // The report says what the `[build]/` of its paths is, once, right after the targets.
    assert_eq!(
        report.matches("`[build]/` marks the build tree").count(),
        1,
        "{report}"
    );
    (c, tmp, run)
}

macro_rules! make_fixtures {
    ($($test:ident => $dir:literal,)*) => {
        $( #[test] fn $test() { make_fixture($dir); } )*

        #[test]
        fn every_make_fixture_has_a_manifest_test() {
            let listed = [$($dir),*];
            for e in std::fs::read_dir(fixture("make")).expect("fixtures/make").flatten() {
                if e.path().is_dir() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    assert!(listed.contains(&name.as_str()), "fixtures/make/{name} has no test in tests/dhall.rs");
                }
            }
        }
    };
}

make_fixtures! {
    make_shared_lib => "shared-lib",
    make_subdirs => "subdirs",
    make_spaces => "spaces",
    make_response_file => "response-file",
    make_compile_and_link => "compile-and-link",
    make_multi_source => "multi-source",
    make_depfiles => "depfiles",
    make_hardcoded_gcc => "hardcoded-gcc",
    make_cxx => "cxx",
    make_static_lib => "static-lib",
    make_recursive => "recursive",
    make_codegen => "codegen",
    make_moved => "moved",
    make_same_source_twice => "same-source-twice",
    make_assemblers => "assemblers",
}

#[test]
fn assembled_sources_are_typed_with_their_assembler_and_options() {
    require("nasm", "nasm");
    require("yasm", "yasm");
    let (c, _tmp, run) = make_fixture("assemblers");
    let fast = target(&c, ".", "fast");
    let app = target(&c, ".", "app");
    assert_eq!(
        fast.srcs,
        Src::Files(vec!["sum.asm".into(), "twice.asm".into()])
    );
    let by_src = |t: &Target, s: &str| -> Assembly {
        t.assembled
            .iter()
            .find(|a| a.src == s)
            .unwrap_or_else(|| panic!("{}: no assembly of {s}: {:?}", t.name, t.assembled))
            .clone()
    };
    let def = |n: &str, v: &str| {
        AsmFlag::Define(Define {
            name: n.into(),
            value: Some(v.into()),
        })
    };
    let sum = by_src(fast, "sum.asm");
    assert!(
        matches!(&sum.assembler, Assembler::Nasm(v) if v.version.starts_with('2')),
        "{sum:?}"
    );
    assert_eq!(
        sum.flags,
        vec![
            AsmFlag::Format("elf64".into()),
            AsmFlag::Include("inc".into()),
            def("SCALE", "3")
        ]
    );
    let twice = by_src(fast, "twice.asm");
    assert!(matches!(twice.assembler, Assembler::Yasm(_)), "{twice:?}");
    assert_eq!(
        twice.flags,
        vec![AsmFlag::Format("elf64".into()), def("DOUBLE", "2")]
    );
    let tag = by_src(app, "tag.s");
    assert!(matches!(tag.assembler, Assembler::GnuAs(_)), "{tag:?}");
    assert_eq!(
        tag.flags,
        vec![
            AsmFlag::Raw("--64".into()),
            AsmFlag::Include("inc".into()),
            def("TAG", "42")
        ]
    );
    // What the assemblers' preprocessors read are the targets' headers; the raw image nasm
    // includes is a generated file of the build.
    assert!(
        fast.headers.contains(&"inc/macros.inc".to_string()),
        "{:?}",
        fast.headers
    );
    assert!(
        app.headers.contains(&"inc/tag.inc".to_string()),
        "{:?}",
        app.headers
    );
    assert!(
        fast.generated.iter().any(|g| g.path == "[build]/blob.bin"),
        "{:?}",
        fast.generated
    );
    // explain shows each assembler call as the manifest build runs it.
    let shown = explain(&run.out, "fast");
    assert!(
        shown.contains("\nassembled (2):\n  sum.asm: nasm 2.")
            && shown.contains(" -f elf64 -Iinc -DSCALE=3\n  twice.asm: yasm 1.")
            && shown.contains(" -f elf64 -DDOUBLE=2\n"),
        "{shown}"
    );
    // The C flags are the C compile's alone; the link places the assembled object.
    assert_eq!(app.toolchain.cflags, vec![CFlag::Optimize(OptLevel::O2)]);
    assert_eq!(
        app.link,
        vec![
            LinkItem::Source("main.c".into()),
            LinkItem::Source("tag.s".into()),
            LinkItem::Dep(Dep::Local(":fast".into()))
        ]
    );
}

#[test]
fn a_source_compiled_twice_is_two_compiles_in_the_manifests() {
    // area.c and names.c go plainly into libshape.a and again, with -fPIC, hidden visibility
    // and a define, into libshape.so in one compile-and-link call.
    let (c, _tmp, _run) = make_fixture("same-source-twice");
    let shared = target(&c, ".", "shape_shared");
    let stat = target(&c, ".", "shape");
    assert_eq!(stat.toolchain.cflags, vec![CFlag::Optimize(OptLevel::O2)]);
    assert!(
        shared.toolchain.cflags.contains(&CFlag::PIC)
            && shared
                .toolchain
                .cflags
                .contains(&CFlag::Visibility(SymbolVisibility::Hidden)),
        "{:?}",
        shared.toolchain.cflags
    );
    // Each links its own objects, in the recorded order.
    for t in [shared, stat] {
        assert_eq!(
            t.link,
            vec![
                LinkItem::Source("area.c".into()),
                LinkItem::Source("names.c".into())
            ],
            "{}",
            t.name
        );
    }
}

#[test]
fn meson_variants_type_check_with_their_objects_and_link_lines() {
    require("meson", "meson");
    require("ninja", "ninja-build");
    let fx = fixture("meson/variants");
    let tmp = tempfile::tempdir().expect("tmp");
    let run = confess(tmp.path(), &["meson", fx.to_str().expect("utf-8")]);
    run.assert_ok();
    // The manifests type-check and read back (the header check runs gcc -M where the compiles
    // ran, and meson names its sources from a build directory beside the scratch sources).
    let c = dhall::check(&run.out);
    let pixel = target(&c, ".", "pixel");
    let objects: Vec<&str> = pixel
        .overrides
        .iter()
        .filter_map(|o| o.object.as_deref())
        .collect();
    assert_eq!(
        objects,
        vec![
            "[build]/libpixel_16.a.p/src_pixel_tmpl.c.o",
            "[build]/libpixel_8.a.p/src_pixel_tmpl.c.o"
        ]
    );
    assert_eq!(
        pixel.link[..3],
        [
            LinkItem::Object("[build]/libpixel_8.a.p/src_pixel_tmpl.c.o".into()),
            LinkItem::Object("[build]/libpixel_16.a.p/src_pixel_tmpl.c.o".into()),
            LinkItem::Source("src/pixel.c".into()),
        ]
    );
    assert!(
        pixel.link.contains(&LinkItem::Option(LinkOption::AsNeeded)),
        "{:?}",
        pixel.link
    );
}

#[test]
fn moved_and_copied_artifacts() {
    // `cc -o app.tmp ... && mv app.tmp app`, and `cp libpart.a lib/libpart.a`: the program's
    // output is where the move put it, the copy is the archive's alias, and nothing is
    // transient.
    let (c, _tmp, _run) = make_fixture("moved");
    let app = target(&c, ".", "app");
    assert_eq!(app.output, "[build]/app");
    assert!(app.aliases.is_empty(), "{:?}", app.aliases);
    let part = target(&c, ".", "part");
    assert_eq!(part.output, "[build]/libpart.a");
    assert_eq!(part.aliases, vec!["[build]/lib/libpart.a".to_string()]);
    assert!(c.transient.is_empty(), "{:?}", c.transient);
    // The program links the archive through its copy: the archive target is its dependency.
    assert!(
        app.deps.contains(&Dep::Local(":part".into())),
        "{:?}",
        app.deps
    );
}

#[test]
fn static_library_and_its_user() {
    let (c, _tmp, _run) = make_fixture("static-lib");
    let lib = target(&c, "lib", "util");
    assert_eq!(lib.kind, TargetKind::StaticLibrary);
    assert_eq!(
        lib.srcs,
        Src::Files(vec!["lib/add.c".into(), "lib/twice.c".into()])
    );
    assert_eq!(lib.headers, vec!["include/util.h".to_string()]);
    assert_eq!(
        lib.toolchain.cflags,
        vec![
            CFlag::Optimize(OptLevel::O2),
            CFlag::Warn("all".into()),
            CFlag::Include("include".into())
        ]
    );
    let app = target(&c, ".", "app");
    assert_eq!(app.kind, TargetKind::Executable);
    assert_eq!(app.deps, vec![Dep::Local("//lib:util".into())]);
    assert_eq!(app.requires, vec![Resource::Pure]);
    assert!(app
        .outside_headers
        .iter()
        .all(|h| h.owner == Owner::Toolchain));
}

#[test]
fn recursive_make_refs_across_directories() {
    let (c, _tmp, _run) = make_fixture("recursive");
    let dirs: Vec<&str> = c.packages.iter().map(|p| p.dir.as_str()).collect();
    assert!(dirs.len() >= 2, "{dirs:?}");
    let cross = c
        .targets()
        .flat_map(|(_, t)| t.deps.iter())
        .any(|d| matches!(d, Dep::Local(r) if r.starts_with("//")));
    assert!(cross, "no dependency across directories");
}

#[test]
fn generated_sources_name_the_program_that_made_them() {
    let (c, _tmp, _run) = make_fixture("codegen");
    let app = target(&c, ".", "app");
    let table = app
        .generated
        .iter()
        .find(|g| g.path == "[build]/table.c")
        .expect("table.c generated");
    match &table.producer {
        Producer::Program(p) => assert_eq!(p.tool, ":gen"),
        Producer::Unrecorded => panic!("table.c has no producer"),
    }
    assert!(matches!(&app.srcs, Src::Files(f) if f.contains(&"[build]/table.c".to_string())));
}

#[test]
fn cmake_fixtures_are_named_by_cmake() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    for (name, extra) in [
        ("basic", &[][..]),
        ("features", &["--", "-DFEATURES_FAST=ON"][..]),
        ("packages", &["--deps", "fake"][..]),
        ("link-order", &[][..]),
        ("configure-checks", &[][..]),
    ] {
        let fx = fixture(&format!("cmake/{name}"));
        let tmp = tempfile::tempdir().expect("tmp");
        let mut args = vec!["cmake", fx.to_str().expect("utf-8")];
        args.extend(extra);
        let run = confess(tmp.path(), &args);
        let c = confessed(&run, &fx);
        assert_eq!(
            raw_count(&c),
            0,
            "{name}: Raw flags\n{}",
            run.read("report.md")
        );
        // Every target that CMake builds an artifact for has CMake's name and the line of its
        // definition.
        let (_, _, api) = file_api_targets(&run.out);
        for (api_name, kind) in api {
            let t = c.targets().find(|(_, t)| t.name == api_name).map_or_else(
                || panic!("{name}: CMake target {api_name} has no manifest"),
                |(_, t)| t,
            );
            assert_eq!(t.kind, kind, "{name}: {api_name}");
            let o = t.origin.as_ref().expect("origin");
            assert!(o.file.ends_with("CMakeLists.txt") && o.line > 0, "{o:?}");
        }
        if name == "packages" {
            // Made-up packages are declared dependencies, not Filesystem requirements.
            let deps: Vec<&Dep> = c.targets().flat_map(|(_, t)| t.deps.iter()).collect();
            assert!(
                deps.iter()
                    .any(|d| matches!(d, Dep::Package(_) | Dep::PkgConfig(_))),
                "{deps:?}"
            );
        }
    }
}

/// CMake's names and kinds of the targets it builds artifacts for (File API).
fn file_api_targets(out: &Path) -> (String, String, Vec<(String, TargetKind)>) {
    let names = confess::targets::names::cmake(&out.join("cmake-file-api"));
    let mut v: Vec<(String, TargetKind)> = names
        .by_output
        .values()
        .chain(names.object_dirs.values())
        .map(|n| (n.name.clone(), n.kind.expect("kind")))
        .collect();
    v.sort();
    v.dedup();
    assert!(!v.is_empty(), "no targets in the File API reply");
    (String::new(), String::new(), v)
}

/// The files of a tree and their content (times and modes differ between runs; content and
/// names must not).
fn content_digest(dir: &Path) -> std::collections::BTreeMap<String, String> {
    tree_digest(dir)
        .into_iter()
        .filter(|(_, v)| !v.starts_with("dir "))
        .map(|(k, v)| (k, v.rsplit(' ').next().unwrap_or_default().to_string()))
        .collect()
}

#[test]
fn manifests_are_byte_identical_across_runs_and_jobs() {
    require("make", "make");
    let fx = fixture("make/subdirs");
    let tmp = tempfile::tempdir().expect("tmp");
    let a = confess(
        &tmp.path().join("a"),
        &["make", fx.to_str().expect("utf-8"), "-j1"],
    );
    let b = confess(
        &tmp.path().join("b"),
        &["make", fx.to_str().expect("utf-8"), "-j8"],
    );
    a.assert_ok();
    b.assert_ok();
    let digest = |r: &Run| content_digest(&r.out.join("dhall"));
    assert_eq!(digest(&a), digest(&b));
    for f in ["targets.json", "report.md"] {
        assert_eq!(a.read(f), b.read(f), "{f} differs across runs");
    }
}

#[test]
fn cmake_manifests_are_byte_identical_across_runs_and_jobs() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let fx = fixture("cmake/basic");
    let tmp = tempfile::tempdir().expect("tmp");
    let a = confess(
        &tmp.path().join("a"),
        &["cmake", fx.to_str().expect("utf-8"), "-j1"],
    );
    let b = confess(
        &tmp.path().join("b"),
        &["cmake", fx.to_str().expect("utf-8"), "-j4"],
    );
    a.assert_ok();
    b.assert_ok();
    let content = |r: &Run| content_digest(&r.out.join("dhall"));
    assert_eq!(content(&a), content(&b));
    for f in ["targets.json", "report.md"] {
        assert_eq!(a.read(f), b.read(f), "{f} differs across runs");
    }
}

/// Rust's debug syntax (`GCC(Version { version: "12.2.0" })`, `Local(":cjson")`,
/// `Some("1")`) or the manifests' Dhall (`S.CFlag.Warn "all"`) in what a person reads.
fn debug_syntax(text: &str) -> Option<&str> {
    [
        "Version {",
        "GCC(",
        "Local(",
        "Library(",
        "PkgConfig(",
        "Package(",
        "Some(",
        "Some \"",
        "None",
        "Pure",
        "S.CFlag",
        "S.LDFlag",
        "S.Dep",
        "Define {",
    ]
    .into_iter()
    .find(|d| text.contains(d))
}

/// `confess explain TARGET` on a confession, with the lines that depend on the machine (the
/// compiler's version, the target triple, the number of the C library's headers) checked and
/// replaced by `@COMPILER@`, `@TRIPLE@` and `@N@`.
fn explain(out: &Path, target: &str) -> String {
    let o = confess_command()
        .args(["explain", target, "--out"])
        .arg(out)
        .output()
        .expect("confess explain");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "confess explain {target}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    if let Some(d) = debug_syntax(&text) {
        panic!("explain {target} shows {d:?}:\n{text}");
    }
    text.lines()
        .map(|l| {
            if let Some(rest) = l.strip_prefix("toolchain: ") {
                let (compiler, triple) = rest.split_once(" for ").expect("toolchain: X for Y");
                let (name, version) = compiler.split_once(' ').expect("compiler and version");
                assert!(matches!(name, "gcc" | "clang"), "{l}");
                assert!(
                    version.chars().all(|c| c.is_ascii_digit() || c == '.'),
                    "{l}"
                );
                assert!(
                    triple.starts_with(std::env::consts::ARCH) && triple.ends_with("-linux-gnu"),
                    "{l}"
                );
                "toolchain: @COMPILER@ for @TRIPLE@".to_string()
            } else if let Some(n) = l.strip_prefix("toolchain headers: ") {
                assert!(n.parse::<usize>().is_ok(), "{l}");
                "toolchain headers: @N@".to_string()
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect()
}

#[test]
fn targets_and_explain_read_the_confession() {
    let (_c, _tmp, run) = make_fixture("static-lib");
    let targets = confess_command()
        .args(["targets", "--out"])
        .arg(&run.out)
        .output()
        .expect("confess targets");
    assert!(targets.status.success());
    let text = String::from_utf8_lossy(&targets.stdout);
    assert!(
        text.contains("//lib:util") && text.contains("static library"),
        "{text}"
    );
    assert_eq!(
        explain(&run.out, "//lib:util"),
        "\
//lib:util (static library) -> [build]/lib/libutil.a
manifests: dhall/lib/BUILD.dhall (the engine's form), dhall/lib/BUILD.confess.dhall (confess's own)
toolchain: @COMPILER@ for @TRIPLE@
sources (2):
  lib/add.c
  lib/twice.c
headers (1):
  include/util.h
toolchain headers: @N@
cflags (3):
  -O2
  -Wall
  -Iinclude
cxxflags (0):
ldflags (0):
assembled (0):
raw flags (0):
deps (0):
link line (2):
  (object of lib/add.c)
  (object of lib/twice.c)
generated (0):
requires (1):
  nothing outside the source and build trees
commands (3):
  compile [build]/lib/add.o (in .):
    cc -O2 -Wall -Iinclude -c lib/add.c -o lib/add.o
  compile [build]/lib/twice.o (in .):
    cc -O2 -Wall -Iinclude -c lib/twice.c -o lib/twice.o
  archive [build]/lib/libutil.a (in .):
    ar rcs lib/libutil.a lib/add.o lib/twice.o
"
    );
    let app = explain(&run.out, "app");
    assert!(app.contains("\ndeps (1):\n  //lib:util\n"), "{app}");
    // An unknown target is a usage error naming the ones there are.
    let bad = confess_command()
        .args(["explain", "nosuch", "--out"])
        .arg(&run.out)
        .output()
        .expect("confess explain");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("//lib:util"));
    // No confession there: exit 3, saying what to run.
    let empty = tempfile::tempdir().expect("tmp");
    let none = confess_command()
        .args(["targets", "--out"])
        .arg(empty.path())
        .output()
        .expect("confess targets");
    assert_eq!(none.status.code(), Some(3));
}

/// Flags as the command-line words they stand for, shell-quoted where a shell would change
/// them; dependencies as labels; a shared library's link flags.
#[test]
fn explain_writes_flags_and_deps_as_a_command_line_does() {
    let (_c, _tmp, run) = make_fixture("shared-lib");
    let greet = explain(&run.out, "greet");
    for section in [
        "cflags (3):\n  -O2\n  -fPIC\n  '-DGREETING=\"hello\"'\n",
        "ldflags (1):\n  -Wl,-soname,libgreet.so.1\n",
        "deps (0):\n",
    ] {
        assert!(
            greet.contains(section),
            "explain greet lacks {section:?}:\n{greet}"
        );
    }
    let app = explain(&run.out, "//:app");
    for section in [
        "cflags (1):\n  -O2\n",
        "ldflags (1):\n  -L.\n",
        "deps (1):\n  :greet\n",
    ] {
        assert!(
            app.contains(section),
            "explain app lacks {section:?}:\n{app}"
        );
    }
    let (_c, _tmp, run) = make_fixture("response-file");
    let app = explain(&run.out, "app");
    for section in [
        "cflags (5):\n  -O2\n  -Iinclude\n  '-DMSG=\"two words\"'\n  -DLEVEL=3\n  \
         '-DQUOTED=\"back slashed\"'\n",
        "deps (1):\n  :msg\n",
        "    cc -O2 -Iinclude '-DMSG=\"two words\"' -DLEVEL=3 '-DQUOTED=\"back slashed\"' \
         -c main.c -o main.o\n",
    ] {
        assert!(
            app.contains(section),
            "explain app lacks {section:?}:\n{app}"
        );
    }
}

/// The library's fixtures (test code of its own, not part of the library), whose targets use
/// every alternative of every union of the schema and of the engine's types: the same files
/// the library's unit tests use, read here beside the model they build.
mod targets_model {
    pub use confess::targets::model::*;
    pub mod fixture {
        include!("../extractor/src/model/fixture.rs");
    }
}
mod engine_model {
    pub use confess::engine::model::*;
    pub mod fixture {
        include!("../extractor/src/engine/model/fixture.rs");
    }
}

#[test]
fn every_alternative_of_the_schema_type_checks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = targets_model::fixture::every_alternative();
    let e = confess::engine::Package {
        dir: p.dir.clone(),
        targets: engine_model::fixture::every_alternative(),
    };
    let c = Confessed {
        schema: confess::targets::SCHEMA.into(),
        packages: vec![p],
        engine: vec![e],
        ..Default::default()
    };
    confess::emit::dhall::write_all(
        tmp.path(),
        &c,
        &confess::emit::engine_dhall::EngineRoot::default(),
    )
    .expect("write");
    confess::emit::dhall::write_records(tmp.path(), &c).expect("write targets.json");
    // The same checks as on a confession (no compile commands: no header check).
    let back = dhall::check(tmp.path());
    assert_eq!(back.packages, c.packages);
    assert_eq!(back.engine, c.engine);
    // The JSON the reference implementation makes of it names the alternatives.
    let o = Command::new(dhall::reference_checker())
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

/// The engine's interface as facts: every type of the engine's `src/armitage/dhall/` that a
/// BUILD.dhall uses, with its constructors and fields, written out here (not taken from
/// confess's declaration) so that a declaration that drifts from them fails.
const ENGINE_FACTS: &str = r"
let Arch = < x86_64 | aarch64 | riscv64 | wasm32 | armv7 >
let Vendor = < unknown | pc | apple | nvidia >
let OS = < linux | darwin | windows | wasi | none >
let ABI = < gnu | musl | eabi | eabihf | msvc | none >
let Cpu = < generic | native | x86_64_v2 | x86_64_v3 | x86_64_v4 | znver3 | znver4 | znver5 | sapphirerapids | alderlake | neoverse_v2 | neoverse_n2 | cortex_a78ae | cortex_a78c | apple_m1 | apple_m2 | apple_m3 | apple_m4 >
let Gpu = < none | sm_80 | sm_86 | sm_89 | sm_90 | sm_90a | sm_87 | sm_100 | sm_100a | sm_120 >
let Triple = { arch : Arch, vendor : Vendor, os : OS, abi : ABI, cpu : Cpu, gpu : Gpu }
let OptLevel = < O0 | O1 | O2 | O3 | Os | Oz | Og >
let LTOMode = < off | thin | full >
let CStd = < c89 | c99 | c11 | c17 | c23 >
let CxxStd = < cxx11 | cxx14 | cxx17 | cxx20 | cxx23 >
let Sanitizer = < address | memory | thread | undefined | leak >
let DebugLevel = < g0 | g1 | g2 | g3 >
let CFlag = < Opt : OptLevel | LTO : LTOMode | StdC : CStd | StdCxx : CxxStd | Wall | Wextra | Werror | Wpedantic | Wno : Text | Define : { name : Text, value : Optional Text } | Undef : Text | Include : Text | System : Text | PIC | PIE | Static | Shared | March : Text | Mtune : Text | Native | Debug : DebugLevel | Sanitize : Sanitizer | FunctionSections | DataSections | NoExceptions | NoRTTI | Pthread | Raw : Text >
let LDFlag = < Static | Shared | Pie | NoPie | Relocatable | Lib : Text | LibPath : Text | Rpath : Text | RpathLink : Text | Strip | StripDebug | ExportDynamic | AsNeeded | NoAsNeeded | GcSections | NoGcSections | PrintGcSections | Soname : Text | VersionScript : Text | LTOJobs : Natural | Raw : Text >
let Compiler = < Clang : { version : Text } | NVClang : { version : Text } | GCC : { version : Text } | NVCC : { version : Text } | Rustc : { version : Text } | GHC : { version : Text } | Lean : { version : Text } >
let Toolchain = { compiler : Compiler, host : Triple, target : Triple, cflags : List CFlag, cxxflags : List CFlag, ldflags : List LDFlag, sysroot : Optional Text }
let Resource = < Pure | Network | Auth : Text | Sandbox : Text | Filesystem : Text >
let Resources = List Resource
let Src = < Files : List Text | Fetch : { url : Text, hash : Text } | Git : { url : Text, rev : Text, hash : Text } >
let Dep = < Local : Text | External : { hash : Text, name : Text } | PkgConfig : Text | Flake : Text >
let Target = { name : Text, srcs : Src, deps : List Dep, toolchain : Toolchain, requires : Resources }
";

/// Each fact against the type a declaration exports under the same name: an annotation the
/// reference implementation accepts only when the two types are the same.
fn engine_check(engine: &str) -> String {
    let declared = [
        ("Arch", "Triple.Arch"),
        ("Vendor", "Triple.Vendor"),
        ("OS", "Triple.OS"),
        ("ABI", "Triple.ABI"),
        ("Cpu", "Triple.Cpu"),
        ("Gpu", "Triple.Gpu"),
        ("Triple", "Triple.Triple"),
        ("OptLevel", "CFlags.OptLevel"),
        ("LTOMode", "CFlags.LTOMode"),
        ("CStd", "CFlags.CStd"),
        ("CxxStd", "CFlags.CxxStd"),
        ("Sanitizer", "CFlags.Sanitizer"),
        ("DebugLevel", "CFlags.DebugLevel"),
        ("CFlag", "CFlags.CFlag"),
        ("LDFlag", "LDFlags.LDFlag"),
        ("Compiler", "Toolchain.Compiler"),
        ("Toolchain", "Toolchain.Toolchain"),
        ("Resource", "Resource.Resource"),
        ("Resources", "Resource.Resources"),
        ("Src", "Build.Src"),
        ("Dep", "Build.Dep"),
        ("Target", "Build.Target"),
        // Build.dhall re-exports the modules it is made of, as the engine's does.
        ("Triple", "Build.Triple.Triple"),
        ("Toolchain", "Build.Toolchain.Toolchain"),
        ("Resource", "Build.Resource.Resource"),
    ];
    let mut s = String::new();
    for m in [
        "Build",
        "Toolchain",
        "Triple",
        "CFlags",
        "LDFlags",
        "Resource",
    ] {
        // Bound under other names than the facts' types (`Triple` is both a file and a type).
        let _ = writeln!(s, "let Declared{m} = {engine}/{m}.dhall");
    }
    s.push_str(ENGINE_FACTS);
    for (k, (fact, decl)) in declared.iter().enumerate() {
        let _ = writeln!(s, "let check{k} = ([] : List {fact}) : List Declared{decl}");
    }
    s.push_str("in  {=}\n");
    s
}

#[test]
fn the_engine_declaration_is_the_engines_interface() {
    let tmp = tempfile::tempdir().expect("tmp");
    let engine = tmp.path().join("engine");
    std::fs::create_dir_all(&engine).expect("mkdir");
    for (name, text) in confess::engine::DECLARATION {
        std::fs::write(engine.join(name), text).expect("write the declaration");
    }
    // confess's declaration (what every output directory's dhall/engine/ holds) is the facts.
    dhall::reference_accepts(
        tmp.path(),
        &engine_check("./engine"),
        "confess's declaration of the engine's types against the facts",
    );
    // The Rust types the engine form is read back into are the facts too (serde_dhall checks
    // the expression's type against them), and so is every alternative the renderer writes.
    let back: Vec<confess::engine::model::Target> =
        serde_dhall::from_str(&format!("{ENGINE_FACTS} in [] : List Target"))
            .static_type_annotation()
            .parse()
            .expect("the engine's Rust types are the facts' Target");
    assert!(back.is_empty());
    // The check can fail: a declaration with one alternative renamed (the engine's `Opt`
    // spelled `Optimize`), one field too many, or one constructor missing is refused.
    for (file, from, to) in [
        ("CFlags.dhall", "Opt : OptLevel", "Optimize : OptLevel"),
        (
            "Build.dhall",
            "requires : Resource.Resources",
            "requires : Resource.Resources, kind : Text",
        ),
        ("Triple.dhall", "| armv7 ", " "),
    ] {
        let drifted = tmp.path().join("drifted");
        let _ = std::fs::remove_dir_all(&drifted);
        std::fs::create_dir_all(&drifted).expect("mkdir");
        for (name, text) in confess::engine::DECLARATION {
            let text = if name == file {
                assert!(text.contains(from), "{file} has no {from}");
                text.replace(from, to)
            } else {
                text.to_string()
            };
            std::fs::write(drifted.join(name), text).expect("write");
        }
        let st = Command::new(dhall::reference_checker())
            .current_dir(tmp.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin
                    .take()
                    .expect("stdin")
                    .write_all(engine_check("./drifted").as_bytes())?;
                c.wait()
            })
            .expect("dhall-to-json");
        assert!(
            !st.success(),
            "a drifted {file} ({from} -> {to}) passed the check"
        );
    }
}

/// A cross compiler whose triple the engine's types cannot say (i686: the engine's Arch has
/// no such alternative): confess writes its own form and no engine form, says which part of
/// the triple the engine lacks, and exits 8.
#[test]
fn a_toolchain_the_engine_cannot_say_gets_no_engine_form_and_exit_8() {
    require("make", "make");
    require("i686-linux-gnu-gcc", "gcc-i686-linux-gnu");
    let tmp = tempfile::tempdir().expect("tmp");
    let fx = fixture("make/static-lib");
    let run = confess(
        tmp.path(),
        &[
            "make",
            fx.to_str().expect("utf-8"),
            "--",
            "CC=i686-linux-gnu-gcc",
        ],
    );
    assert_eq!(run.code(), 8, "{}", run.stderr());
    let err = run.stderr();
    assert!(
        err.contains("the engine's Arch has no alternative for `i686`")
            && err.contains("i686-linux-gnu")
            && err.contains("BUILD.confess.dhall"),
        "{err}"
    );
    // The summary still came out: the confession itself is whole.
    assert!(
        run.stdout().contains("translation units     3"),
        "{}",
        run.stdout()
    );
    // The manifests' file names, wherever they are below dhall/.
    let mut files: Vec<String> = contents(&run.out.join("dhall"))
        .into_keys()
        .filter(|k| !k.ends_with('/'))
        .map(|k| k.rsplit('/').next().unwrap_or_default().to_string())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "BUILD.confess.dhall",
            "BUILD.confess.dhall",
            "packages.dhall",
            "schema.dhall"
        ],
        "no engine form and no engine declaration"
    );
    // confess's own form says the triple as it is, and type-checks.
    let own = run.read("dhall/BUILD.confess.dhall");
    assert!(own.contains("arch = S.Arch.i686"), "{own}");
    for f in [
        "dhall/BUILD.confess.dhall",
        "dhall/lib/BUILD.confess.dhall",
        "dhall/packages.dhall",
    ] {
        dhall::reference_accepts_file(&run.out.join(f));
    }
    let report = run.read("report.md");
    assert!(
        report.contains("## The engine form: not written") && report.contains("`i686`"),
        "{report}"
    );
}

/// `--engine-schema DIR`: the manifests import the engine's types from the user's checkout of
/// the engine's folder, and confess writes no declaration of its own. A directory without the
/// engine's files is refused before anything runs.
#[test]
fn engine_schema_points_the_imports_at_a_checkout() {
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    // A stand-in for a checkout of the engine's src/armitage/dhall (the tests have no network):
    // files of the engine's names holding its types.
    let checkout = tmp.path().join("engine checkout/src/armitage/dhall");
    std::fs::create_dir_all(&checkout).expect("mkdir");
    for (name, text) in confess::engine::DECLARATION {
        std::fs::write(checkout.join(name), text).expect("write");
    }
    let fx = fixture("make/static-lib");
    let run = confess(
        &tmp.path().join("c"),
        &[
            "make",
            fx.to_str().expect("utf-8"),
            "--engine-schema",
            checkout.to_str().expect("utf-8"),
        ],
    );
    run.assert_ok();
    assert!(!run.out.join("dhall/engine").exists());
    let text = run.read("dhall/lib/BUILD.dhall");
    let abs = std::fs::canonicalize(&checkout).expect("canonical");
    let quoted = abs
        .display()
        .to_string()
        .replace("engine checkout", "\"engine checkout\"");
    assert!(
        text.contains(&format!("let Build = {quoted}/Build.dhall")),
        "{text}"
    );
    for f in [
        "dhall/lib/BUILD.dhall",
        "dhall/BUILD.dhall",
        "dhall/packages.dhall",
    ] {
        dhall::reference_accepts_file(&run.out.join(f));
    }
    let back: Vec<confess::engine::model::Target> =
        serde_dhall::from_file(run.out.join("dhall/lib/BUILD.dhall"))
            .static_type_annotation()
            .parse()
            .expect("the engine's List Target");
    assert_eq!(back.len(), 1);
    // Not the engine's folder: exit 3, naming the file it lacks.
    std::fs::remove_file(checkout.join("Build.dhall")).expect("rm");
    let bad = confess(
        &tmp.path().join("d"),
        &[
            "make",
            fx.to_str().expect("utf-8"),
            "--engine-schema",
            checkout.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(bad.code(), 3, "{}", bad.stderr());
    assert!(
        bad.stderr().contains("Build.dhall") && bad.stderr().contains("src/armitage/dhall"),
        "{}",
        bad.stderr()
    );
}
