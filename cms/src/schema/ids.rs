//! Id shapes: item/media ids (ULIDs) and block ids.

/// True for a 26-character Crockford base32 ULID (upper case, first character 0-7).
pub fn is_ulid(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == 26
        && matches!(bytes[0], b'0'..=b'7')
        && bytes
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'H' | b'J' | b'K' | b'M' | b'N' | b'P'..=b'T' | b'V'..=b'Z'))
}

/// True for an id a client may give a block: 1 to 64 of `[A-Za-z0-9_-]`.
pub(super) fn is_block_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids() {
        assert!(is_ulid("01JD0000000000000000000000"));
        assert!(is_ulid("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"));
        assert!(
            !is_ulid("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"),
            "first char must be 0-7"
        );
        assert!(!is_ulid("01JD000000000000000000000"), "25 chars");
        assert!(!is_ulid("01JD00000000000000000000000"), "27 chars");
        for bad in ['I', 'L', 'O', 'U', 'a', '-'] {
            let s = format!("01JD{bad}000000000000000000000");
            assert_eq!(s.len(), 26);
            assert!(!is_ulid(&s), "{s}");
        }
        assert!(!is_ulid("01JDé00000000000000000000"));
    }

    #[test]
    fn block_ids() {
        assert!(is_block_id("b1"));
        assert!(is_block_id("A-z_09"));
        assert!(is_block_id(&"x".repeat(64)));
        assert!(!is_block_id(&"x".repeat(65)));
        assert!(!is_block_id(""));
        assert!(!is_block_id("a b"));
        assert!(!is_block_id("<b>"));
    }
}
