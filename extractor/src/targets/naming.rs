//! Naming: the package and name of each target (the build system's when it named the target,
//! else from its output and sources), targets outside the tree moved under `_outside/`, and
//! names made unique within a package.

use super::artifacts::Draft;
use super::model::TargetKind;
use super::outside::outside_packages;
use super::units::Unit;
use crate::pathmap::{PathMap, Root};
use std::collections::BTreeSet;

/// Settles the package and name of every draft.
pub(super) fn name_targets(drafts: &mut [Draft], units: &[Vec<Unit>], map: &PathMap) {
    for (d, us) in drafts.iter_mut().zip(units) {
        let (dir, name) = if let Some(n) = &d.named {
            (n.dir.clone(), n.name.clone())
        } else {
            let dir = package_dir(map, &d.output, us.first().map(|u| u.src.as_str()));
            let name = if d.kind == TargetKind::ObjectLibrary {
                let stem = us
                    .first()
                    .map(|u| u.src.rsplit('/').next().unwrap_or(&u.src).to_string())
                    .unwrap_or_default();
                let stem = stem.rsplit_once('.').map_or(stem.as_str(), |(s, _)| s);
                format!("{stem}_objects")
            } else {
                name_from_output(&d.output, d.kind)
            };
            (dir, name)
        };
        d.dir = dir;
        d.name = name;
    }
    outside_packages(drafts, map);
    unique_names(drafts);
}

/// Names are unique within a package: a clash gets the kind, then a number.
fn unique_names(drafts: &mut [Draft]) {
    let mut order: Vec<usize> = (0..drafts.len()).collect();
    order.sort_by(|a, b| {
        (
            &drafts[*a].dir,
            &drafts[*a].name,
            drafts[*a].kind,
            &drafts[*a].output,
        )
            .cmp(&(
                &drafts[*b].dir,
                &drafts[*b].name,
                drafts[*b].kind,
                &drafts[*b].output,
            ))
    });
    let mut taken: BTreeSet<(String, String)> = BTreeSet::new();
    for &i in &order {
        let d = &drafts[i];
        let mut name = d.name.clone();
        if taken.contains(&(d.dir.clone(), name.clone())) {
            let suffix = match d.kind {
                TargetKind::Executable => "program",
                TargetKind::StaticLibrary => "static",
                TargetKind::SharedLibrary => "shared",
                TargetKind::ObjectLibrary => "objects",
            };
            name = format!("{}_{suffix}", d.name);
            let mut n = 2;
            while taken.contains(&(d.dir.clone(), name.clone())) {
                name = format!("{}_{suffix}{n}", d.name);
                n += 1;
            }
        }
        taken.insert((d.dir.clone(), name.clone()));
        drafts[i].name = name;
    }
}

/// The name of a target after its output: `libz.so.1.2.3` and `libz.a` are `z`, `app` is `app`.
fn name_from_output(output: &str, kind: TargetKind) -> String {
    let file = output.rsplit('/').next().unwrap_or(output);
    let base = match kind {
        TargetKind::SharedLibrary => file.split(".so").next().unwrap_or(file),
        TargetKind::StaticLibrary => file.strip_suffix(".a").unwrap_or(file),
        _ => file.strip_suffix(".exe").unwrap_or(file),
    };
    let base = if matches!(kind, TargetKind::SharedLibrary | TargetKind::StaticLibrary) {
        base.strip_prefix("lib")
            .filter(|b| !b.is_empty())
            .unwrap_or(base)
    } else {
        base
    };
    base.to_string()
}

/// The source directory that owns a target with no name from the build system: the directory
/// of its output when the sources have that directory, else that of its first source.
fn package_dir(map: &PathMap, output: &str, first_src: Option<&str>) -> String {
    let parent = |p: &str| -> String {
        match p.rsplit_once('/') {
            Some((d, _)) => d.to_string(),
            None => ".".to_string(),
        }
    };
    // The nearest directory above the output that the source tree has (zstd links its
    // libraries in `lib/obj/conf_HASH/dynamic/`: the package is `lib`).
    if let Some(rel) = output.strip_prefix("[build]/") {
        let top = parent(rel);
        let mut d = top.clone();
        while d != "."
            && map
                .locate(&map.scratch_src.join(confess_shims::raw::path(&d)))
                .root
                != Root::Source
        {
            d = parent(&d);
        }
        if d != "." || top == "." {
            return d;
        }
    }
    match first_src {
        Some(s) if !s.starts_with('[') && !s.starts_with('/') => parent(s),
        _ => ".".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_outputs() {
        assert_eq!(
            name_from_output("[build]/libz.so.1.3", TargetKind::SharedLibrary),
            "z"
        );
        assert_eq!(
            name_from_output("[build]/lib/libz.a", TargetKind::StaticLibrary),
            "z"
        );
        assert_eq!(
            name_from_output("[build]/app", TargetKind::Executable),
            "app"
        );
    }
}
