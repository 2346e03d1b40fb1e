//! API tokens.

use super::*;

#[derive(Template)]
#[template(path = "access/tokens.html")]
pub(super) struct TokensPage {
    pub(super) ctx: PageCtx,
    pub(super) tokens: Vec<ApiTokenView>,
    pub(super) users: Vec<(i64, String)>,
    pub(super) secret: Option<String>,
    pub(super) name: String,
    pub(super) user_id: String,
    pub(super) errors: FormErrors,
}

impl TokensPage {
    pub(super) fn user_name(&self, id: &i64) -> String {
        self.users.iter().find(|(u, _)| u == id).map(|(_, n)| n.clone()).unwrap_or_else(|| format!("#{id}"))
    }

    pub(super) fn user_selected(&self, id: &i64) -> bool {
        self.user_id == id.to_string()
    }
}

pub(super) async fn tokens_view(
    request: &Page,
    secret: Option<String>,
    name: String,
    user_id: String,
    errors: FormErrors,
) -> PageResult {
    let tokens = access::list_api_tokens(request.store(), request.actor()).await?;
    let users = access::user_names(request.store()).await.unwrap_or_default();
    let ctx = request.ctx("/admin/api-tokens").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = TokensPage { ctx, tokens, users, secret, name, user_id, errors };
    Ok((status, render(&page.ctx, &page)).into_response())
}

pub(super) async fn tokens_page(request: Page) -> PageResult {
    let me = request.session.actor.user_id.map(|u| u.to_string()).unwrap_or_default();
    tokens_view(&request, None, String::new(), me, FormErrors::default()).await
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    pub(super) name: String,
    pub(super) user_id: String,
}

/// Shows the new secret on this response only: it is never stored.
pub(super) async fn create_token(request: Page, Form(form): Form<TokenForm>) -> PageResult {
    let user_id = form.user_id.parse::<i64>().unwrap_or(0);
    Ok(match access::create_api_token(request.store(), request.actor(), &form.name, user_id).await {
        Ok((_, secret)) => {
            tokens_view(&request, Some(secret), String::new(), form.user_id, FormErrors::default()).await?
        }
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            tokens_view(&request, None, form.name, form.user_id, errors).await?
        }
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn revoke_token(request: Page, Path(id): Path<i64>) -> PageResult {
    access::revoke_api_token(request.store(), request.actor(), id).await?;
    Ok(redirect_flash("/admin/api-tokens", "flash.token_revoked"))
}
