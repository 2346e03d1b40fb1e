//! One module per command.

pub mod deals;
pub mod demo;
pub mod generate;
pub mod import;
pub mod serve;
pub mod user;

use std::io::Read;

use anyhow::Context;
use salesflow_store::{DbSettings, Store, access};

/// Connects, migrates and makes sure the built-in roles and settings exist.
pub async fn open(url: &str, settings: &DbSettings) -> anyhow::Result<Store> {
    let store = Store::connect_with(url, settings)
        .await
        .with_context(|| format!("cannot open the database at {}", redact(url)))?;
    store.migrate().await.context("migration failed")?;
    access::bootstrap(&store).await.context("cannot prepare the database")?;
    Ok(store)
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_owned(),
    }
}

/// Reads a password from standard input (first line, without the newline).
pub fn read_password() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("cannot read the password from standard input")?;
    let password = text.lines().next().unwrap_or("").to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

/// A readable random password for the first administrator.
pub fn generate_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}
