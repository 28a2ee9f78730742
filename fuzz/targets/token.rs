//! Fuzz body: the token reader, `confess_shims::token::Token::from_bytes` (and `Token::parse`
//! on the same text). A token that reads must survive a round trip: rendered again
//! (`Token::render`) it reads back as the same token, its kind made explicit and its `sum`
//! line written.

use confess_shims::token::Token;

/// The token as it reads back after `render`: `render` writes a missing kind as `object`.
fn explicit(t: &Token) -> Token {
    let mut t = t.clone();
    t.kind = Some(t.kind());
    t.summed = true;
    t.members = t
        .members
        .iter()
        .map(|(name, m)| (name.clone(), std::sync::Arc::new(explicit(m))))
        .collect();
    t
}

pub fn run(data: &[u8]) {
    let read = Token::from_bytes(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let parsed = Token::parse(text);
        if let (Ok(Some(a)), Ok(b)) = (&read, &parsed) {
            assert_eq!(a, b, "from_bytes and parse disagree");
        }
    }
    let Ok(Some(tok)) = read else {
        return;
    };
    let _ = tok.compute_id(&|p: &str| p.to_string());
    let _ = tok.embedded();
    let text = tok.render("/confess/confess-shim");
    let again = match Token::from_bytes(text.as_bytes()) {
        Ok(Some(t)) => t,
        other => panic!("a rendered token does not read back: {other:?}\n{text}"),
    };
    assert_eq!(
        again,
        explicit(&tok),
        "the round trip changed the token\n{text}"
    );
}
