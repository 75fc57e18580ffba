use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Serialises JSON canonically: object members sorted by key, no insignificant
/// whitespace. Two bodies that mean the same thing get the same bytes.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    // serde_json's `Map` is a BTreeMap (the `preserve_order` feature is off), so
    // plain serialisation already sorts members.
    serde_json::to_vec(value).unwrap_or_default()
}

/// Serialises any value canonically, as [`canonical_json`] of its JSON value.
///
/// The direct serialisation is kept when it is canonical already (a
/// `serde_json::Value`, a struct whose fields are in name order): checking that
/// is a cheap scan, while building the intermediate value allocates per node.
pub fn to_canonical_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let direct = serde_json::to_vec(value)?;
    if members_are_sorted(&direct) {
        return Ok(direct);
    }
    serde_json::to_vec(&serde_json::to_value(value)?)
}

/// True when every object in `json` (compact, as serde_json writes it) has its
/// member names in strictly increasing byte order. Conservative: a name with an
/// escape sequence counts as unsorted, since its bytes are not its text.
fn members_are_sorted(json: &[u8]) -> bool {
    /// An open container: an array, or an object and its last member name.
    enum Open<'a> {
        Array,
        Object(Option<&'a [u8]>),
    }
    let mut stack: Vec<Open<'_>> = Vec::new();
    let mut expect_name = false;
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'{' => {
                stack.push(Open::Object(None));
                expect_name = true;
            }
            b'[' => {
                stack.push(Open::Array);
                expect_name = false;
            }
            b'}' | b']' => {
                stack.pop();
                expect_name = false;
            }
            b',' => expect_name = matches!(stack.last(), Some(Open::Object(_))),
            b'"' => {
                let start = i + 1;
                let mut end = start;
                let mut escaped = false;
                while end < json.len() && json[end] != b'"' {
                    if json[end] == b'\\' {
                        escaped = true;
                        end += 1;
                    }
                    end += 1;
                }
                if expect_name {
                    let name = &json[start..end.min(json.len())];
                    let Some(Open::Object(previous)) = stack.last_mut() else {
                        return false;
                    };
                    if escaped || previous.is_some_and(|p| name <= p) {
                        return false;
                    }
                    *previous = Some(name);
                    expect_name = false;
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    true
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
    fn direct_serialisation_is_kept_only_when_canonical() {
        #[derive(Serialize)]
        struct Sorted {
            amount: u32,
            currency: &'static str,
        }
        #[derive(Serialize)]
        struct Unsorted {
            zeta: u32,
            alpha: Vec<Sorted>,
        }
        let sorted = Sorted {
            amount: 5,
            currency: "EUR",
        };
        assert_eq!(
            to_canonical_json(&sorted).unwrap(),
            br#"{"amount":5,"currency":"EUR"}"#
        );
        let unsorted = Unsorted {
            zeta: 1,
            alpha: vec![sorted],
        };
        assert_eq!(
            to_canonical_json(&unsorted).unwrap(),
            br#"{"alpha":[{"amount":5,"currency":"EUR"}],"zeta":1}"#
        );
        let mut map = std::collections::HashMap::new();
        for k in ["b", "a", "d", "c", "e"] {
            map.insert(k, k);
        }
        assert_eq!(
            to_canonical_json(&map).unwrap(),
            br#"{"a":"a","b":"b","c":"c","d":"d","e":"e"}"#
        );
    }

    #[test]
    fn the_sortedness_scan_agrees_with_the_value_round_trip() {
        let cases: &[&[u8]] = &[
            br#"{}"#,
            br#"[]"#,
            br#"{"a":1,"b":{"c":[1,{"d":2,"e":3}],"f":"x,\"}"}}"#,
            br#"{"b":1,"a":2}"#,
            br#"{"a":1,"a":2}"#,
            br#"{"a":[{"z":1,"y":2}]}"#,
            br#"{"a\"b":1,"c":2}"#,
            br#"{"":1,"a":{"":2}}"#,
            br#"["b","a",{"k":"}{","j":1}]"#,
            br#"{"x":"a\\","y":"\"]"}"#,
            "{\"é\":1,\"ü\":2}".as_bytes(),
        ];
        for &json in cases {
            let value: Value = serde_json::from_slice(json).unwrap();
            let canonical = canonical_json(&value);
            if members_are_sorted(json) {
                assert_eq!(canonical, json, "{}", String::from_utf8_lossy(json));
            }
        }
        assert!(members_are_sorted(
            br#"{"a":1,"b":{"c":[1,{"d":2,"e":3}],"f":"x,\"}"}}"#
        ));
        assert!(!members_are_sorted(br#"{"b":1,"a":2}"#));
        assert!(!members_are_sorted(br#"{"a":1,"a":2}"#));
        assert!(!members_are_sorted(br#"{"a":[{"z":1,"y":2}]}"#));
        assert!(!members_are_sorted(br#"["b","a",{"k":"}{","j":1}]"#));
    }

    /// A JSON tree whose objects serialise members in the order given (like a
    /// struct or a `HashMap`), duplicates and escapes included.
    enum Node {
        Leaf(String),
        List(Vec<Node>),
        Object(Vec<(String, Node)>),
    }

    impl Serialize for Node {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{SerializeMap, SerializeSeq};
            match self {
                Node::Leaf(text) => s.serialize_str(text),
                Node::List(items) => {
                    let mut seq = s.serialize_seq(Some(items.len()))?;
                    for item in items {
                        seq.serialize_element(item)?;
                    }
                    seq.end()
                }
                Node::Object(members) => {
                    let mut map = s.serialize_map(Some(members.len()))?;
                    for (k, v) in members {
                        map.serialize_entry(k, v)?;
                    }
                    map.end()
                }
            }
        }
    }

    #[test]
    fn the_fast_path_never_changes_the_canonical_bytes() {
        // A small deterministic generator (xorshift) over names that collide,
        // nest, need escapes and sort differently as bytes and as text.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        const NAMES: &[&str] = &["a", "b", "ab", "", "é", "z", "a\"", "\\", "}", "[,"];
        fn build(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> Node {
            match if depth == 0 { 0 } else { next(3) } {
                0 => Node::Leaf(NAMES[next(NAMES.len() as u64) as usize].to_string()),
                1 => Node::List((0..next(4)).map(|_| build(next, depth - 1)).collect()),
                _ => Node::Object(
                    (0..next(4))
                        .map(|_| {
                            let name = NAMES[next(NAMES.len() as u64) as usize].to_string();
                            (name, build(next, depth - 1))
                        })
                        .collect(),
                ),
            }
        }
        let mut fast = 0;
        for _ in 0..5_000 {
            let node = build(&mut next, 4);
            let expected = canonical_json(&serde_json::to_value(&node).unwrap());
            if members_are_sorted(&serde_json::to_vec(&node).unwrap()) {
                fast += 1;
            }
            assert_eq!(to_canonical_json(&node).unwrap(), expected);
        }
        assert!(fast > 100, "the fast path was taken {fast} times");
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
