//! Origins (scheme, host, port): who may receive the client's credentials.

use url::Url;

/// The origin of a URL as RFC 6454 defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    pub fn of(url: &Url) -> Self {
        Origin {
            scheme: url.scheme().to_ascii_lowercase(),
            host: url.host_str().unwrap_or("").to_ascii_lowercase(),
            port: url.port_or_known_default(),
        }
    }

    /// True when `url` has this origin (compared in place, without allocating).
    pub fn matches(&self, url: &Url) -> bool {
        self.port == url.port_or_known_default()
            && self.scheme.eq_ignore_ascii_case(url.scheme())
            && self.host.eq_ignore_ascii_case(url.host_str().unwrap_or(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_rules() {
        let o = |s: &str| Origin::of(&Url::parse(s).unwrap());
        assert_eq!(
            o("https://API.example.com/a"),
            o("https://api.example.com:443/b")
        );
        assert_ne!(o("https://api.example.com"), o("http://api.example.com"));
        assert_ne!(o("http://127.0.0.1:1"), o("http://127.0.0.1:2"));
        assert_ne!(o("https://api.example.com"), o("https://evil.example.com"));
        let api = o("https://api.example.com");
        assert!(api.matches(&Url::parse("https://API.example.com:443/x").unwrap()));
        assert!(!api.matches(&Url::parse("https://api.example.com:8443/x").unwrap()));
        assert!(!api.matches(&Url::parse("http://api.example.com/x").unwrap()));
        assert!(!api.matches(&Url::parse("https://api.example.com.evil.io/x").unwrap()));
    }
}
