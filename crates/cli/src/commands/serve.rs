//! `salesflow serve`.

use salesflow_store::Store;
use salesflow_store::access::{self, NewUser};
use salesflow_web::{AppState, WebConfig};
use secrecy::{ExposeSecret, SecretString};

use crate::ServeArgs;

pub async fn run(
    url: &str,
    db: &salesflow_store::DbSettings,
    data_dir: &std::path::Path,
    args: ServeArgs,
) -> anyhow::Result<()> {
    let store = super::open(url, db).await?;
    ensure_admin(&store).await?;
    if args.demo {
        super::demo::load_if_missing(&store, data_dir).await?;
    }
    let config = WebConfig {
        public_url: args.public_url.unwrap_or_else(|| format!("http://{}", args.listen)),
        secure_cookies: args.secure_cookies,
        trust_proxy: args.trust_proxy,
        smtp_url: args.smtp_url.filter(|u| !u.is_empty()).map(SecretString::from),
        mail_from: args.mail_from,
        node_name: args.node_name.unwrap_or_else(|| format!("node-{}", args.listen)),
        data_dir: data_dir.to_owned(),
        upload_max_bytes: args.upload_max_mb.saturating_mul(1024 * 1024),
        attachment_max_bytes: args.attachment_max_mb.saturating_mul(1024 * 1024),
    };
    tracing::info!(?config, backend = ?store.backend(), "starting");
    println!("Salesflow: open {} in your browser", config.public_url);
    salesflow_web::serve(AppState { store, config }, args.listen).await
}

/// On first start, creates the administrator `admin`. The password comes
/// from `SALESFLOW_ADMIN_PASSWORD`, or is generated and printed once. Nodes
/// starting at once on an empty database: exactly one creates it.
pub async fn ensure_admin(store: &Store) -> anyhow::Result<()> {
    if access::count_users(store).await? > 0 {
        return Ok(());
    }
    let given = std::env::var("SALESFLOW_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty()).map(SecretString::from);
    let password = given.clone().unwrap_or_else(|| super::generate_password().into());
    let role =
        access::role_by_code(store, "admin").await?.ok_or_else(|| anyhow::anyhow!("the admin role is missing"))?;
    // A name in one language: the company's (Chinese unless configured otherwise).
    let locale = salesflow_store::settings::get(store).await.map(|s| s.settings.default_locale).unwrap_or_default();
    let display_name = if locale == "en" { "Administrator" } else { "系统管理员" };
    let admin = NewUser {
        username: "admin".into(),
        email: "admin@salesflow.local".into(),
        display_name: display_name.into(),
        password: password.expose_secret().to_owned(),
        role_id: role.id,
        department_id: None,
        locale: None,
    };
    let created = access::create_first_admin(store, admin)
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the administrator: {e}"))?;
    if created.is_none() {
        // Another node created it meanwhile.
        return Ok(());
    }
    if given.is_some() {
        println!("Created the administrator 'admin' with the password from SALESFLOW_ADMIN_PASSWORD.");
    } else {
        println!("Created the administrator 'admin' with the password: {}", password.expose_secret());
        println!("(shown only this once; change it under the user menu after signing in)");
    }
    Ok(())
}
