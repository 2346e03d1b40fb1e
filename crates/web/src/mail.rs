//! Delivers outbox messages by SMTP when `SALESFLOW_SMTP_URL` is set.

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use salesflow_store::{Store, notifications};

use crate::config::WebConfig;

/// Sends one outbox message now, recording success or the error. Without
/// SMTP the message simply stays in the outbox for administrators.
pub async fn deliver(store: &Store, config: &WebConfig, outbox_id: i64) {
    let Some(url) = &config.smtp_url else { return };
    let Ok(Some(msg)) = notifications::get(store, outbox_id).await else { return };
    let result = send(url, &config.mail_from, &msg.to_address, &msg.subject, &msg.body).await;
    if let Err(e) = &result {
        tracing::warn!(outbox_id, error = %e, "e-mail not sent");
    }
    if let Err(e) = notifications::mark(store, outbox_id, result.err()).await {
        tracing::warn!(outbox_id, error = %e, "could not record e-mail delivery");
    }
}

async fn send(url: &str, from: &str, to: &str, subject: &str, body: &str) -> Result<(), String> {
    let message = Message::builder()
        .from(from.parse().map_err(|e| format!("sender: {e}"))?)
        .to(to.parse().map_err(|e| format!("recipient: {e}"))?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|e| e.to_string())?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| e.to_string())?.build();
    transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
}
