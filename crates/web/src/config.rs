//! Web settings, from command-line flags and `SALESFLOW_` variables.

use secrecy::SecretString;

/// How the web layer behaves; built by the CLI. A secret in it is a
/// `SecretString`: its `Debug` prints `[REDACTED]`, so the settings can be
/// logged whole; `ExposeSecret` reads it where it is used.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// The address users reach Salesflow at, for links in e-mails.
    pub public_url: String,
    /// Mark cookies `Secure` (serving over HTTPS).
    pub secure_cookies: bool,
    /// Trust `X-Forwarded-For` for the client address (behind a proxy).
    pub trust_proxy: bool,
    /// `smtp://user:pass@host:587` or `smtps://…`; none → outbox only.
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    /// Name of this node, for job leases and logs.
    pub node_name: String,
    /// Where uploads (import files) are kept; an import runs on the node
    /// that received its file.
    pub data_dir: std::path::PathBuf,
    /// Largest import file accepted, in bytes.
    pub upload_max_bytes: u64,
    /// Largest attachment accepted (customers, contacts, deals).
    pub attachment_max_bytes: u64,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: "http://127.0.0.1:8080".to_owned(),
            secure_cookies: false,
            trust_proxy: false,
            smtp_url: None,
            mail_from: "Salesflow <no-reply@salesflow.local>".to_owned(),
            node_name: "node".to_owned(),
            // The command line always sets its data directory; this default serves tests.
            data_dir: std::env::temp_dir().join("salesflow"),
            upload_max_bytes: 200 * 1024 * 1024,
            attachment_max_bytes: 20 * 1024 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_secret() {
        let config = WebConfig {
            smtp_url: Some("smtps://mailer:s3cret-pass@mail.example.com:465".into()),
            ..WebConfig::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("s3cret-pass"), "{printed}");
        assert!(!printed.contains("mailer"), "{printed}");
        assert!(printed.contains("smtp_url") && printed.contains("REDACTED"), "{printed}");
        assert!(printed.contains("node_name"), "the rest is shown: {printed}");
    }
}
