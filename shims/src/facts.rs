//! Facts the build phase records for the extractor, as one typed definition each, read and
//! written with serde on both sides.

use serde::{Deserialize, Serialize};

/// The package requests of a session, one [`PackageRequest`] a line (JSON).
pub const PACKAGES: &str = "packages.jsonl";

/// A package the build asked for: a find_package, FetchContent or ExternalProject request (a
/// line CMake writes through confess's dependency provider, `confess-deps.cmake`) or a
/// pkg-config query of one module (the pkg-config shim). Fields a writer has no value for are
/// left out.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PackageRequest {
    pub name: String,
    /// `find_package`, `pkg-config`, `FetchContent` or `ExternalProject`.
    pub method: String,
    /// The request's arguments as given.
    #[serde(default)]
    pub args: Vec<String>,
    /// The list file that asked (find_package), or the program that asked (pkg-config).
    #[serde(default)]
    pub file: String,
    /// `real` (the machine answered) or `fake` (confess made it up).
    #[serde(default)]
    pub resolved: String,
    #[serde(default)]
    pub found: bool,
    #[serde(default)]
    pub version: String,
    /// Imported targets the answer defined.
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub include_dirs: Vec<String>,
    #[serde(default)]
    pub libraries: Vec<String>,
    /// find_package: `provider` (CMake's dependency provider) or `override` (the command
    /// overridden, before CMake 3.24).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hook: String,
    /// FetchContent: where the content comes from, and its hash (URL hash or tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_cmake_provider_writes_and_round_trips() {
        // A line as confess-deps.cmake writes it (string(JSON ...)).
        let line = r#"{"name":"ZLIB","method":"find_package","args":["ZLIB","REQUIRED"],"file":"/s/CMakeLists.txt","resolved":"fake","found":true,"version":"1.3","targets":["ZLIB::ZLIB"],"include_dirs":["/f/include"],"libraries":["/f/libz.so"],"hook":"provider"}"#;
        let r: PackageRequest = serde_json::from_str(line).expect("parse");
        assert_eq!(r.name, "ZLIB");
        assert_eq!(r.targets, ["ZLIB::ZLIB"]);
        let again: PackageRequest =
            serde_json::from_str(&serde_json::to_string(&r).expect("json")).expect("parse");
        assert_eq!(again, r);
        // A field no writer writes is a mistake, not a fact to drop.
        let bad = line.replace("\"hook\"", "\"hooks\"");
        assert!(serde_json::from_str::<PackageRequest>(&bad).is_err());
    }
}
