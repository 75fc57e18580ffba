use serde_json::Value;
use sha2::{Digest, Sha256};

/// Serialises JSON canonically: object members sorted by key, no insignificant
/// whitespace. Two bodies that mean the same thing get the same bytes.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    // serde_json's `Map` is a BTreeMap (the `preserve_order` feature is off), so
    // plain serialisation already sorts members.
    serde_json::to_vec(value).unwrap_or_default()
}

/// SHA-256 (hex) over the method, the rendered URL (path and query) and the body.
/// With `canonicalise`, a JSON body is parsed and re-serialised canonically
/// first, so member order does not matter (bodies that are already canonical,
/// or are not JSON, are hashed as they are).
pub fn fingerprint(method: &str, url: &str, body: &[u8], canonicalise: bool) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b"\n");
    hasher.update(url.as_bytes());
    hasher.update(b"\n");
    match canonicalise
        .then(|| serde_json::from_slice::<Value>(body).ok())
        .flatten()
    {
        Some(value) => hasher.update(canonical_json(&value)),
        None => hasher.update(body),
    }
    let mut hex = [0u8; 64];
    // Cannot fail: 64 bytes hold the hex of a 32-byte digest.
    let _ = hex::encode_to_slice(hasher.finalize(), &mut hex);
    std::str::from_utf8(&hex).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_order_does_not_matter_but_content_does() {
        let a = fingerprint("POST", "/o", br#"{"a":1,"b":[1,2]}"#, true);
        let b = fingerprint("POST", "/o", br#"{ "b":[1,2], "a":1 }"#, true);
        let c = fingerprint("POST", "/o", br#"{"a":2,"b":[1,2]}"#, true);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, fingerprint("POST", "/p", br#"{"a":1,"b":[1,2]}"#, true));
        assert_ne!(a, fingerprint("PATCH", "/o", br#"{"a":1,"b":[1,2]}"#, true));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn non_json_bodies_hash_raw() {
        assert_ne!(
            fingerprint("POST", "/o", b"a=1&b=2", false),
            fingerprint("POST", "/o", b"b=2&a=1", false)
        );
        assert_eq!(
            fingerprint("POST", "/o", b"{not json", true),
            fingerprint("POST", "/o", b"{not json", false)
        );
    }
}
