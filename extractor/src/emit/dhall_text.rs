//! Dhall text both forms of the manifests write: literals, lists, records, import paths, and
//! where each package's BUILD.dhall goes.

use std::fmt::Write;

/// A Dhall text literal.
#[must_use]
pub fn text(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(crate) fn opt_text(o: Option<&String>) -> String {
    match o {
        Some(s) => format!("Some {}", text(s)),
        None => "None Text".into(),
    }
}

/// A list, one element per line when there is more than one, typed when empty.
pub(crate) fn list(items: &[String], ty: &str, indent: usize) -> String {
    match items {
        [] => format!("[] : List {ty}"),
        [one] if !one.contains('\n') && one.len() < 60 => format!("[ {one} ]"),
        _ => {
            let pad = " ".repeat(indent);
            let mut s = String::new();
            for (i, it) in items.iter().enumerate() {
                s.push_str(if i == 0 { "[ " } else { "\n" });
                if i > 0 {
                    s.push_str(&pad);
                    s.push_str(", ");
                }
                s.push_str(it);
            }
            s.push('\n');
            s.push_str(&pad);
            s.push(']');
            s
        }
    }
}

/// A target's record, one field per line, appended to `s` (its comment lines already there).
pub(crate) fn record(s: &mut String, fields: &[(&str, String)]) {
    for (k, (name, value)) in fields.iter().enumerate() {
        let lead = if k == 0 { "      { " } else { "      , " };
        let _ = writeln!(s, "{lead}{name} = {value}");
    }
    s.push_str("      }");
}

/// A toolchain record whose fields are rendered already; `i` is the indentation of what
/// continues the field it is the value of.
pub(crate) fn toolchain_record(fields: [&str; 7], i: usize) -> String {
    let names = [
        "compiler", "host", "target", "cflags", "cxxflags", "ldflags", "sysroot",
    ];
    let p = " ".repeat(i);
    let mut s = String::new();
    for (k, (name, value)) in names.iter().zip(fields).enumerate() {
        if k == 0 {
            let _ = write!(s, "{{ {name} = {value}");
        } else {
            let _ = write!(s, "\n{p}  , {name} = {value}");
        }
    }
    let _ = write!(s, "\n{p}  }}");
    s
}

/// How a directory is written in an import path: each component quoted when it has characters
/// a bare path component may not.
pub(crate) fn import_path(dir: &str) -> String {
    dir.split('/')
        .map(|c| {
            if !c.is_empty()
                && c.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'))
                && c != "."
                && c != ".."
            {
                c.to_string()
            } else {
                text(c)
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Where a package's BUILD.dhall goes, relative to `dhall/`.
#[must_use]
pub fn build_file(dir: &str) -> String {
    if dir == "." {
        "BUILD.dhall".into()
    } else {
        format!("{dir}/BUILD.dhall")
    }
}
