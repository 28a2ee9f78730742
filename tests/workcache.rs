//! The work cache: a second confession of an unchanged project realizes nothing and writes the
//! same outputs; what realization reads from the machine (a library outside the tree, a header,
//! an environment variable the compiler reads) makes an entry stale when it changes; so does
//! what a header scan read, for the scan (the project's files by their content, also when the
//! build reads them through the user's path, where the sealed build shows the copy);
//! concurrent confessions share one cache; the size bound evicts.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A project outside the tree: `ext.h` and `libext.a`, whose values a generator prints.
fn write_ext(ext: &Path, header: i32, lib: i32) {
    std::fs::create_dir_all(ext).expect("mkdir");
    std::fs::write(ext.join("ext.h"), format!("#define EXT_HEADER {header}\n")).expect("write");
    std::fs::write(
        ext.join("ext.c"),
        format!("int ext_value(void) {{ return {lib}; }}\n"),
    )
    .expect("write");
    let run = |args: &[&str]| {
        let st = std::process::Command::new(args[0])
            .args(&args[1..])
            .current_dir(ext)
            .status()
            .expect("run");
        assert!(st.success(), "{args:?}");
    };
    run(&["gcc", "-c", "ext.c", "-o", "ext.o"]);
    let _ = std::fs::remove_file(ext.join("libext.a"));
    run(&["ar", "rcs", "libext.a", "ext.o"]);
}

/// A Make project whose generator is built against `ext` and prints the date the compiler
/// gives it, the header's value and the library's.
fn write_project(src: &Path) {
    std::fs::create_dir_all(src).expect("mkdir");
    std::fs::write(
        src.join("Makefile"),
        "all: prog\n\
         gen: gen.c\n\t$(CC) -I$(EXT) -o gen gen.c -L$(EXT) -lext\n\
         table.c: gen\n\t./gen > table.c\n\
         prog: main.c table.c\n\t$(CC) -o prog main.c table.c\n",
    )
    .expect("write");
    std::fs::write(
        src.join("gen.c"),
        "#include <stdio.h>\n#include <ext.h>\nint ext_value(void);\n\
         int main(void) {\n  printf(\"const char *built = \\\"%s\\\";\\n\", __DATE__);\n  \
         printf(\"int header = %d;\\nint lib = %d;\\n\", EXT_HEADER, ext_value());\n  \
         return 0;\n}\n",
    )
    .expect("write");
    std::fs::write(
        src.join("main.c"),
        "extern const char *built;\nextern int header, lib;\n\
         int main(void) { return built[0] == 0 || header + lib < 0; }\n",
    )
    .expect("write");
}

/// Realized artifacts and those from the cache, as the summary says them.
fn realized(run: &Run) -> (usize, usize) {
    let s = run.read("summary.txt");
    let line = s
        .lines()
        .find(|l| l.trim_start().starts_with("realized"))
        .unwrap_or_else(|| panic!("no realized line in the summary:\n{s}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let n = words[1].parse().expect("count");
    let cached = line
        .split_once(" (")
        .and_then(|(_, r)| r.split_once(" from the work cache"))
        .map_or(0, |(n, _)| n.parse().expect("cached count"));
    (n, cached)
}

fn run_in(tmp: &Path, src: &Path, ext: &Path, cache: &Path, env: &[(&str, &str)]) -> Run {
    let mut all = vec![("CONFESS_CACHE", cache.to_str().expect("utf-8"))];
    all.extend_from_slice(env);
    let ext_arg = format!("EXT={}", ext.display());
    let run = confess_env(
        tmp,
        &["make", src.to_str().expect("utf-8"), "--", &ext_arg],
        &all,
    );
    run.assert_ok();
    run
}

fn table(run: &Run) -> String {
    std::fs::read_to_string(run.out.join("generated/table.c")).expect("generated table.c")
}

/// Every output that does not say how long things took, by path.
fn outputs(out: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, into: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .expect("under")
                .to_string_lossy()
                .into_owned();
            if ["summary.txt", "log.jsonl", "build.log", "confession"].contains(&rel.as_str()) {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, into);
            } else {
                into.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(out, out, &mut m);
    m
}

fn entries(cache: &Path) -> usize {
    std::fs::read_dir(cache.join("work-v1/entries")).map_or(0, Iterator::count)
}

/// The entries that hold realized artifacts (the others are header scans and probes).
fn realized_entries(cache: &Path) -> usize {
    std::fs::read_dir(cache.join("work-v1/entries")).map_or(0, |rd| {
        rd.flatten()
            .filter(|e| {
                std::fs::read(e.path().join("meta.json"))
                    .ok()
                    .and_then(|t| serde_json::from_slice::<serde_json::Value>(&t).ok())
                    .is_some_and(|m| m.get("artifact").is_some())
            })
            .count()
    })
}

#[test]
fn a_warm_cache_realizes_nothing_and_changes_no_output() {
    for (driver, fx) in [
        ("make", "make/codegen"),
        ("make", "make/shared-lib"),
        ("autotools", "autotools/libtool"),
    ] {
        let fx = fixture(fx);
        let tmp = tempfile::tempdir().expect("tmp");
        let cache = tmp.path().join("cache");
        let c = cache.to_str().expect("utf-8");
        let args = [driver, fx.to_str().expect("utf-8")];
        let cold = confess_env(tmp.path(), &args, &[("CONFESS_CACHE", c)]);
        cold.assert_ok();
        let (n, from_cache) = realized(&cold);
        let before = outputs(&cold.out);
        let warm = confess_env(tmp.path(), &args, &[("CONFESS_CACHE", c)]);
        warm.assert_ok();
        let (m, warm_cached) = realized(&warm);
        assert_eq!(
            from_cache,
            0,
            "{}: a cold cache gave artifacts",
            fx.display()
        );
        if n == 0 {
            // Nothing to realize: nothing to keep either.
            assert_eq!((m, realized_entries(&cache)), (0, 0), "{}", fx.display());
        } else {
            assert!(
                m > 0 && warm_cached == m,
                "{}: warm run realized {m}, {warm_cached} of them from the cache (cold: {n})",
                fx.display()
            );
        }
        let after = outputs(&warm.out);
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "{}",
            fx.display()
        );
        for (k, v) in &before {
            assert!(
                after[k] == *v,
                "{}: {k} differs between a cold and a warm cache",
                fx.display()
            );
        }
    }
}

#[test]
fn what_realization_reads_from_the_machine_makes_an_entry_stale() {
    fn day(y: &str) -> [(&'static str, &str); 1] {
        [("SOURCE_DATE_EPOCH", y)]
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let (src, ext, cache) = (
        tmp.path().join("src"),
        tmp.path().join("ext"),
        tmp.path().join("cache"),
    );
    write_project(&src);
    write_ext(&ext, 1, 10);
    let y1970 = "0";
    let y1971 = "31536000";

    let cold = run_in(tmp.path(), &src, &ext, &cache, &day(y1970));
    let t = table(&cold);
    assert!(
        t.contains("\"Jan  1 1970\"") && t.contains("header = 1;") && t.contains("lib = 10;"),
        "{t}"
    );
    let (n, cached) = realized(&cold);
    assert!(
        n >= 2 && cached == 0,
        "cold: {n} realized, {cached} from the cache"
    );
    // The sealed build writes the cache through a bind of its own: neither a write nor a read
    // outside the trees.
    let g = cold.json("graph.json");
    for field in ["outside_writes", "outside_reads"] {
        let text = g[field].to_string();
        assert!(
            !text.contains(cache.to_str().expect("utf-8")),
            "{field} lists the work cache: {text}"
        );
    }
    assert!(
        entries(&cache) >= 2,
        "the sealed build's realizations were not kept"
    );

    // Unchanged: the generator comes from the cache, and says the same; so does every output
    // (the library outside the tree the realized link read is a read of the build's either
    // way).
    let cold_outputs = outputs(&cold.out);
    let warm = run_in(tmp.path(), &src, &ext, &cache, &day(y1970));
    assert_eq!(table(&warm), t);
    let warm_outputs = outputs(&warm.out);
    for (k, v) in &cold_outputs {
        assert!(
            warm_outputs.get(k) == Some(v),
            "{k} differs between a cold and a warm cache"
        );
    }
    let (n, cached) = realized(&warm);
    assert!(
        n >= 1 && cached == n,
        "warm: {n} realized, {cached} from the cache"
    );

    // The library outside the tree: its id is its name, the linker's trace sees the file.
    write_ext(&ext, 1, 20);
    let lib = run_in(tmp.path(), &src, &ext, &cache, &day(y1970));
    assert!(table(&lib).contains("lib = 20;"), "{}", table(&lib));
    let (n, cached) = realized(&lib);
    assert!(
        cached < n,
        "a changed library was not realized anew: {n} realized, {cached} from the cache"
    );

    // The header outside the tree: part of the compile's id.
    write_ext(&ext, 2, 20);
    let header = run_in(tmp.path(), &src, &ext, &cache, &day(y1970));
    assert!(table(&header).contains("header = 2;"), "{}", table(&header));
    let (n, cached) = realized(&header);
    assert!(cached < n, "a changed header was not realized anew");

    // An environment variable the compiler reads: part of the key.
    let date = run_in(tmp.path(), &src, &ext, &cache, &day(y1971));
    assert!(table(&date).contains("\"Jan  1 1971\""), "{}", table(&date));
    let (n, cached) = realized(&date);
    assert!(cached < n, "SOURCE_DATE_EPOCH did not reach the key");

    // And back: both keys are kept.
    let back = run_in(tmp.path(), &src, &ext, &cache, &day(y1970));
    assert!(table(&back).contains("\"Jan  1 1970\"") && table(&back).contains("header = 2;"));
    let (n, cached) = realized(&back);
    assert_eq!(cached, n, "the earlier key's entries were lost");
}

#[test]
fn concurrent_confessions_share_one_cache() {
    let fx = fixture("make/codegen");
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = tmp.path().join("cache");
    let runs: Vec<std::process::Child> = (0..3)
        .map(|i| {
            confess_command()
                .args(["make", "--quiet", "--out"])
                .arg(tmp.path().join(format!("out{i}")))
                .arg(&fx)
                .env("CONFESS_CACHE", &cache)
                .spawn()
                .expect("spawn")
        })
        .collect();
    for mut c in runs {
        assert!(c.wait().expect("wait").success());
    }
    let first = outputs(&tmp.path().join("out0"));
    for i in 1..3 {
        let other = outputs(&tmp.path().join(format!("out{i}")));
        for (k, v) in &first {
            let mine = String::from_utf8_lossy(v).replace("/out0", "/outN");
            let theirs = String::from_utf8_lossy(&other[k]).replace(&format!("/out{i}"), "/outN");
            assert!(
                mine == theirs,
                "{k} differs between concurrent runs 0 and {i}"
            );
        }
    }
    let warm = confess_env(
        tmp.path(),
        &["make", fx.to_str().expect("utf-8")],
        &[("CONFESS_CACHE", cache.to_str().expect("utf-8"))],
    );
    warm.assert_ok();
    let (n, cached) = realized(&warm);
    assert!(
        n > 0 && cached == n,
        "after concurrent runs: {n} realized, {cached} cached"
    );
}

#[test]
fn the_size_bound_evicts_and_off_keeps_nothing() {
    let fx = fixture("make/codegen");
    let tmp = tempfile::tempdir().expect("tmp");
    let cache: PathBuf = tmp.path().join("cache");
    let c = cache.to_str().expect("utf-8");
    let args = ["make", fx.to_str().expect("utf-8")];
    let run = confess_env(tmp.path(), &args, &[("CONFESS_CACHE", c)]);
    run.assert_ok();
    let kept = entries(&cache);
    assert!(kept > 0, "nothing kept");
    // `confess cache` says what it holds; `--clear` is refused while a confession holds the
    // cache (here: the test, as a running confession does), and empties it otherwise.
    let cache_cmd = |args: &[&str]| {
        confess_command()
            .arg("cache")
            .args(args)
            .env("CONFESS_CACHE", &cache)
            .output()
            .expect("confess cache")
    };
    let o = cache_cmd(&[]);
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{said}");
    assert!(
        said.contains(&format!("work cache: {c} (CONFESS_CACHE)"))
            && said.contains(&format!("entries  {kept} (")),
        "{said}"
    );
    let held = std::fs::File::open(cache.join("work-v1/lock")).expect("lock file");
    held.lock_shared().expect("lock");
    let o = cache_cmd(&["--clear"]);
    assert_eq!(
        o.status.code(),
        Some(9),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("in use by a running confession"));
    assert_eq!(entries(&cache), kept, "a refused clear removed entries");
    drop(held);
    let o = cache_cmd(&["--clear"]);
    assert!(o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(&format!("removed {kept} entries")),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(entries(&cache), 0);
    let run = confess_env(tmp.path(), &args, &[("CONFESS_CACHE", c)]);
    run.assert_ok();
    assert_eq!(entries(&cache), kept, "the same run keeps the same entries");
    // A bound of one byte: the run's own entries go at its end.
    let run = confess_env(
        tmp.path(),
        &args,
        &[("CONFESS_CACHE", c), ("CONFESS_CACHE_SIZE", "1")],
    );
    run.assert_ok();
    assert_eq!(entries(&cache), 0, "the bound was not kept");
    let run = confess_env(tmp.path(), &args, &[("CONFESS_CACHE", c)]);
    run.assert_ok();
    let (n, cached) = realized(&run);
    assert!(
        n > 0 && cached == 0,
        "evicted entries were used: {n}, {cached}"
    );
    // Off: nothing is written anywhere (the tests' own cache included).
    let other = tmp.path().join("unused");
    let run = confess_env(
        tmp.path(),
        &args,
        &[
            ("CONFESS_CACHE", "off"),
            ("XDG_CACHE_HOME", other.to_str().expect("utf-8")),
        ],
    );
    run.assert_ok();
    assert_eq!(realized(&run).1, 0);
    assert!(!other.exists());
    // A bound that is not a size, and a cache that cannot be made: usage errors, named.
    let bad = confess_env(
        tmp.path(),
        &args,
        &[("CONFESS_CACHE", c), ("CONFESS_CACHE_SIZE", "lots")],
    );
    assert_eq!(bad.code(), 2, "{}", bad.stderr());
    assert!(
        bad.stderr().contains("CONFESS_CACHE_SIZE"),
        "{}",
        bad.stderr()
    );
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"").expect("write");
    let bad = confess_env(
        tmp.path(),
        &args,
        &[("CONFESS_CACHE", file.join("below").to_str().expect("utf-8"))],
    );
    assert_eq!(bad.code(), 2, "{}", bad.stderr());
    assert!(bad.stderr().contains("CONFESS_CACHE="), "{}", bad.stderr());
}

/// A CMake project whose configure checks read a header and a library outside the tree and a
/// directory that only `CPATH` puts on the include path.
fn write_checks_project(src: &Path, ext: &Path, cpath: &Path) {
    std::fs::create_dir_all(src).expect("mkdir");
    std::fs::create_dir_all(ext).expect("mkdir");
    std::fs::create_dir_all(cpath).expect("mkdir");
    std::fs::write(
        src.join("CMakeLists.txt"),
        format!(
            "cmake_minimum_required(VERSION 3.16)\nproject(probes C)\n\
             include(CheckIncludeFile)\ninclude(CheckSymbolExists)\ninclude(CheckLibraryExists)\n\
             set(CMAKE_REQUIRED_INCLUDES {ext})\n\
             check_include_file(probe_ext.h HAVE_PROBE_EXT_H)\n\
             check_symbol_exists(EXT_FEATURE probe_ext.h HAVE_EXT_FEATURE)\n\
             check_library_exists(pext pext_fn {ext} HAVE_PEXT)\n\
             check_include_file(cpath_only.h HAVE_CPATH_ONLY)\n\
             configure_file(config.h.in config.h)\n\
             add_executable(app main.c)\n\
             target_include_directories(app PRIVATE ${{CMAKE_BINARY_DIR}})\n",
            ext = ext.display()
        ),
    )
    .expect("write");
    std::fs::write(
        src.join("config.h.in"),
        "#cmakedefine HAVE_PROBE_EXT_H 1\n#cmakedefine HAVE_EXT_FEATURE 1\n\
         #cmakedefine HAVE_PEXT 1\n#cmakedefine HAVE_CPATH_ONLY 1\n",
    )
    .expect("write");
    std::fs::write(
        src.join("main.c"),
        "#include \"config.h\"\nint main(void) { return 0; }\n",
    )
    .expect("write");
    std::fs::write(ext.join("probe_ext.h"), "#define EXT_OTHER 1\n").expect("write");
    std::fs::write(cpath.join("cpath_only.h"), "#define CPATH_ONLY 1\n").expect("write");
}

/// The `end` event of a run's JSON log.
fn end_event(run: &Run) -> serde_json::Value {
    run.read("log.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"))
        .find(|e| e["event"] == "end" || e["kind"] == "end")
        .expect("an end event")
}

/// What a confession of the checks project (`write_checks_project`) with the work cache at
/// `cache` and `env` found: the run, the checks that defined their macro, and how many probes
/// were answered from the cache and stored.
fn confess_checks(
    tmp: &Path,
    src: &Path,
    cache: &str,
    env: &[(&str, &str)],
) -> (Run, Vec<String>, u64, u64) {
    let mut all = vec![("CONFESS_CACHE", cache)];
    all.extend_from_slice(env);
    let run = confess_full(
        tmp,
        &["cmake", src.to_str().expect("utf-8")],
        &["--log-format", "json"],
        &all,
    );
    run.assert_ok();
    let config = std::fs::read_to_string(run.out.join("build/config.h")).expect("config.h");
    let have: Vec<String> = config
        .lines()
        .filter_map(|l| l.strip_prefix("#define "))
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    let end = end_event(&run);
    let (hits, stored) = (
        end["probes_from_cache"]
            .as_u64()
            .expect("probes_from_cache"),
        end["probes_stored"].as_u64().expect("probes_stored"),
    );
    (run, have, hits, stored)
}

#[test]
fn configure_probes_rerun_exactly_when_what_they_read_changes() {
    require("cmake", "cmake");
    let tmp = tempfile::tempdir().expect("tmp");
    let (src, ext, cpath, cache) = (
        tmp.path().join("src"),
        tmp.path().join("ext"),
        tmp.path().join("cpath"),
        tmp.path().join("cache"),
    );
    write_checks_project(&src, &ext, &cpath);
    let c = cache.to_str().expect("utf-8");
    let confess_checks = |env: &[(&str, &str)]| confess_checks(tmp.path(), &src, c, env);
    let none: [(&str, &str); 0] = [];

    let (cold, have, _, stored) = confess_checks(&none);
    assert_eq!(have, ["HAVE_PROBE_EXT_H"], "cold");
    assert!(stored >= 4, "cold: {stored} probes stored");
    let cold_outputs = outputs(&cold.out);

    let (warm, have, hits, stored) = confess_checks(&none);
    assert_eq!(have, ["HAVE_PROBE_EXT_H"], "warm");
    assert!(
        hits >= 4 && stored == 0,
        "warm: {hits} from the cache, {stored} stored"
    );
    let warm_outputs = outputs(&warm.out);
    for (k, v) in &cold_outputs {
        if k.starts_with("cmake-file-api/") {
            // CMake's own reply names its files by time and hash.
            continue;
        }
        assert!(
            warm_outputs.get(k) == Some(v),
            "{k} differs between a cold and a warm cache"
        );
    }

    // The header's content: the symbol check runs again, the others are answered.
    std::fs::write(
        ext.join("probe_ext.h"),
        "#define EXT_OTHER 1\n#define EXT_FEATURE 1\n",
    )
    .expect("write");
    let (_, have, hits, stored) = confess_checks(&none);
    assert_eq!(
        have,
        ["HAVE_PROBE_EXT_H", "HAVE_EXT_FEATURE"],
        "header changed"
    );
    assert!(
        stored >= 1 && hits >= 1,
        "header changed: {hits} hits, {stored} stored"
    );

    // A library where the link looked for one and found none.
    std::fs::write(ext.join("pext.c"), "int pext_fn(void) { return 0; }\n").expect("write");
    for args in [
        &["gcc", "-c", "pext.c", "-o", "pext.o"][..],
        &["ar", "rcs", "libpext.a", "pext.o"][..],
    ] {
        let st = std::process::Command::new(args[0])
            .args(&args[1..])
            .current_dir(&ext)
            .status()
            .expect("run");
        assert!(st.success());
    }
    let (_, have, hits, stored) = confess_checks(&none);
    assert_eq!(
        have,
        ["HAVE_PROBE_EXT_H", "HAVE_EXT_FEATURE", "HAVE_PEXT"],
        "library added"
    );
    assert!(
        stored >= 1 && hits >= 1,
        "library added: {hits} hits, {stored} stored"
    );

    // An environment variable the compiler reads.
    let cp = cpath.to_str().expect("utf-8");
    let (_, have, _, stored) = confess_checks(&[("CPATH", cp)]);
    assert_eq!(
        have,
        [
            "HAVE_PROBE_EXT_H",
            "HAVE_EXT_FEATURE",
            "HAVE_PEXT",
            "HAVE_CPATH_ONLY"
        ],
        "CPATH set"
    );
    assert!(stored >= 1, "CPATH set: nothing ran again");

    // A header found before is gone.
    std::fs::remove_file(ext.join("probe_ext.h")).expect("rm");
    let (_, have, _, stored) = confess_checks(&[("CPATH", cp)]);
    assert_eq!(have, ["HAVE_PEXT", "HAVE_CPATH_ONLY"], "header removed");
    assert!(stored >= 1, "header removed: nothing ran again");

    // Nothing changed since: all answered.
    let (_, _, hits, stored) = confess_checks(&[("CPATH", cp)]);
    assert!(
        hits >= 4 && stored == 0,
        "unchanged: {hits} hits, {stored} stored"
    );
}

/// A Make project whose one source includes a header of its own, a header found outside the
/// tree through `-I$(FIRST) -I$(EXT)` (`FIRST` is not there at first), and headers it
/// includes only where `__has_include` finds them.
fn write_scan_project(src: &Path, ext: &Path) {
    std::fs::create_dir_all(src).expect("mkdir");
    std::fs::create_dir_all(ext).expect("mkdir");
    std::fs::write(
        src.join("Makefile"),
        "prog: main.c local.h\n\t$(CC) -I$(FIRST) -I$(EXT) -o prog main.c\n",
    )
    .expect("write");
    std::fs::write(
        src.join("main.c"),
        "#include \"local.h\"\n#include <ext_scan.h>\n\
         #if __has_include(<ext_opt.h>)\n#include <ext_opt.h>\n#endif\n\
         #if __has_include(<cpath_scan.h>)\n#include <cpath_scan.h>\n#endif\n\
         int main(void) { return 0; }\n",
    )
    .expect("write");
    std::fs::write(src.join("local.h"), "#define LOCAL 1\n").expect("write");
    std::fs::write(ext.join("ext_scan.h"), "#define EXT_SCAN 1\n").expect("write");
}

/// The headers the one compile of a run read, as graph.json names them (the project's
/// relative to its tree, the others absolute), without the toolchain's.
fn compile_headers(run: &Run) -> Vec<String> {
    let g = run.json("graph.json");
    let nodes = g["nodes"].as_array().expect("nodes");
    let compile = g["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["kind"] == "compile")
        .expect("a compile");
    let mut out: Vec<String> = compile["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .map(|id| {
            let n = nodes.iter().find(|n| n["id"] == *id).expect("header node");
            n["path"].as_str().expect("path").to_string()
        })
        .filter(|p| !p.starts_with("/usr/"))
        .collect();
    out.sort();
    out
}

fn path(p: &Path) -> String {
    p.to_str().expect("utf-8").to_string()
}

/// A confession of a Make project in `src` (the scan project, `write_scan_project`, or
/// another with one compile) with make's variables `vars`, the work cache at `cache` and `env`:
/// the compile's headers, the scans answered from the cache and those stored, and the run.
fn confess_scan(
    tmp: &Path,
    src: &Path,
    vars: &[String],
    cache: &str,
    env: &[(&str, &str)],
) -> (Vec<String>, u64, u64, Run) {
    let mut all = vec![("CONFESS_CACHE", cache)];
    all.extend_from_slice(env);
    let src = path(src);
    let mut args = vec!["make", src.as_str(), "--"];
    args.extend(vars.iter().map(String::as_str));
    let run = confess_full(tmp, &args, &["--log-format", "json"], &all);
    run.assert_ok();
    let end = end_event(&run);
    let (hits, stored) = (
        end["scans_from_cache"].as_u64().expect("scans_from_cache"),
        end["scans_stored"].as_u64().expect("scans_stored"),
    );
    (compile_headers(&run), hits, stored, run)
}

#[test]
fn header_scans_run_again_exactly_when_what_they_read_changes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = |name: &str| tmp.path().join(name);
    let (src, ext, first, cpath, cache) = (d("src"), d("ext"), d("first"), d("cpath"), d("cache"));
    write_scan_project(&src, &ext);
    let vars = [
        format!("FIRST={}", path(&first)),
        format!("EXT={}", path(&ext)),
    ];
    let c = cache.to_str().expect("utf-8");
    let confess_scan = |env: &[(&str, &str)]| confess_scan(tmp.path(), &src, &vars, c, env);
    let none: [(&str, &str); 0] = [];
    let ext_h = path(&ext.join("ext_scan.h"));

    let (headers, hits, stored, cold) = confess_scan(&none);
    assert_eq!(headers, [ext_h.clone(), "local.h".to_string()], "cold");
    assert_eq!((hits, stored), (0, 1), "cold");
    let cold_outputs = outputs(&cold.out);

    let (headers, hits, stored, warm) = confess_scan(&none);
    assert_eq!(headers, [ext_h.clone(), "local.h".to_string()], "warm");
    assert_eq!((hits, stored), (1, 0), "warm");
    assert!(
        warm.read("summary.txt")
            .contains("(1 header scans from the work cache)"),
        "{}",
        warm.read("summary.txt")
    );
    assert_eq!(cold_outputs, outputs(&warm.out), "cold and warm outputs");

    // A header outside the tree changes: it includes another.
    std::fs::write(
        ext.join("ext_scan.h"),
        "#include <ext_more.h>\n#define EXT_SCAN 2\n",
    )
    .expect("write");
    std::fs::write(ext.join("ext_more.h"), "#define EXT_MORE 1\n").expect("write");
    let more_h = path(&ext.join("ext_more.h"));
    let (headers, hits, stored, _) = confess_scan(&none);
    assert_eq!(
        headers,
        [more_h.clone(), ext_h.clone(), "local.h".to_string()],
        "outside header changed"
    );
    assert_eq!((hits, stored), (0, 1), "outside header changed");

    // The project's own header changes. (Two seconds on, EXT has not changed for long enough
    // for the scan stored now to keep it as a directory where no file has appeared, instead of
    // each path it looked for there: the next change is seen by EXT's times.)
    std::thread::sleep(std::time::Duration::from_millis(2100));
    std::fs::write(src.join("local.h"), "#include \"local2.h\"\n").expect("write");
    std::fs::write(src.join("local2.h"), "#define LOCAL 2\n").expect("write");
    let (headers, hits, stored, _) = confess_scan(&none);
    assert_eq!(
        headers,
        [
            more_h.clone(),
            ext_h.clone(),
            "local.h".to_string(),
            "local2.h".to_string()
        ],
        "own header changed"
    );
    assert_eq!((hits, stored), (0, 1), "own header changed");

    // A header appears where the scan looked and found none.
    std::fs::write(ext.join("ext_opt.h"), "#define EXT_OPT 1\n").expect("write");
    let (headers, hits, stored, _) = confess_scan(&none);
    assert_eq!(
        headers,
        [
            more_h.clone(),
            path(&ext.join("ext_opt.h")),
            ext_h.clone(),
            "local.h".to_string(),
            "local2.h".to_string()
        ],
        "header appeared"
    );
    assert_eq!((hits, stored), (0, 1), "header appeared");

    // A directory of the search that was not there appears, with a header of the same name
    // in front of the one found before.
    std::fs::create_dir_all(&first).expect("mkdir");
    std::fs::write(first.join("ext_scan.h"), "#define EXT_SCAN 3\n").expect("write");
    let first_h = path(&first.join("ext_scan.h"));
    let (headers, hits, stored, _) = confess_scan(&none);
    let own = ["local.h".to_string(), "local2.h".to_string()];
    let opt_h = path(&ext.join("ext_opt.h"));
    let mut want = vec![opt_h.clone(), first_h.clone()];
    want.extend(own.iter().cloned());
    assert_eq!(headers, want, "directory appeared");
    assert_eq!((hits, stored), (0, 1), "directory appeared");

    // A header where the scan looked and found none (`__has_include`, on a directory an
    // environment variable the compiler reads adds).
    std::fs::create_dir_all(&cpath).expect("mkdir");
    std::fs::write(cpath.join("cpath_scan.h"), "#define CPATH_SCAN 1\n").expect("write");
    let cp = path(&cpath);
    let cpath_h = path(&cpath.join("cpath_scan.h"));
    let (headers, hits, stored, _) = confess_scan(&[("CPATH", &cp)]);
    let mut want = vec![cpath_h.clone(), opt_h.clone(), first_h.clone()];
    want.extend(own.iter().cloned());
    assert_eq!(headers, want, "CPATH set");
    assert_eq!((hits, stored), (0, 1), "CPATH set");

    // The same header removed, CPATH still set: the scan looked there.
    std::fs::remove_file(cpath.join("cpath_scan.h")).expect("rm");
    let (headers, hits, stored, _) = confess_scan(&[("CPATH", &cp)]);
    let mut want = vec![opt_h.clone(), first_h.clone()];
    want.extend(own.iter().cloned());
    assert_eq!(headers, want, "header removed");
    assert_eq!((hits, stored), (0, 1), "header removed");

    // Nothing changed since: answered.
    let (headers, hits, stored, _) = confess_scan(&[("CPATH", &cp)]);
    assert_eq!(headers, want, "unchanged");
    assert_eq!((hits, stored), (1, 0), "unchanged");
}

/// A confession of a project whose Makefile names its headers' directory by the absolute path
/// the user gave (`INC`), in the user's tree: the sealed build shows the scratch copy there, so
/// the compile reads the project's headers, copied anew in every confession, through the
/// user's path.
fn confess_by_users_path(tmp: &Path, src: &Path, cache: &Path) -> (Vec<String>, u64, u64, Run) {
    let inc = format!("INC={}", path(&src.join("inc")));
    confess_scan(tmp, src, &[inc], &path(cache), &[])
}

#[test]
fn header_scans_through_the_users_path_to_the_copy_are_answered_warm() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (src, cache) = (tmp.path().join("src"), tmp.path().join("cache"));
    std::fs::create_dir_all(src.join("inc")).expect("mkdir");
    std::fs::write(
        src.join("Makefile"),
        "prog: main.c inc/local.h\n\t$(CC) -I$(INC) -o prog main.c\n",
    )
    .expect("write");
    std::fs::write(
        src.join("main.c"),
        "#include <local.h>\nint main(void) { return LOCAL; }\n",
    )
    .expect("write");
    std::fs::write(src.join("inc/local.h"), "#define LOCAL 0\n").expect("write");
    let (local, local2) = (
        path(&src.join("inc/local.h")),
        path(&src.join("inc/local2.h")),
    );

    let (headers, hits, stored, cold) = confess_by_users_path(tmp.path(), &src, &cache);
    assert_eq!(headers, std::slice::from_ref(&local), "cold");
    assert_eq!((hits, stored), (0, 1), "cold");
    let cold_outputs = outputs(&cold.out);

    // The copy's files are new files every time: compared by their content, they are the
    // same, and the scan is answered.
    let (headers, hits, stored, warm) = confess_by_users_path(tmp.path(), &src, &cache);
    assert_eq!(headers, std::slice::from_ref(&local), "warm");
    assert_eq!((hits, stored), (1, 0), "warm");
    assert_eq!(cold_outputs, outputs(&warm.out), "cold and warm outputs");

    // The project's header changes: the scan runs again and finds what it includes now.
    std::fs::write(src.join("inc/local.h"), "#include \"local2.h\"\n").expect("write");
    std::fs::write(src.join("inc/local2.h"), "#define LOCAL 0\n").expect("write");
    let (headers, hits, stored, _) = confess_by_users_path(tmp.path(), &src, &cache);
    assert_eq!(headers, [local.clone(), local2.clone()], "changed");
    assert_eq!((hits, stored), (0, 1), "changed");
    let (headers, hits, stored, _) = confess_by_users_path(tmp.path(), &src, &cache);
    assert_eq!(headers, [local, local2], "unchanged");
    assert_eq!((hits, stored), (1, 0), "unchanged");
}

#[test]
fn compiler_facts_are_asked_again_when_a_directory_they_left_out_appears() {
    // With `--sysroot`, the compiler's own include directories are below SYSROOT, and not
    // there: it leaves them out of its search, and says so. Its facts are kept in the work
    // cache with those directories as paths where there must be nothing.
    let tmp = tempfile::tempdir().expect("tmp");
    let (src, sysroot, cache) = (
        tmp.path().join("src"),
        tmp.path().join("sysroot"),
        tmp.path().join("cache"),
    );
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(
        src.join("Makefile"),
        "prog: main.c\n\t$(CC) --sysroot=$(SYSROOT) -o prog main.c\n",
    )
    .expect("write");
    std::fs::write(
        src.join("main.c"),
        "#if __has_include(<sysroot_only.h>)\n#include <sysroot_only.h>\n#endif\n\
         int main(void) { return 0; }\n",
    )
    .expect("write");
    let var = format!("SYSROOT={}", path(&sysroot));
    let run = || {
        let run = confess_full(
            tmp.path(),
            &["make", &path(&src), "--", &var],
            &["--log-format", "json"],
            &[("CONFESS_CACHE", &path(&cache))],
        );
        run.assert_ok();
        let end = end_event(&run);
        let hits = end["scans_from_cache"].as_u64().expect("scans_from_cache");
        (run.json("graph.json"), hits)
    };
    let facts_entries = || {
        std::fs::read_dir(cache.join("work-v1/entries"))
            .expect("entries")
            .flatten()
            .filter(|e| {
                std::fs::read_to_string(e.path().join("meta.json"))
                    .is_ok_and(|t| t.contains("\"facts\""))
            })
            .count()
    };
    let (g, _) = run();
    assert!(!g.to_string().contains("sysroot_only.h"), "cold");
    assert_eq!(facts_entries(), 1, "the facts were not kept");
    let (g, hits) = run();
    assert!(!g.to_string().contains("sysroot_only.h"), "warm");
    assert_eq!(hits, 1, "warm: the scan was not answered from the cache");

    let inc = sysroot.join("usr/include");
    std::fs::create_dir_all(&inc).expect("mkdir");
    std::fs::write(inc.join("sysroot_only.h"), "#define SYSROOT_ONLY 1\n").expect("write");
    let (g, hits) = run();
    assert!(
        g.to_string().contains(&path(&inc.join("sysroot_only.h"))),
        "the header in the directory that appeared was not found"
    );
    assert_eq!(hits, 0, "the scan was answered from stale facts");
}
