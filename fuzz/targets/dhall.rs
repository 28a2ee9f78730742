//! Fuzz body: verify's Dhall reader (`confess::verify::plan::load`), at the level of the text.
//! `load` reads each BUILD.dhall with `serde_dhall::from_file(..).static_type_annotation()
//! .parse::<Vec<engine::model::Target>>()` and each BUILD.confess.dhall with
//! `serde_dhall::from_file(..).parse::<Vec<targets::model::Target>>()`; here the input text goes
//! through the same parse, type check, normalization and typed deserialization, with imports
//! off (`.imports(false)`), so that nothing is read from disk or the network. The seeds are
//! real manifests with their imports inlined. As in `load`, the text first goes through
//! `verify::imports::scan`, which refuses a file nested deeper than serde_dhall's parser
//! handles in reasonable time (its time triples with each level of brackets). As in `load`,
//! each text is read once, as one of the two files: confess's own form when it mentions
//! `kind` (every BUILD.confess.dhall target has one; the engine's Target has no such field),
//! the engine's otherwise; and as in `load`, within verify's deadline (`verify::plan::within`). (serde_dhall's parse is most of an execution's time, about 1.5 ms
//! for inputs under 1 KB.)

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if confess::verify::imports::scan(text).is_err() {
        return;
    }
    // As in `load`, within verify's deadline (30 s for inputs this small), on a thread of its
    // own: an input serde_dhall reads for longer is refused there, and its thread is left.
    let text = text.to_string();
    let _ = confess::verify::plan::within(text.len() as u64, move || {
        if text.contains("kind") {
            serde_dhall::from_str(&text)
                .imports(false)
                .parse::<Vec<confess::targets::model::Target>>()
                .is_ok()
        } else {
            serde_dhall::from_str(&text)
                .imports(false)
                .static_type_annotation()
                .parse::<Vec<confess::engine::model::Target>>()
                .is_ok()
        }
    });
}
