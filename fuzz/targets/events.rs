//! Fuzz body: the event-log importer's reading of the log, `confess_shims::events::parse_log`
//! (what `events::import` does with the log's text before it writes the store). The input is
//! the log's bytes; a log that is not UTF-8 fails `import` when it reads the file, as here.

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(events) = confess_shims::events::parse_log(text) {
        // One event a line, every line ended.
        assert_eq!(events.len(), text.matches('\n').count());
    }
}
