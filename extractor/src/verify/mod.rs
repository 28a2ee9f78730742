//! `confess verify`: rebuild from the manifests with the real toolchain, run the legacy build
//! for real, and compare the two, artifact by artifact.

pub mod elf;
