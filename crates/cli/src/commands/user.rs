//! `salesflow user …`.

use anyhow::{Context, bail};
use salesflow_store::access::{self, NewUser};
use salesflow_store::{Actor, StoreError};

fn explain(err: StoreError) -> anyhow::Error {
    match err {
        StoreError::Invalid(invalid) => {
            let lines: Vec<String> =
                invalid.0.iter().map(|e| format!("  {}: {}", e.field, e.code.replace('_', " "))).collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        StoreError::NotFound => anyhow::anyhow!("no such user"),
        other => anyhow::anyhow!(other),
    }
}

pub async fn create(
    url: &str,
    db: &salesflow_store::DbSettings,
    username: &str,
    email: &str,
    role: &str,
    display_name: Option<&str>,
    password: &str,
) -> anyhow::Result<()> {
    let store = super::open(url, db).await?;
    let Some(role) = access::role_by_code(&store, role).await.context("cannot read roles")? else {
        let roles = access::list_roles(&store, &Actor::system()).await.map_err(explain)?;
        let codes: Vec<String> = roles.into_iter().map(|r| r.code).collect();
        bail!("unknown role '{role}'; roles are: {}", codes.join(", "));
    };
    let new = NewUser {
        username: username.to_owned(),
        email: email.to_owned(),
        display_name: display_name.unwrap_or(username).to_owned(),
        password: password.to_owned(),
        role_id: role.id,
        department_id: None,
        locale: None,
    };
    let user = access::create_user(&store, &Actor::system(), new).await.map_err(explain)?;
    println!("created user {} (id {}, role {})", user.username, user.id, user.role_code);
    Ok(())
}

pub async fn reset_password(
    url: &str,
    db: &salesflow_store::DbSettings,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    let store = super::open(url, db).await?;
    access::reset_password(&store, &Actor::system(), username, password).await.map_err(explain)?;
    println!("password of {username} changed; their sessions have ended");
    Ok(())
}
