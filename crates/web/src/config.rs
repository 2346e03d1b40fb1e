//! Web settings, from command-line flags and `SALESFLOW_` variables.

/// How the web layer behaves; built by the CLI.
#[derive(Clone)]
pub struct WebConfig {
    /// The address users reach Salesflow at, for links in e-mails.
    pub public_url: String,
    /// Mark cookies `Secure` (serving over HTTPS).
    pub secure_cookies: bool,
    /// Trust `X-Forwarded-For` for the client address (behind a proxy).
    pub trust_proxy: bool,
    /// `smtp://user:pass@host:587` or `smtps://…`; none → outbox only.
    pub smtp_url: Option<String>,
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

impl std::fmt::Debug for WebConfig {
    // The SMTP URL may hold a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("public_url", &self.public_url)
            .field("secure_cookies", &self.secure_cookies)
            .field("trust_proxy", &self.trust_proxy)
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "<hidden>"))
            .field("mail_from", &self.mail_from)
            .field("node_name", &self.node_name)
            .field("data_dir", &self.data_dir)
            .field("upload_max_bytes", &self.upload_max_bytes)
            .field("attachment_max_bytes", &self.attachment_max_bytes)
            .finish()
    }
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
