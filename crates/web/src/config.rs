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
        }
    }
}
