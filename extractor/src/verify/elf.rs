//! What `confess verify` compares in two builds' artifacts, read with goblin: an object's
//! symbols and allocated section sizes, an archive's members, a linked file's dynamic symbols,
//! DT_NEEDED entries and SONAME. Each comparison names its first difference in words.

use goblin::elf::section_header::SHF_ALLOC;
use goblin::elf::section_header::SHN_UNDEF;
use goblin::elf::sym::{STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FILE, STT_SECTION};
use goblin::elf::Elf;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The facts of a relocatable object that survive a change of build directory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ObjectFacts {
    /// Defined symbols, `name (binding type)`, sorted (a name may repeat: two local statics).
    pub defined: Vec<String>,
    /// Undefined symbols, sorted.
    pub undefined: BTreeSet<String>,
    /// Allocated sections (code and data, not debug information): name and total size.
    pub sections: BTreeMap<String, u64>,
}

/// The facts of a shared library or executable that its users depend on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LinkedFacts {
    pub soname: Option<String>,
    pub needed: Vec<String>,
    /// Dynamic symbols it defines, `name (binding type)`.
    pub defined: BTreeSet<String>,
    /// Dynamic symbols it takes from elsewhere.
    pub undefined: BTreeSet<String>,
}

fn bind_name(b: u8) -> &'static str {
    match b {
        STB_LOCAL => "local",
        STB_GLOBAL => "global",
        STB_WEAK => "weak",
        _ => "unique",
    }
}

fn type_name(t: u8) -> &'static str {
    use goblin::elf::sym::{STT_COMMON, STT_FUNC, STT_GNU_IFUNC, STT_NOTYPE, STT_OBJECT, STT_TLS};
    match t {
        STT_NOTYPE => "notype",
        STT_OBJECT => "object",
        STT_FUNC => "function",
        STT_COMMON => "common",
        STT_TLS => "tls",
        STT_GNU_IFUNC => "ifunc",
        _ => "other",
    }
}

/// Parses an ELF file. goblin reads every string table as UTF-8 and refuses the whole file when
/// a name is not (a C++ or assembler symbol may hold any byte but NUL); every name is read here
/// from the file's bytes instead ([`name_at`]), so such a file is parsed again permissively,
/// which tolerates exactly that.
fn parse(bytes: &[u8]) -> Result<Elf<'_>, String> {
    match Elf::parse(bytes) {
        Ok(elf) => Ok(elf),
        Err(e) if e.to_string().contains("utf8") => {
            Elf::parse_with_opts(bytes, &goblin::options::ParseOptions::permissive())
                .map_err(|e| format!("not an ELF file ({e})"))
        }
        Err(e) => Err(format!("not an ELF file ({e})")),
    }
}

/// Where a string table is in the file: offset and size.
type Table = (usize, usize);

/// The string at `at` of a string table: its bytes up to the NUL, in confess's lossless text
/// form (`shims::raw::text`: bytes that are not UTF-8 become private-use characters, never
/// U+FFFD). `None` for an empty string or one outside the table.
fn name_at(bytes: &[u8], (offset, size): Table, at: usize) -> Option<String> {
    let table = bytes.get(offset..offset.checked_add(size)?)?;
    let rest = table.get(at..)?;
    let end = rest.iter().position(|c| *c == 0).unwrap_or(rest.len());
    (end > 0).then(|| confess_shims::raw::text(&rest[..end]).into_owned())
}

/// The string tables of the symbol table, the section names and the dynamic section.
fn tables(elf: &Elf<'_>) -> (Option<Table>, Option<Table>, Option<Table>) {
    let section = |i: usize| {
        let sh = elf.section_headers.get(i)?;
        Some((
            usize::try_from(sh.sh_offset).ok()?,
            usize::try_from(sh.sh_size).ok()?,
        ))
    };
    let symtab = elf
        .section_headers
        .iter()
        .rfind(|sh| sh.sh_type == goblin::elf::section_header::SHT_SYMTAB)
        .and_then(|sh| section(sh.sh_link as usize));
    let shstr = section(elf.header.e_shstrndx as usize);
    let dynstr = elf.dynamic.as_ref().map(|d| (d.info.strtab, d.info.strsz));
    (symtab, shstr, dynstr)
}

pub fn object_facts(bytes: &[u8]) -> Result<ObjectFacts, String> {
    let elf = parse(bytes)?;
    let (symtab, shstr, _) = tables(&elf);
    let mut f = ObjectFacts::default();
    for s in &elf.syms {
        if matches!(s.st_type(), STT_SECTION | STT_FILE) {
            continue;
        }
        let Some(name) = symtab.and_then(|t| name_at(bytes, t, s.st_name)) else {
            continue;
        };
        if s.st_shndx == SHN_UNDEF as usize {
            f.undefined.insert(name);
        } else {
            f.defined.push(format!(
                "{name} ({} {})",
                bind_name(s.st_bind()),
                type_name(s.st_type())
            ));
        }
    }
    f.defined.sort();
    for sh in &elf.section_headers {
        if sh.sh_flags & u64::from(SHF_ALLOC) == 0 {
            continue;
        }
        let name = shstr
            .and_then(|t| name_at(bytes, t, sh.sh_name))
            .unwrap_or_else(|| "?".to_string());
        *f.sections.entry(name).or_default() += sh.sh_size;
    }
    Ok(f)
}

pub fn linked_facts(bytes: &[u8]) -> Result<LinkedFacts, String> {
    let elf = parse(bytes)?;
    let (_, _, dynstr) = tables(&elf);
    let dyn_name = |at: u64| dynstr.and_then(|t| name_at(bytes, t, usize::try_from(at).ok()?));
    let mut f = LinkedFacts::default();
    if let Some(d) = &elf.dynamic {
        if d.info.soname != 0 {
            f.soname = dyn_name(d.info.soname as u64);
        }
        f.needed = d
            .dyns
            .iter()
            .filter(|e| e.d_tag == goblin::elf::dynamic::DT_NEEDED)
            .filter_map(|e| dyn_name(e.d_val))
            .collect();
    }
    for s in &elf.dynsyms {
        if matches!(s.st_type(), STT_SECTION | STT_FILE) || s.st_bind() == STB_LOCAL {
            continue;
        }
        let Some(name) = dyn_name(s.st_name as u64) else {
            continue;
        };
        if s.st_shndx == SHN_UNDEF as usize {
            f.undefined.insert(name);
        } else {
            f.defined.insert(format!(
                "{name} ({} {})",
                bind_name(s.st_bind()),
                type_name(s.st_type())
            ));
        }
    }
    Ok(f)
}

/// An archive's members in order: name and contents. A thin archive (`ar T`, as meson makes
/// them) holds only the members' paths, relative to its own directory `dir`; their contents are
/// read from there. Names are the members' file names either way.
pub fn archive_members(bytes: &[u8], dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    if bytes.starts_with(b"!<thin>\n") {
        return thin_members(bytes, dir);
    }
    let ar = goblin::archive::Archive::parse(bytes).map_err(|e| format!("not an archive ({e})"))?;
    let mut out = Vec::new();
    for i in 0..ar.len() {
        let Some(m) = ar.get_at(i) else { continue };
        let start = usize::try_from(m.offset).map_err(|e| e.to_string())?;
        let end = start + m.size();
        let data = bytes
            .get(start..end)
            .ok_or_else(|| format!("member {} runs past the end", m.extended_name()))?;
        out.push((base_name(m.extended_name()), data.to_vec()));
    }
    Ok(out)
}

fn base_name(p: &str) -> String {
    p.rsplit('/').next().unwrap_or(p).to_string()
}

/// The members of a thin archive: headers only, with the symbol table and the long-name table
/// stored and every other member named (by path) and not stored.
fn thin_members(bytes: &[u8], dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut pos = 8;
    let mut names: &[u8] = &[];
    let mut out = Vec::new();
    while pos + 60 <= bytes.len() {
        let h = &bytes[pos..pos + 60];
        let field = |a: usize, b: usize| String::from_utf8_lossy(&h[a..b]).trim().to_string();
        let name = field(0, 16);
        let size: usize = field(48, 58)
            .parse()
            .map_err(|_| format!("a thin archive header at byte {pos} has no size"))?;
        pos += 60;
        if name == "/" || name == "/SYM64/" {
            pos += size + (size & 1);
            continue;
        }
        if name == "//" {
            names = bytes.get(pos..pos + size).unwrap_or(&[]);
            pos += size + (size & 1);
            continue;
        }
        // Not stored: "/N" names the member by its offset in the long-name table.
        // GNU ar may pad the field after the offset and end it with a slash ("/0    /").
        let offset = name.strip_prefix('/').and_then(|n| {
            let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<usize>().ok()
        });
        let path = match offset {
            Some(off) => {
                let rest = names.get(off..).unwrap_or(&[]);
                let end = rest
                    .windows(2)
                    .position(|w| w == b"/\n")
                    .unwrap_or(rest.len());
                String::from_utf8_lossy(&rest[..end]).into_owned()
            }
            None => name.trim_end_matches('/').to_string(),
        };
        let file = dir.join(&path);
        let data = std::fs::read(&file)
            .map_err(|e| format!("thin archive member {} ({e})", file.display()))?;
        out.push((base_name(&path), data));
    }
    Ok(out)
}

/// How closely two artifacts agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    /// Byte for byte.
    Identical,
    /// Not byte for byte, but the same symbols, section sizes, members, needed libraries.
    Equivalent,
}

/// The first difference between two sets, in words.
fn set_difference<T: Ord + std::fmt::Display>(
    what: &str,
    real: &BTreeSet<T>,
    ours: &BTreeSet<T>,
) -> Result<(), String> {
    if let Some(x) = real.difference(ours).next() {
        return Err(format!(
            "{what} {x} is in the real build's and not in the manifest build's"
        ));
    }
    if let Some(x) = ours.difference(real).next() {
        return Err(format!(
            "{what} {x} is in the manifest build's and not in the real build's"
        ));
    }
    Ok(())
}

pub fn compare_objects(real: &[u8], ours: &[u8]) -> Result<Agreement, String> {
    if real == ours {
        return Ok(Agreement::Identical);
    }
    let (r, o) = (object_facts(real)?, object_facts(ours)?);
    let counted = |v: &[String]| -> BTreeSet<String> {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        v.iter()
            .map(|s| {
                let n = seen.entry(s).or_default();
                *n += 1;
                if *n == 1 {
                    s.clone()
                } else {
                    format!("{s} #{n}")
                }
            })
            .collect()
    };
    set_difference("defined symbol", &counted(&r.defined), &counted(&o.defined))?;
    set_difference("undefined symbol", &r.undefined, &o.undefined)?;
    let names = |m: &BTreeMap<String, u64>| m.keys().cloned().collect::<BTreeSet<_>>();
    set_difference("section", &names(&r.sections), &names(&o.sections))?;
    for (name, size) in &r.sections {
        let theirs = o.sections.get(name).copied().unwrap_or_default();
        if *size != theirs {
            return Err(format!(
                "section {name} is {size} bytes in the real build's and {theirs} in the manifest build's"
            ));
        }
    }
    Ok(Agreement::Equivalent)
}

/// Compares two archives; `dirs` are the directories they are in (for thin archives).
pub fn compare_archives(
    real: &[u8],
    ours: &[u8],
    dirs: (&Path, &Path),
) -> Result<Agreement, String> {
    if real == ours && !real.starts_with(b"!<thin>\n") {
        return Ok(Agreement::Identical);
    }
    let (r, o) = (
        archive_members(real, dirs.0)?,
        archive_members(ours, dirs.1)?,
    );
    let names = |v: &[(String, Vec<u8>)]| -> BTreeSet<String> {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        v.iter()
            .map(|(n, _)| {
                let k = seen.entry(n).or_default();
                *k += 1;
                if *k == 1 {
                    n.clone()
                } else {
                    format!("{n} (copy {k})")
                }
            })
            .collect()
    };
    set_difference("member", &names(&r), &names(&o))?;
    // Members of one name are compared in order (an archive may hold two a.o).
    let mut agreement = Agreement::Identical;
    let mut theirs: BTreeMap<&str, Vec<&[u8]>> = BTreeMap::new();
    for (n, d) in &o {
        theirs.entry(n).or_default().push(d.as_slice());
    }
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    for (n, d) in &r {
        let k = used.entry(n).or_default();
        let other = theirs.get(n.as_str()).and_then(|v| v.get(*k)).copied();
        *k += 1;
        let Some(other) = other else { continue };
        match compare_objects(d, other) {
            Ok(Agreement::Identical) => {}
            Ok(Agreement::Equivalent) => agreement = Agreement::Equivalent,
            Err(e) => return Err(format!("member {n}: {e}")),
        }
    }
    Ok(if agreement == Agreement::Identical {
        // Same members, different archive bytes: a symbol index or timestamps.
        Agreement::Equivalent
    } else {
        agreement
    })
}

pub fn compare_linked(real: &[u8], ours: &[u8]) -> Result<Agreement, String> {
    if real == ours {
        return Ok(Agreement::Identical);
    }
    let (r, o) = (linked_facts(real)?, linked_facts(ours)?);
    if r.soname != o.soname {
        return Err(format!(
            "SONAME is {} in the real build's and {} in the manifest build's",
            r.soname.as_deref().unwrap_or("(none)"),
            o.soname.as_deref().unwrap_or("(none)")
        ));
    }
    if r.needed != o.needed {
        let (a, b): (BTreeSet<_>, BTreeSet<_>) = (
            r.needed.iter().cloned().collect(),
            o.needed.iter().cloned().collect(),
        );
        set_difference("needed library (DT_NEEDED)", &a, &b)?;
        return Err(format!(
            "needed libraries come in another order: {:?} in the real build's, {:?} in the manifest build's",
            r.needed, o.needed
        ));
    }
    set_difference("dynamic symbol", &r.defined, &o.defined)?;
    set_difference("undefined dynamic symbol", &r.undefined, &o.undefined)?;
    Ok(Agreement::Equivalent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn run(dir: &Path, args: &[&str]) {
        let st = Command::new(args[0])
            .args(&args[1..])
            .current_dir(dir)
            .status()
            .expect("run the real tool (gcc, ar)");
        assert!(st.success(), "{args:?}");
    }

    fn cc(dir: &Path, name: &str, text: &str, flags: &[&str]) -> Vec<u8> {
        std::fs::create_dir_all(dir).expect("mkdir");
        std::fs::write(dir.join(format!("{name}.c")), text).expect("write");
        let src = format!("{name}.c");
        let obj = format!("{name}.o");
        let mut args = vec!["gcc", "-c", src.as_str(), "-o", obj.as_str()];
        args.extend(flags);
        run(dir, &args);
        std::fs::read(dir.join(obj)).expect("object")
    }

    const A: &str = "static int twice(int x) { return 2 * x; }\nint a(int x) { return twice(x); }\nextern int b(int);\nint c(void) { return b(1); }\n";

    #[test]
    fn objects_built_in_two_places_agree_and_a_changed_one_does_not() {
        let t = tempfile::tempdir().expect("tmp");
        let one = cc(&t.path().join("one"), "a", A, &["-g", "-O1"]);
        let two = cc(&t.path().join("two/deeper"), "a", A, &["-g", "-O1"]);
        assert_eq!(compare_objects(&one, &one), Ok(Agreement::Identical));
        // The build directory is in the debug information: not the same bytes, same object.
        assert_ne!(one, two);
        assert_eq!(compare_objects(&one, &two), Ok(Agreement::Equivalent));
        let facts = object_facts(&one).expect("facts");
        assert!(facts.defined.contains(&"a (global function)".to_string()));
        // -O1 inlines the static function; at -O0 it stays, as a local symbol.
        let o0 = object_facts(&cc(&t.path().join("o0"), "a", A, &["-O0"])).expect("facts");
        assert!(
            o0.defined.contains(&"twice (local function)".to_string()),
            "{o0:?}"
        );
        assert_eq!(facts.undefined, BTreeSet::from(["b".to_string()]));
        assert!(facts.sections.contains_key(".text"));
        assert!(!facts.sections.keys().any(|s| s.starts_with(".debug")));
        // A definition more.
        let more = cc(
            &t.path().join("three"),
            "a",
            &format!("{A}int d;\n"),
            &["-g", "-O1"],
        );
        let e = compare_objects(&one, &more).expect_err("differs");
        assert!(
            e.contains("symbol d ") && e.contains("manifest build's and not"),
            "{e}"
        );
        // Other code: another size of .text.
        let plain = "int a(int x) { int y = x * 3; return y + 1; }\n";
        let fast = cc(&t.path().join("four"), "a", plain, &["-O2"]);
        let slow = cc(&t.path().join("five"), "a", plain, &["-O0"]);
        let e = compare_objects(&fast, &slow).expect_err("differs");
        assert!(
            e.starts_with("section .") && e.contains(" bytes in the real build's"),
            "{e}"
        );
    }

    #[test]
    fn archives_agree_by_members() {
        let t = tempfile::tempdir().expect("tmp");
        let make = |dir: &str, members: &[(&str, &str)]| -> Vec<u8> {
            let at = t.path().join(dir);
            for (member, text) in members {
                cc(&at, member, text, &["-O1"]);
            }
            let mut args = vec!["ar".to_string(), "rcs".into(), "libx.a".into()];
            args.extend(members.iter().map(|(member, _)| format!("{member}.o")));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&at, &args);
            std::fs::read(at.join("libx.a")).expect("archive")
        };
        let thin = |dir: &str| -> Vec<u8> {
            let at = t.path().join(dir);
            run(&at, &["ar", "rcsT", "libthin.a", "a.o", "e.o"]);
            std::fs::read(at.join("libthin.a")).expect("archive")
        };
        let x = make("x", &[("a", A), ("e", "int e(void) { return 4; }\n")]);
        let y = make("y", &[("a", A), ("e", "int e(void) { return 4; }\n")]);
        let dirs = (t.path(), t.path());
        assert!(compare_archives(&x, &y, dirs).is_ok());
        let names: Vec<String> = archive_members(&x, t.path())
            .expect("members")
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(names, ["a.o", "e.o"]);
        let short = make("z", &[("a", A)]);
        let err = compare_archives(&x, &short, dirs).expect_err("a member less");
        assert!(err.contains("member e.o"), "{err}");
        let changed = make(
            "w",
            &[("a", A), ("e", "int e(void) { return 4; }\nint f;\n")],
        );
        let err = compare_archives(&x, &changed, dirs).expect_err("a member differs");
        assert!(err.starts_with("member e.o: "), "{err}");
        // A thin archive's members are read from where it names them.
        let tx = thin("x");
        assert!(tx.starts_with(b"!<thin>\n"));
        let members = archive_members(&tx, &t.path().join("x")).expect("thin members");
        assert_eq!(members.len(), 2);
        assert_eq!(
            compare_archives(&tx, &y, (&t.path().join("x"), &t.path().join("y"))),
            Ok(Agreement::Equivalent)
        );
        let tw = thin("w");
        let err = compare_archives(&tw, &x, (&t.path().join("w"), &t.path().join("x")))
            .expect_err("a member differs");
        assert!(err.starts_with("member e.o: "), "{err}");
    }

    #[test]
    fn symbol_names_that_are_not_utf8_are_read_and_compared() {
        // gcc passes an asm label's bytes through; goblin alone refuses such a file.
        let t = tempfile::tempdir().expect("tmp");
        let text = |v: &str| {
            format!("int v __asm__(\"caf\\x{v}\") = 1;\nextern int u __asm__(\"ext\\xff\");\nint g(void) {{ return u; }}\n")
        };
        let one = cc(&t.path().join("one"), "n", &text("e9"), &[]);
        let same = cc(&t.path().join("two"), "n", &text("e9"), &["-g"]);
        let other = cc(&t.path().join("three"), "n", &text("e8"), &[]);
        let f = object_facts(&one).expect("an object with a non-UTF-8 symbol");
        let cafe = confess_shims::raw::text(b"caf\xe9").into_owned();
        assert!(!cafe.contains('\u{FFFD}'));
        let defined = format!("{cafe} (global object)");
        let ext = confess_shims::raw::text(b"ext\xff").into_owned();
        assert!(f.defined.contains(&defined), "{f:?}");
        assert!(f.undefined.contains(&ext), "{f:?}");
        assert!(f.sections.contains_key(".text"), "{f:?}");
        assert_eq!(compare_objects(&one, &same), Ok(Agreement::Equivalent));
        let e = compare_objects(&one, &other).expect_err("another name");
        assert!(e.contains("defined symbol caf"), "{e}");
        // A shared library: dynamic symbols, its SONAME.
        let src = t.path().join("so.c");
        std::fs::write(&src, text("e9")).expect("write");
        let so = t.path().join("libn.so");
        run(
            t.path(),
            &[
                "gcc",
                "-shared",
                "-fPIC",
                src.to_str().expect("utf-8 temp path"),
                "-o",
                so.to_str().expect("utf-8"),
                "-Wl,-soname,libn.so.1",
            ],
        );
        let lib = std::fs::read(&so).expect("library");
        let f = linked_facts(&lib).expect("a library with a non-UTF-8 symbol");
        assert_eq!(f.soname.as_deref(), Some("libn.so.1"));
        assert!(f.defined.contains(&defined), "{f:?}");
        assert!(f.undefined.contains(&ext), "{f:?}");
    }

    #[test]
    fn shared_libraries_agree_by_soname_needed_and_dynamic_symbols() {
        let t = tempfile::tempdir().expect("tmp");
        let so = |dir: &str, text: &str, extra: &[&str]| -> Vec<u8> {
            let d = t.path().join(dir);
            std::fs::create_dir_all(&d).expect("mkdir");
            std::fs::write(d.join("s.c"), text).expect("write");
            let mut args = vec!["gcc", "-shared", "-fPIC", "s.c", "-o", "libs.so"];
            args.extend(extra);
            run(&d, &args);
            std::fs::read(d.join("libs.so")).expect("library")
        };
        let text = "#include <math.h>\ndouble s(double x) { return sqrt(x) + 1; }\n";
        let one = so(
            "one",
            text,
            &["-Wl,-soname,libs.so.1", "-Wl,--no-as-needed", "-lm"],
        );
        let two = so(
            "two",
            text,
            &["-Wl,-soname,libs.so.1", "-Wl,--no-as-needed", "-lm"],
        );
        assert!(compare_linked(&one, &two).is_ok());
        let f = linked_facts(&one).expect("facts");
        assert_eq!(f.soname.as_deref(), Some("libs.so.1"));
        assert!(f.needed.contains(&"libm.so.6".to_string()), "{f:?}");
        assert!(f.defined.contains("s (global function)"), "{f:?}");
        let other = so(
            "three",
            text,
            &["-Wl,-soname,libs.so.2", "-Wl,--no-as-needed", "-lm"],
        );
        let e = compare_linked(&one, &other).expect_err("soname");
        assert!(e.starts_with("SONAME is libs.so.1"), "{e}");
        let no_m = so(
            "four",
            "double s(double x) { return x + 1; }\n",
            &["-Wl,-soname,libs.so.1", "-Wl,--no-as-needed"],
        );
        let e = compare_linked(&one, &no_m).expect_err("needed");
        assert!(e.contains("libm.so.6"), "{e}");
    }
}
