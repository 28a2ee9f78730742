//! Fuzz body: verify's Dhall reader (`confess::verify::plan::load`), at the level of the text.
//! `load` reads each BUILD.dhall with `serde_dhall::from_file(..).static_type_annotation()
//! .parse::<Vec<engine::model::Target>>()` and each BUILD.confess.dhall with
//! `serde_dhall::from_file(..).parse::<Vec<targets::model::Target>>()`; here the input text goes
//! through the same parse, type check, normalization and typed deserialization, with imports
//! off (`.imports(false)`), so that nothing is read from disk or the network. The seeds are
//! real manifests with their imports inlined.

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = serde_dhall::from_str(text)
        .imports(false)
        .static_type_annotation()
        .parse::<Vec<confess::engine::model::Target>>();
    let _ = serde_dhall::from_str(text)
        .imports(false)
        .parse::<Vec<confess::targets::model::Target>>();
}
