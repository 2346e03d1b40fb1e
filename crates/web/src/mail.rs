//! Delivers outbox messages by SMTP when `SALESFLOW_SMTP_URL` is set, and
//! writes the messages both the API and the pages send (password reset).

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use salesflow_store::{Store, StoreResult, notifications};
use secrecy::ExposeSecret;

use crate::auth::RequestMeta;
use crate::config::WebConfig;
use crate::server::AppState;

/// Sends one outbox message now, recording success or the error. Without
/// SMTP the message simply stays in the outbox for administrators.
pub async fn deliver(store: &Store, config: &WebConfig, outbox_id: i64) {
    let Some(url) = &config.smtp_url else { return };
    let Ok(Some(msg)) = notifications::get(store, outbox_id).await else { return };
    let result = send(url.expose_secret(), &config.mail_from, &msg.to_address, &msg.subject, &msg.body).await;
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

/// Starts a reset: writes the e-mail to the outbox in the user's language
/// and sends it by SMTP in the background when configured, so the answer
/// takes as long whether or not the address exists.
pub async fn start_password_reset(state: &AppState, meta: &RequestMeta, email: &str) -> StoreResult<()> {
    let base = state.config.public_url.trim_end_matches('/').to_owned();
    let mail = salesflow_store::access::request_password_reset(&state.store, email, &meta.ip, |user, token| {
        let locale = user.locale.clone().unwrap_or_else(|| meta.locale.clone());
        let link = format!("{base}/reset-password?token={token}");
        let subject = crate::i18n::t(&locale, "mail.reset_subject");
        let body =
            crate::i18n::t(&locale, "mail.reset_body").replace("%{name}", &user.display_name).replace("%{link}", &link);
        (subject, body)
    })
    .await?;
    if let Some(mail) = mail {
        let (store, config) = (state.store.clone(), state.config.clone());
        tokio::spawn(async move { deliver(&store, &config, mail.outbox_id).await });
    }
    Ok(())
}
