use uuid::Uuid;

/// The UUIDv5 namespace for keys derived from intent ids
/// (itself `uuid_v5(NAMESPACE_URL, "https://oncely.dev/ns/intent")`).
pub const INTENT_NAMESPACE: Uuid = Uuid::from_bytes([
    0x22, 0xbf, 0xc8, 0x36, 0x6c, 0x97, 0x54, 0x6a, 0xb1, 0x8d, 0xfd, 0xdf, 0x38, 0xf3, 0xc2, 0xe2,
]);

/// Where the idempotency key of a call came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// Generated at random (UUIDv4) for this call.
    Generated,
    /// Derived (UUIDv5) from a caller-given intent id.
    Intent,
    /// Set by the caller, verbatim.
    Caller,
}

/// An idempotency key and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The header value sent on every attempt.
    pub value: String,
    /// How it was obtained.
    pub source: KeySource,
}

/// A fresh random key (UUIDv4).
pub fn new_key() -> String {
    Uuid::new_v4().to_string()
}

/// The key for an intent: UUIDv5 over the method, the path template and the
/// intent id, so one business id ("order-42") can name the create, the payment
/// and the shipment of that order without their keys colliding.
///
/// ```
/// use oncely::idempotency::key_for_intent;
/// let a = key_for_intent("POST", "/orders", "order-42");
/// assert_eq!(a, key_for_intent("POST", "/orders", "order-42"));
/// assert_ne!(a, key_for_intent("POST", "/orders/{id}/payments", "order-42"));
/// ```
pub fn key_for_intent(method: &str, path_template: &str, intent_id: &str) -> String {
    let name = format!("{method} {path_template}\n{intent_id}");
    Uuid::new_v5(&INTENT_NAMESPACE, name.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_is_what_the_docs_say() {
        let ns = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://oncely.dev/ns/intent");
        assert_eq!(ns, INTENT_NAMESPACE);
    }

    #[test]
    fn keys_are_uuids() {
        assert_eq!(Uuid::parse_str(&new_key()).unwrap().get_version_num(), 4);
        let k = key_for_intent("POST", "/orders", "x");
        assert_eq!(Uuid::parse_str(&k).unwrap().get_version_num(), 5);
        assert_ne!(new_key(), new_key());
    }
}
