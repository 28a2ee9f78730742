//! Target names from the build system, where it has them: CMake's File API codemodel (kept in
//! the output directory as `cmake-file-api/`). A driver whose build system names its targets
//! (Meson's `introspect --targets`) fills a `Names` the same way through `Driver::names`;
//! targets without a name here are named after their output file.

use super::model::{Origin, TargetKind};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// What the build system says about one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    /// The source directory that defines it (relative to the source root, `.` for the root).
    pub dir: String,
    /// The build file and line that define it.
    pub origin: Option<Origin>,
    pub kind: Option<TargetKind>,
}

#[derive(Clone, Debug, Default)]
pub struct Names {
    /// By output, written as the manifests write paths (`[build]/lib/libz.a`).
    pub by_output: BTreeMap<String, Named>,
    /// Object libraries by the build directory their objects go to (`[build]/CMakeFiles/objs.dir/`).
    pub object_dirs: BTreeMap<String, Named>,
}

impl Names {
    #[must_use]
    pub fn for_output(&self, output: &str) -> Option<&Named> {
        self.by_output.get(output)
    }

    /// The object library an object belongs to, by where it was written.
    #[must_use]
    pub fn object_library(&self, object: &str) -> Option<&Named> {
        self.object_dirs
            .iter()
            .find(|(dir, _)| object.starts_with(dir.as_str()))
            .map(|(_, n)| n)
    }
}

fn load(p: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

/// Names from a File API reply directory (codemodel-v2). A reply that is missing or unreadable
/// gives no names: targets are then named after their outputs.
pub fn cmake(reply: &Path) -> Names {
    let mut names = Names::default();
    let Ok(rd) = std::fs::read_dir(reply) else {
        return names;
    };
    let mut indexes: Vec<_> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("index-"))
        })
        .collect();
    indexes.sort();
    let Some(index) = indexes.last().and_then(|p| load(p)) else {
        return names;
    };
    let Some(cm) = index["objects"].as_array().and_then(|o| {
        o.iter()
            .find(|o| o["kind"] == "codemodel")
            .and_then(|o| o["jsonFile"].as_str())
            .and_then(|f| load(&reply.join(f)))
    }) else {
        return names;
    };
    let src = cm["paths"]["source"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let build = cm["paths"]["build"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let Some(targets) = cm["configurations"][0]["targets"].as_array() else {
        return names;
    };
    for t in targets {
        let Some(t) = t["jsonFile"].as_str().and_then(|f| load(&reply.join(f))) else {
            continue;
        };
        let kind = match t["type"].as_str() {
            Some("EXECUTABLE") => TargetKind::Executable,
            Some("STATIC_LIBRARY") => TargetKind::StaticLibrary,
            Some("SHARED_LIBRARY" | "MODULE_LIBRARY") => TargetKind::SharedLibrary,
            Some("OBJECT_LIBRARY") => TargetKind::ObjectLibrary,
            _ => continue,
        };
        let name = t["name"].as_str().unwrap_or_default().to_string();
        let dir = match t["paths"]["source"].as_str() {
            Some("") | None => ".".to_string(),
            Some(d) => d.to_string(),
        };
        let entry = Named {
            name,
            dir,
            origin: origin(&t, &src),
            kind: Some(kind),
        };
        if kind == TargetKind::ObjectLibrary {
            let bdir = t["paths"]["build"].as_str().unwrap_or(".");
            let prefix = if bdir == "." {
                format!("[build]/CMakeFiles/{}.dir/", entry.name)
            } else {
                format!("[build]/{bdir}/CMakeFiles/{}.dir/", entry.name)
            };
            names.object_dirs.insert(prefix, entry);
            continue;
        }
        for a in t["artifacts"].as_array().into_iter().flatten() {
            let Some(p) = a["path"].as_str() else {
                continue;
            };
            let rel = p
                .strip_prefix(&format!("{build}/"))
                .map_or_else(|| p.to_string(), str::to_string);
            if Path::new(&rel).is_absolute() {
                continue;
            }
            names
                .by_output
                .insert(format!("[build]/{rel}"), entry.clone());
        }
    }
    names
}

/// The file and line of the command that defined the target (add_library, add_executable).
fn origin(t: &Value, src: &str) -> Option<Origin> {
    let bt = usize::try_from(t["backtrace"].as_u64()?).ok()?;
    let g = &t["backtraceGraph"];
    let node = &g["nodes"][bt];
    let file = g["files"][usize::try_from(node["file"].as_u64()?).ok()?].as_str()?;
    let file = file
        .strip_prefix(&format!("{src}/"))
        .unwrap_or(file)
        .to_string();
    Some(Origin {
        file,
        line: node["line"].as_u64().unwrap_or(0),
    })
}
