//! make -j8 on a generated 2,000-translation-unit project loses no event.

mod common;
use common::*;
use std::fmt::Write as _;

const LIBS: usize = 40;
const PER_LIB: usize = 50;

fn generate(root: &std::path::Path) {
    let mut mk = String::from("CFLAGS ?= -O2\nLIBS :=");
    for l in 0..LIBS {
        let _ = write!(mk, " lib{l}/lib{l}.a");
    }
    mk.push_str("\nall: app\napp: main.o $(LIBS)\n\t$(CC) -o $@ main.o $(LIBS)\n%.o: %.c\n\t$(CC) $(CFLAGS) -Iinclude -MD -c $< -o $@\n-include $(wildcard */*.d)\n");
    std::fs::create_dir_all(root.join("include")).expect("mkdir");
    let mut main = String::from("#include \"all.h\"\nint main(void) { long s = 0;\n");
    let mut hdr = String::new();
    for l in 0..LIBS {
        let dir = root.join(format!("lib{l}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let objs: Vec<String> = (0..PER_LIB).map(|i| format!("lib{l}/f{i}.o")).collect();
        let _ = writeln!(mk, "lib{l}/lib{l}.a: {}\n\t$(AR) rcs $@ $^", objs.join(" "));
        for i in 0..PER_LIB {
            std::fs::write(
                dir.join(format!("f{i}.c")),
                format!("#include \"all.h\"\nint f_{l}_{i}(int x) {{ return x * {i} + {l}; }}\n"),
            )
            .expect("write");
            let _ = writeln!(hdr, "int f_{l}_{i}(int x);");
        }
        let _ = writeln!(main, "  s += f_{l}_0({l});");
    }
    main.push_str("  return (int)(s & 1);\n}\n");
    std::fs::write(root.join("include/all.h"), hdr).expect("write");
    std::fs::write(root.join("main.c"), main).expect("write");
    std::fs::write(root.join("Makefile"), mk).expect("write");
}

#[test]
fn make_j8_on_2000_translation_units_loses_no_event() {
    require("make", "make");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    generate(&src);
    let run = confess(tmp.path(), &["make", src.to_str().expect("utf-8"), "-j8"]);
    run.assert_ok();
    let tus = LIBS * PER_LIB + 1;
    let db = run.json("compile_commands.json");
    assert_eq!(db.as_array().expect("array").len(), tus);
    let conn = rusqlite::Connection::open(run.out.join("confession/events.sqlite")).expect("store");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect("query") };
    assert_eq!(
        count("SELECT COUNT(*) FROM events WHERE role = 'cc' AND decision = 'confessed'"),
        i64::try_from(tus).expect("a count") + 1,
        "compiles + the link"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM events WHERE role = 'ar' AND decision = 'confessed'"),
        i64::try_from(LIBS).expect("a count")
    );
    let graph = run.json("graph.json");
    let link = graph["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["kind"] == "link")
        .expect("link");
    assert_eq!(link["inputs"].as_array().expect("inputs").len(), LIBS + 1);
    let members = graph["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["kind"] == "archive")
        .map(|a| a["inputs"].as_array().expect("inputs").len())
        .sum::<usize>();
    assert_eq!(members, LIBS * PER_LIB);
}
