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
    }
}
