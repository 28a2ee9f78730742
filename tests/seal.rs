//! The sealed build: what a build writes outside its tree (an install with an absolute prefix,
//! a path into the tree spelled absolutely, a symlink out of the tree, `make -C /abs/dir`)
//! reaches the scratch copy or a throwaway layer, never the user's files, and is listed in
//! report.md and graph.json; the build has no network unless `--network` is given; what it
//! leaves running dies with its step; where it cannot be sealed, confess says so (exit 10)
//! unless `--unsealed` is given; a confession started in the source directory is the one
//! started elsewhere.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Case {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    src: PathBuf,
    /// A directory outside the tree the build aims at; it holds a file of the user's.
    outside: PathBuf,
}

fn case(makefile: &str) -> Case {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().canonicalize().expect("canonical");
    let src = root.join("src");
    let outside = root.join("outside");
    std::fs::create_dir_all(src.join("sub")).expect("mkdir");
    std::fs::create_dir_all(outside.join("bin")).expect("mkdir");
    std::fs::write(outside.join("bin/hello"), "the user's real program\n").expect("write");
    std::fs::write(src.join("hello.c"), "int main(void) { return 0; }\n").expect("write");
    std::fs::write(src.join("sub/x.c"), "int x(void) { return 1; }\n").expect("write");
    std::fs::write(
        src.join("Makefile"),
        makefile
            .replace("@OUTSIDE@", &outside.display().to_string())
            .replace("@SRC@", &src.display().to_string()),
    )
    .expect("write");
    Case {
        _tmp: tmp,
        root,
        src,
        outside,
    }
}

fn run(c: &Case, options: &[&str], make_args: &[&str]) -> (Run, std::process::Output) {
    // The output directory and its lock beside it are confess's; the rest is the user's.
    let out = c.root.join("out");
    let o = confess_command()
        .arg("make")
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(options)
        .arg(&c.src)
        .arg("--")
        .args(make_args)
        .output()
        .expect("run confess");
    (
        Run {
            out,
            output: o.clone(),
        },
        o,
    )
}

fn report(out: &Path) -> String {
    std::fs::read_to_string(out.join("report.md")).expect("report.md")
}

fn outside_writes(out: &Path) -> Vec<serde_json::Value> {
    let g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("graph.json")).expect("graph"))
            .expect("json");
    g["outside_writes"].as_array().cloned().unwrap_or_default()
}

#[test]
fn an_install_with_an_absolute_prefix_lands_in_the_throwaway_layer_and_is_listed() {
    require("make", "make");
    require("unshare", "util-linux");
    let c = case(
        "PREFIX=@OUTSIDE@\n\
         all: hello\n\
         hello: hello.o\n\t$(CC) -o $@ $^\n\
         install: all\n\tmkdir -p $(PREFIX)/bin $(PREFIX)/share\n\tcp hello $(PREFIX)/bin/hello\n\
         \tln -sf bin/hello $(PREFIX)/share/link\n\trm -f $(PREFIX)/bin/gone\n",
    );
    std::fs::write(c.outside.join("bin/gone"), "a file the install removes\n").expect("write");
    let before = tree_digest(&c.root);
    let (r, o) = run(&c, &[], &["install"]);
    assert!(o.status.success(), "{}", r.stderr());
    // The user's files, outside and in the tree, are as they were.
    let mut after = tree_digest(&c.root);
    after.retain(|k, _| k != "out" && !k.starts_with("out/") && !k.starts_with(".out"));
    assert_eq!(after, before, "files outside the output directory changed");
    let writes = outside_writes(&r.out);
    let at = |p: &str| {
        let want = c.outside.join(p).display().to_string();
        writes
            .iter()
            .find(|w| w["path"] == want.as_str())
            .unwrap_or_else(|| panic!("no write of {want} listed: {writes:?}"))
            .clone()
    };
    let hello = at("bin/hello");
    assert_eq!(hello["kind"], "file");
    // The installed program is a copy of the linked one: its node is the link's output.
    let g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(r.out.join("graph.json")).expect("graph"))
            .expect("json");
    let node = usize::try_from(
        hello["node"]
            .as_u64()
            .expect("installed file names its node"),
    )
    .expect("an index");
    assert_eq!(
        g["nodes"][node]["kind"], "executable",
        "{}",
        g["nodes"][node]
    );
    assert_eq!(at("share/link")["kind"], "symlink");
    assert_eq!(at("share/link")["target"], "bin/hello");
    assert_eq!(at("bin/gone")["kind"], "deleted");
    let rep = report(&r.out);
    assert!(
        rep.contains("## Writes outside the source and build trees: 3"),
        "{rep}"
    );
    assert!(rep.contains("`[build]/hello`"), "{rep}");
}

#[test]
fn absolute_paths_into_the_tree_reach_the_copy() {
    require("make", "make");
    // The tree written through its absolute path, `make -C` with an absolute directory, and a
    // symlink in the tree that leads out of it.
    let c = case(
        "all: hello\n\
         hello: hello.o sub/x.o\n\t$(CC) -o $@ $^\n\
         \techo written > @SRC@/written.txt\n\
         \t$(MAKE) -C @SRC@/sub -f ../Makefile sub-all\n\
         \techo through > escape/through.txt\n\
         sub-all:\n\techo sub > made-in-sub.txt\n",
    );
    std::os::unix::fs::symlink(&c.outside, c.src.join("escape")).expect("symlink");
    let before = tree_digest(&c.root);
    let (r, o) = run(&c, &[], &[]);
    assert!(o.status.success(), "{}", r.stderr());
    let mut after = tree_digest(&c.root);
    after.retain(|k, _| k != "out" && !k.starts_with("out/") && !k.starts_with(".out"));
    assert_eq!(after, before, "files outside the output directory changed");
    let db = r.json("compile_commands.json");
    assert_eq!(db.as_array().map(Vec::len), Some(2), "{db}");
    // Written into the copy: the confession keeps them as generated files.
    let generated = r.out.join("generated");
    assert!(generated.join("written.txt").is_file(), "{}", r.stderr());
    assert!(generated.join("sub/made-in-sub.txt").is_file());
    // Through the symlink: outside the tree, so the throwaway layer, listed.
    let through = c.outside.join("through.txt").display().to_string();
    assert!(
        outside_writes(&r.out)
            .iter()
            .any(|w| w["path"] == through.as_str()),
        "{:?}",
        outside_writes(&r.out)
    );
}

/// `cd src && confess make .`: the shell confess is started from leaves `PWD` naming the
/// source directory, which the sealed build shows as the scratch copy.
fn run_inside(c: &Case, out: &Path) -> Run {
    let o = confess_command()
        .current_dir(&c.src)
        .env("PWD", &c.src)
        .args(["make", "--quiet", "--out"])
        .arg(out)
        .arg(".")
        .output()
        .expect("run confess");
    Run {
        out: out.to_path_buf(),
        output: o,
    }
}

#[test]
fn a_confession_started_in_the_tree_is_the_one_started_elsewhere() {
    require("make", "make");
    // The recipe's shell names the tree by `pwd`, which takes `PWD` when it names the same
    // directory: a build started where confess was started from its tree would name its
    // sources by the user's paths, outside the project.
    let c = case(
        "hello: hello.c sub/x.c\n\
         \t$(CC) -I\"$$(pwd)/sub\" -o $@ \"$$(pwd)/hello.c\" \"$$(pwd)/sub/x.c\"\n",
    );
    let before = tree_digest(&c.root);
    let out = c.root.join("out");
    let inside = run_inside(&c, &out);
    inside.assert_ok();
    let from_inside = contents(&out);
    std::fs::remove_dir_all(&out).expect("rm out");
    let (elsewhere, o) = run(&c, &[], &[]);
    assert!(o.status.success(), "{}", elsewhere.stderr());
    let from_elsewhere = contents(&out);
    let keep = |m: &std::collections::BTreeMap<String, Vec<u8>>| {
        let mut m = m.clone();
        m.retain(|k, _| {
            !k.starts_with("confession/") && !["summary.txt", "build.log"].contains(&k.as_str())
        });
        m
    };
    assert_same_contents(
        "started in the tree, and elsewhere",
        &keep(&from_inside),
        &keep(&from_elsewhere),
    );
    // Relocatable: no path of the user's, not even the compile-and-link's `-I` among the link's
    // flags (a link ignores the preprocessor's flags).
    let manifest = std::fs::read_to_string(out.join("dhall/BUILD.dhall")).expect("BUILD.dhall");
    assert!(
        manifest.contains("[ \"hello.c\"") && !manifest.contains(&c.src.display().to_string()),
        "{manifest}"
    );
    let mut after = tree_digest(&c.root);
    after.retain(|k, _| k != "out" && !k.starts_with("out/") && !k.starts_with(".out"));
    assert_eq!(after, before, "files outside the output directory changed");
}

#[test]
fn the_build_has_no_network_unless_asked() {
    require("make", "make");
    require("bash", "bash");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let project = case(&format!(
        "all: hello\n\
         hello: hello.o\n\t$(CC) -o $@ $^\n\
         \tbash -c 'echo hi > /dev/tcp/127.0.0.1/{port}' && echo reached > net.txt || echo unreachable > net.txt\n"
    ));
    let accepted = |l: &std::net::TcpListener| {
        let mut n = 0;
        while l.accept().is_ok() {
            n += 1;
        }
        n
    };
    let (r, o) = run(&project, &[], &[]);
    assert!(o.status.success(), "{}", r.stderr());
    assert_eq!(
        std::fs::read_to_string(r.out.join("generated/net.txt")).expect("net.txt"),
        "unreachable\n"
    );
    assert_eq!(
        accepted(&listener),
        0,
        "the sealed build reached the machine's network"
    );
    // The attempt is counted, and makes the targets declare the network.
    let g = r.json("graph.json");
    let attempts = g["network_attempts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0]["step"], "make (build)");
    assert!(
        attempts[0]["attempts"].as_u64().unwrap_or(0) >= 1,
        "{attempts:?}"
    );
    let t = r.json("targets.json");
    let hello = &t["packages"][0]["targets"][0];
    assert!(
        hello["requires"].to_string().contains("Network"),
        "{}",
        hello["requires"]
    );
    assert!(r.read("report.md").contains("## Network attempts: "));
    let (r, o) = run(&project, &["--network"], &[]);
    assert!(o.status.success(), "{}", r.stderr());
    assert_eq!(
        std::fs::read_to_string(r.out.join("generated/net.txt")).expect("net.txt"),
        "reached\n"
    );
    assert_eq!(accepted(&listener), 1);
    assert!(r.json("graph.json").get("network_attempts").is_none());
}

#[test]
fn what_the_build_leaves_running_dies_with_its_step() {
    require("make", "make");
    let mark = format!("daemon-{}", std::process::id());
    let c = case(&format!(
        "all: hello\n\
         hello: hello.o\n\t$(CC) -o $@ $^\n\
         \t(CONFESS_TEST_MARK={mark} setsid sleep 300 > /dev/null 2>&1 &)\n"
    ));
    let (r, o) = run(&c, &[], &[]);
    assert!(o.status.success(), "{}", r.stderr());
    assert!(!marked_alive(&mark), "the build's daemon outlived confess");
}

#[test]
fn unsealed_runs_as_asked_and_without_namespaces_the_run_is_refused() {
    require("make", "make");
    let c = case(
        "all: hello\n\
         hello: hello.o\n\t$(CC) -o $@ $^\n\techo unsealed > @OUTSIDE@/unsealed.txt\n",
    );
    // No `unshare` on PATH: the build cannot be sealed, and confess says so before it runs.
    let bin = c.root.join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    for tool in ["make", "cc", "gcc", "sh"] {
        let real = which::which(tool).expect("tool");
        std::os::unix::fs::symlink(real, bin.join(tool)).expect("link");
    }
    let before = tree_digest(&c.root);
    let o = confess_command()
        .args(["make", "--quiet", "--out"])
        .arg(c.root.join("out"))
        .arg(&c.src)
        .env("PATH", &bin)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(10), "{err}");
    assert!(err.contains("cannot run the build sealed here"), "{err}");
    assert!(err.contains("unshare"), "{err}");
    assert!(err.contains("--unsealed"), "{err}");
    let mut after = tree_digest(&c.root);
    after.retain(|k, _| !k.starts_with(".out"));
    assert_eq!(after, before, "a refused run changed files");
    // --unsealed: the build runs as it would without confess, writes outside included.
    let (r, o) = run(&c, &["--unsealed"], &[]);
    assert!(o.status.success(), "{}", r.stderr());
    assert!(c.outside.join("unsealed.txt").is_file());
    assert!(outside_writes(&r.out).is_empty());
}

#[test]
fn an_unprivileged_user_is_sealed_too() {
    // Not root: the seal is made in a user namespace, the machine's root rebuilt from
    // overlays of directories with no mount below them. Writes to the user's own directories
    // outside the tree go to the throwaway layer as they do for root.
    require("make", "make");
    require("setpriv", "util-linux");
    let c = case(
        "PREFIX=@OUTSIDE@\n\
         all: hello\n\
         hello: hello.o\n\t$(CC) -o $@ $^\n\techo home > $$HOME/.written-by-the-build\n\
         \techo tmp > /tmp/confess-seal-unprivileged-$$PPID\n\
         install: all\n\tcp hello $(PREFIX)/bin/hello\n",
    );
    let st = Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(&c.root)
        .status()
        .expect("chown");
    assert!(st.success());
    let before = tree_digest(&c.root);
    let out = c.root.join("out");
    let o = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(confess_bin_for_anyone())
        .args(["make", "--quiet", "--out"])
        .arg(&out)
        .arg(&c.src)
        .args(["--", "install"])
        .env("HOME", &c.outside)
        .env("CONFESS_SCRATCH", &c.root)
        // The tree's files are checked whole: confess's own cache stays out of it.
        .env("CONFESS_CACHE", "off")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let mut after = tree_digest(&c.root);
    after.retain(|k, _| k != "out" && !k.starts_with("out/") && !k.starts_with(".out"));
    assert_eq!(after, before, "files outside the output directory changed");
    let writes = outside_writes(&out);
    let paths: Vec<&str> = writes.iter().filter_map(|w| w["path"].as_str()).collect();
    let hello = c.outside.join("bin/hello").display().to_string();
    let home = c
        .outside
        .join(".written-by-the-build")
        .display()
        .to_string();
    assert!(paths.contains(&hello.as_str()), "{paths:?}");
    assert!(paths.contains(&home.as_str()), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/tmp/confess-seal-unprivileged-")),
        "{paths:?}"
    );
    // fanotify needs root: the reads were not watched, and the outputs say so.
    let g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("graph.json")).expect("graph"))
            .expect("json");
    let unobserved = g["reads_unobserved"].to_string();
    assert!(
        unobserved.contains("make (build): confess ran unprivileged"),
        "{unobserved}"
    );
    assert!(report(&out).contains("Reads were not observed for these steps"));
}

#[test]
fn reads_from_outside_are_observed_and_required_but_not_the_toolchain_or_the_builds_own() {
    use std::os::unix::fs::PermissionsExt;
    // Root only (fanotify marks on mounts): the build reads a file of the user's outside the
    // tree, runs a tool installed outside that reads its own data, and reads a temporary file
    // it wrote itself.
    require("make", "make");
    require("bash", "bash");
    let project = case(
        "all: hello table.h\n\
         hello: hello.o\n\t$(CC) -o $@ $^\n\
         table.h: hello\n\
         \tcat @OUTSIDE@/data.txt > table.h\n\
         \t@OUTSIDE@/tool/bin/gen >> table.h\n\
         \techo temp > /tmp/confess-seal-reads-$$PPID && cat /tmp/confess-seal-reads-$$PPID >> table.h\n",
    );
    std::fs::write(project.outside.join("data.txt"), "#define DATA 1\n").expect("write");
    std::fs::create_dir_all(project.outside.join("tool/bin")).expect("mkdir");
    std::fs::create_dir_all(project.outside.join("tool/share")).expect("mkdir");
    std::fs::write(
        project.outside.join("tool/share/gen.dat"),
        "#define GEN 2\n",
    )
    .expect("write");
    let gen = project.outside.join("tool/bin/gen");
    std::fs::write(
        &gen,
        format!(
            "#!/bin/sh\ncat {}/tool/share/gen.dat\n",
            project.outside.display()
        ),
    )
    .expect("write");
    std::fs::set_permissions(&gen, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let (r, o) = run(&project, &[], &[]);
    assert!(o.status.success(), "{}", r.stderr());
    let g = r.json("graph.json");
    let reads = g["outside_reads"].as_array().cloned().unwrap_or_default();
    let data = project.outside.join("data.txt").display().to_string();
    let listed: Vec<(&str, &str, &str, bool)> = reads
        .iter()
        .map(|x| {
            (
                x["path"].as_str().unwrap_or(""),
                x["program"].as_str().unwrap_or(""),
                x["step"].as_str().unwrap_or(""),
                x["build"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    // The user's file, read by cat in the build step; not the tool's own data (its
    // installation), not the temporary file (the build's own), nothing of the system's.
    assert!(
        listed.contains(&(data.as_str(), "cat", "make (build)", true)),
        "{listed:?}"
    );
    for (p, ..) in &listed {
        assert!(
            !p.contains("gen.dat") && !p.contains("confess-seal-reads-"),
            "{p} listed: {listed:?}"
        );
        assert!(
            !["/usr/", "/lib", "/bin/", "/sbin/", "/etc/"]
                .iter()
                .any(|s| p.starts_with(s) && !p.starts_with("/usr/local/")),
            "{p} listed: {listed:?}"
        );
    }
    assert!(
        g.get("reads_unobserved").is_none(),
        "{}",
        g["reads_unobserved"]
    );
    // Every target requires the file, in the engine form too.
    let t = r.json("targets.json");
    let hello = &t["packages"][0]["targets"][0];
    assert!(
        hello["requires"].to_string().contains(&data),
        "{}",
        hello["requires"]
    );
    let engine = r.read("dhall/BUILD.dhall");
    assert!(
        engine.contains(&format!("Resource.Resource.Filesystem \"{data}\"")),
        "{engine}"
    );
    assert!(report(&r.out).contains(&format!("| `{data}` | cat | make (build) |")));
}
