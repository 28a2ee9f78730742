//! `confess sbom` and the formats' own validators (cyclonedx-python-lib's strict JSON-schema
//! validator for CycloneDX 1.5, spdx-tools' pyspdxtools for SPDX 2.3), installed by
//! scripts/install-deps.sh in a virtual environment.

use super::confess_command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// 2026-12-02T12:00:00Z.
pub const EPOCH: &str = "1796212800";

pub fn venv() -> PathBuf {
    let v = std::env::var_os("CONFESS_SBOM_VENV").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/confess/sbom-venv"),
        PathBuf::from,
    );
    assert!(
        v.join("bin/pyspdxtools").is_file(),
        "the SBOM validators are not installed in {}: run scripts/install-deps.sh",
        v.display()
    );
    v
}

pub fn sbom(out: &Path, format: &str) -> String {
    let o = confess_command()
        .args(["sbom", "--format", format, "--out"])
        .arg(out)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .output()
        .expect("confess sbom");
    assert_eq!(
        o.status.code(),
        Some(0),
        "confess sbom --format {format}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

/// The CycloneDX validator's verdict: `None` when valid, else its message.
pub fn cyclonedx_errors(text: &str, dir: &Path) -> Option<String> {
    let f = dir.join("sbom.cdx.json");
    std::fs::write(&f, text).expect("write");
    let o = Command::new(venv().join("bin/python"))
        .arg("-c")
        .arg(
            "import sys\n\
             from cyclonedx.validation.json import JsonStrictValidator\n\
             from cyclonedx.schema import SchemaVersion\n\
             e = JsonStrictValidator(SchemaVersion.V1_5).validate_str(open(sys.argv[1]).read())\n\
             print('valid' if e is None else e)\n\
             sys.exit(0 if e is None else 1)\n",
        )
        .arg(&f)
        .output()
        .expect("python");
    let said =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    match o.status.code() {
        Some(0) => {
            assert_eq!(said.trim(), "valid");
            None
        }
        _ => Some(said),
    }
}

/// pyspdxtools' verdict: `None` when it parses and validates the document, else its message.
pub fn spdx_errors(text: &str, dir: &Path) -> Option<String> {
    let f = dir.join("sbom.spdx.json");
    std::fs::write(&f, text).expect("write");
    let o = Command::new(venv().join("bin/pyspdxtools"))
        .arg("-i")
        .arg(&f)
        .output()
        .expect("pyspdxtools");
    let said =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    match o.status.code() {
        Some(0) => None,
        _ => Some(said),
    }
}

/// Both documents of `out`: valid by their validators, each the same when written twice, and
/// the validators shown to reject a broken copy (so their verdict means something).
pub fn checked(out: &Path, dir: &Path) -> (Value, Value) {
    let cdx = sbom(out, "cyclonedx");
    let spdx = sbom(out, "spdx");
    assert_eq!(
        cdx,
        sbom(out, "cyclonedx"),
        "CycloneDX differs between two runs"
    );
    assert_eq!(spdx, sbom(out, "spdx"), "SPDX differs between two runs");
    assert_eq!(cyclonedx_errors(&cdx, dir), None, "CycloneDX 1.5:\n{cdx}");
    assert_eq!(spdx_errors(&spdx, dir), None, "SPDX 2.3:\n{spdx}");
    let cdx: Value = serde_json::from_str(&cdx).expect("json");
    let spdx: Value = serde_json::from_str(&spdx).expect("json");

    let mut broken = cdx.clone();
    broken["components"][0]["type"] = "gadget".into();
    let e = cyclonedx_errors(&broken.to_string(), dir).expect("a component of type gadget");
    assert!(e.contains("gadget"), "{e}");
    let mut broken = spdx.clone();
    broken["packages"][1]["SPDXID"] = "SPDXRef_1".into();
    let e = spdx_errors(&broken.to_string(), dir).expect("an SPDX id with an underscore");
    assert!(e.contains("SPDXRef_1"), "{e}");

    assert_eq!(cdx["specVersion"], "1.5");
    assert_eq!(cdx["metadata"]["timestamp"], "2026-12-02T12:00:00Z");
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(spdx["creationInfo"]["created"], "2026-12-02T12:00:00Z");
    (cdx, spdx)
}
