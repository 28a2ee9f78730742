//! Facts the build phase records for the extractor, as one typed definition each, read and
//! written with serde on both sides.

use crate::role::Role;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Enums stored as one word of text (events, tokens): serialised as that text, and read back
/// only if it is one this version knows.
macro_rules! text_serde {
    ($t:ty, $what:literal) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.text())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                <$t>::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!(concat!("unknown ", $what, " {:?}"), s))
                })
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.text())
            }
        }
    };
}

/// The phase a call ran in: the configure step (probes, queries: every call runs for real) or
/// the build (calls are confessed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    Configure,
    Build,
}

impl Phase {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Configure => "configure",
            Phase::Build => "build",
        }
    }

    fn text(self) -> Cow<'static, str> {
        Cow::Borrowed(self.as_str())
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Phase> {
        [Phase::Configure, Phase::Build]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

text_serde!(Phase, "phase");

/// Who made a call: a tool the shim stands in for, or a program the build made, run by
/// realization (stored as `exec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    Tool(Role),
    Exec,
}

impl Actor {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Tool(r) => r.as_str(),
            Actor::Exec => "exec",
        }
    }

    fn text(self) -> Cow<'static, str> {
        Cow::Borrowed(self.as_str())
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Actor> {
        if s == "exec" {
            Some(Actor::Exec)
        } else {
            Role::parse(s).map(Actor::Tool)
        }
    }
}

text_serde!(Actor, "role");

/// What the shim did with a call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Written as a token, the real tool not run.
    Confessed,
    /// The real tool ran, for this reason.
    Passthrough(Reason),
    /// Artifacts were built for real (a program the build runs, or what an inspection reads),
    /// then the real tool or program ran.
    Realized,
    /// An inspection answered from the tokens, nothing built (Meson's symbol extractor).
    Answered,
}

impl Decision {
    /// The decision's own word (the reason aside), as events.sqlite's `decision` column holds it.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Decision::Confessed => "confessed",
            Decision::Passthrough(_) => "passthrough",
            Decision::Realized => "realized",
            Decision::Answered => "answered",
        }
    }

    /// The reason a call passed through, if it did.
    #[must_use]
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Decision::Passthrough(r) => Some(r),
            _ => None,
        }
    }

    /// `confessed`, `realized`, `answered`, or `passthrough:<reason>`.
    #[must_use]
    pub fn text(&self) -> Cow<'static, str> {
        match self {
            Decision::Passthrough(r) => Cow::Owned(format!("passthrough:{}", r.text())),
            d => Cow::Borrowed(d.kind()),
        }
    }

    /// The decision from its word and reason (events.sqlite's two columns).
    #[must_use]
    pub fn from_parts(kind: &str, reason: Option<&str>) -> Option<Decision> {
        match (kind, reason) {
            ("confessed", None) => Some(Decision::Confessed),
            ("realized", None) => Some(Decision::Realized),
            ("answered", None) => Some(Decision::Answered),
            ("passthrough", Some(r)) => Reason::parse(r).map(Decision::Passthrough),
            _ => None,
        }
    }

    /// The decision from its text ([`Decision::text`]).
    #[must_use]
    pub fn parse(s: &str) -> Option<Decision> {
        match s.split_once(':') {
            Some(("passthrough", r)) => Decision::from_parts("passthrough", Some(r)),
            Some(_) => None,
            None => Decision::from_parts(s, None),
        }
    }
}

impl PartialOrd for Decision {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Decisions order as their text does (the graph sorts events by it).
impl Ord for Decision {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            (Decision::Passthrough(a), Decision::Passthrough(b)) => a.text().cmp(&b.text()),
            _ => self.kind().cmp(other.kind()),
        }
    }
}

text_serde!(Decision, "decision");

/// Why a call ran the real tool instead of being confessed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Every call of the configure step runs for real.
    ConfigurePhase,
    /// A question to the compiler (`--version`, `-print-*`, `-dumpmachine`).
    InfoQuery,
    /// Preprocessing only (`-E`, or `cpp` itself).
    Preprocess,
    /// Dependencies only (`-M`, `-MM`).
    DepsOnly,
    NoInputs,
    SyntaxOnly,
    /// Input from stdin.
    Stdin,
    /// Reads or writes `/dev/null`: a probe.
    DevNull,
    /// Autoconf's probe files (`conftest.c`).
    Conftest,
    /// Runs in a directory configure tools probe in (`CMakeScratch`, `meson-private`, ...).
    ProbeDir(String),
    /// Runs below a configure step (cmake configuring, `config.status`, meson regenerating).
    ConfigureAncestor(String),
    /// An input that does not exist (the real tool gives the real error).
    MissingInput,
    /// A header that does not exist, without `-MG`.
    MissingHeader,
    /// gcc's own link step calling `ld`.
    Collect2,
    /// A response file the tool reads itself (`@file`) where the shim does not expand it.
    ResponseFile,
    /// A command line the shim does not understand, and why (when known).
    Unparsed(Option<String>),
    /// An archive operation on a real archive (not one the build confessed).
    RealArchive,
    /// A binutils name the shim has no stand-in for.
    NotABinutil,
    /// A binutil called on a real file (not a token).
    RealFile,
    /// `-c -o out` with several sources: invalid, the real compiler says so.
    SeveralSourcesOneOutput,
    NotAnAssembler,
    /// An assembler called for something other than assembling (`--version`).
    NotAssembling,
    /// An assembler writing a raw image (`nasm -f bin`).
    RawImage,
    SeveralInputs,
    /// The assembler's include scan failed.
    IncludeScanFailed,
    /// pkg-config: a query other than a module's flags and version.
    Query,
    /// pkg-config with `CONFESS_DEPS=real`.
    DepsReal,
    /// pkg-config answered by the machine when it knows the module (`CONFESS_DEPS=auto`).
    DepsAutoReal,
}

/// Reasons without data, by their text.
const REASONS: &[(&str, Reason)] = &[
    ("configure-phase", Reason::ConfigurePhase),
    ("info-query", Reason::InfoQuery),
    ("preprocess", Reason::Preprocess),
    ("deps-only", Reason::DepsOnly),
    ("no-inputs", Reason::NoInputs),
    ("syntax-only", Reason::SyntaxOnly),
    ("stdin", Reason::Stdin),
    ("dev-null", Reason::DevNull),
    ("conftest", Reason::Conftest),
    ("missing-input", Reason::MissingInput),
    ("missing-header", Reason::MissingHeader),
    ("collect2", Reason::Collect2),
    ("response-file", Reason::ResponseFile),
    ("unparsed", Reason::Unparsed(None)),
    ("real-archive", Reason::RealArchive),
    ("not-a-binutil", Reason::NotABinutil),
    ("real-file", Reason::RealFile),
    (
        "invalid:-o-with-several-sources",
        Reason::SeveralSourcesOneOutput,
    ),
    ("not-an-assembler", Reason::NotAnAssembler),
    ("not-assembling", Reason::NotAssembling),
    ("raw-image", Reason::RawImage),
    ("several-inputs", Reason::SeveralInputs),
    ("include-scan-failed", Reason::IncludeScanFailed),
    ("query", Reason::Query),
    ("deps-real", Reason::DepsReal),
    ("deps-auto-real", Reason::DepsAutoReal),
];

impl Reason {
    /// The reason as events store it (`conftest`, `probe-dir:CMakeScratch`).
    #[must_use]
    pub fn text(&self) -> Cow<'static, str> {
        match self {
            Reason::ProbeDir(d) => Cow::Owned(format!("probe-dir:{d}")),
            Reason::ConfigureAncestor(a) => Cow::Owned(format!("configure-ancestor:{a}")),
            Reason::Unparsed(Some(why)) => Cow::Owned(format!("unparsed:{why}")),
            r => Cow::Borrowed(
                REASONS
                    .iter()
                    .find(|(_, x)| x == r)
                    .map_or("unparsed", |(t, _)| t),
            ),
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Reason> {
        if let Some((_, r)) = REASONS.iter().find(|(t, _)| *t == s) {
            return Some(r.clone());
        }
        let (head, data) = s.split_once(':')?;
        match head {
            "probe-dir" => Some(Reason::ProbeDir(data.to_string())),
            "configure-ancestor" => Some(Reason::ConfigureAncestor(data.to_string())),
            "unparsed" => Some(Reason::Unparsed(Some(data.to_string()))),
            _ => None,
        }
    }
}

text_serde!(Reason, "reason");

/// What a token's input is, by content: a file's sha256, another token's id, a header that does
/// not exist (`-MG`), a toolchain header (named by path, not hashed), or nothing (a `-l`
/// library the project does not build). Tokens write it as one word (`missing`, `toolchain`,
/// `-` for none), so a token's id is the same as before it was typed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentRef {
    /// Shared: a reader of many tokens keeps one copy of each hash and id
    /// ([`crate::token::Strings`]).
    Hash(std::sync::Arc<str>),
    Token(std::sync::Arc<str>),
    Missing,
    Toolchain,
    None,
}

impl ContentRef {
    /// The word tokens hash and write (empty for none).
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            ContentRef::Hash(h) | ContentRef::Token(h) => h,
            ContentRef::Missing => "missing",
            ContentRef::Toolchain => "toolchain",
            ContentRef::None => "",
        }
    }

    /// The content hash, when this is one.
    #[must_use]
    pub fn sha(&self) -> Option<&str> {
        match self {
            ContentRef::Hash(h) => Some(h),
            _ => None,
        }
    }
}

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
    pub method: Method,
    /// The request's arguments as given.
    #[serde(default)]
    pub args: Vec<String>,
    /// The list file that asked (find_package), or the program that asked (pkg-config).
    #[serde(default)]
    pub file: String,
    pub resolved: Resolution,
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

/// How a build asked for a package.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Method {
    #[default]
    #[serde(rename = "find_package")]
    FindPackage,
    #[serde(rename = "pkg-config")]
    PkgConfig,
    FetchContent,
    ExternalProject,
}

impl Method {
    /// The word packages.jsonl and the outputs use.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::FindPackage => "find_package",
            Method::PkgConfig => "pkg-config",
            Method::FetchContent => "FetchContent",
            Method::ExternalProject => "ExternalProject",
        }
    }
}

/// Who answered a package request.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Resolution {
    /// The machine (the package is installed).
    #[default]
    Real,
    /// confess made it up (`--deps fake`, or not installed under `--deps auto`).
    Fake,
}

impl Resolution {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Real => "real",
            Resolution::Fake => "fake",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_and_decision_reads_back_as_written() {
        let mut all: Vec<Reason> = REASONS.iter().map(|(_, r)| r.clone()).collect();
        all.extend([
            Reason::ProbeDir("CMakeScratch".into()),
            Reason::ConfigureAncestor("config.status".into()),
            Reason::Unparsed(Some("MissingValue(\"-o\")".into())),
        ]);
        for r in all {
            let d = Decision::Passthrough(r.clone());
            assert_eq!(Reason::parse(&r.text()).as_ref(), Some(&r), "{r:?}");
            assert_eq!(Decision::parse(&d.text()).as_ref(), Some(&d), "{d:?}");
            let json = serde_json::to_string(&d).expect("json");
            assert_eq!(serde_json::from_str::<Decision>(&json).expect("read"), d);
            assert_eq!(
                Decision::from_parts(d.kind(), d.reason().map(super::Reason::text).as_deref()),
                Some(d)
            );
        }
        for d in [Decision::Confessed, Decision::Realized, Decision::Answered] {
            assert_eq!(Decision::parse(&d.text()).as_ref(), Some(&d));
        }
        // A word this version does not know is refused, not read as something else.
        assert!(serde_json::from_str::<Decision>("\"passthrough:no-such\"").is_err());
        assert!(serde_json::from_str::<Decision>("\"confessed:x\"").is_err());
        assert!(serde_json::from_str::<Actor>("\"cobol\"").is_err());
        assert_eq!(Actor::parse("exec"), Some(Actor::Exec));
        assert_eq!(Actor::parse("c++"), Some(Actor::Tool(Role::Cxx)));
        assert_eq!(Phase::parse("configure"), Some(Phase::Configure));
    }

    #[test]
    fn decisions_order_as_their_text() {
        let mut ds = [
            Decision::Realized,
            Decision::Passthrough(Reason::Stdin),
            Decision::Confessed,
            Decision::Passthrough(Reason::ProbeDir("a".into())),
            Decision::Answered,
            Decision::Passthrough(Reason::Conftest),
        ];
        let mut texts: Vec<String> = ds.iter().map(|d| d.text().into_owned()).collect();
        ds.sort();
        texts.sort();
        assert_eq!(
            ds.iter().map(|d| d.text().into_owned()).collect::<Vec<_>>(),
            texts
        );
    }

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
        // So is a method or an answer no writer gives.
        assert_eq!(
            (r.method, r.resolved),
            (Method::FindPackage, Resolution::Fake)
        );
        for bad in [
            line.replace("find_package", "find-package"),
            line.replace("\"fake\"", "\"made-up\""),
        ] {
            assert!(
                serde_json::from_str::<PackageRequest>(&bad).is_err(),
                "{bad}"
            );
        }
    }
}
