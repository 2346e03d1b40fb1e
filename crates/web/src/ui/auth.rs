//! Sign-in and sign-out pages, forgotten and changed passwords, language.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use salesflow_domain::settings::supported_locale;
use salesflow_store::StoreError;
use salesflow_store::access::{self, LoginRequest, SessionKind};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, public_ctx, redirect_flash, render};
use crate::auth::{RequestMeta, SESSION_COOKIE, Session, lang_cookie, local_redirect, session_cookie};
use crate::error::page::PageResult;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/forgot-password", get(forgot_page).post(forgot_submit))
        .route("/reset-password", get(reset_page).post(reset_submit))
        .route("/account/password", get(password_page).post(password_submit))
        .route("/locale", post(set_locale))
}

/// Only paths on this site, so a crafted link cannot send users elsewhere.
fn safe_next(next: Option<&str>) -> String {
    local_redirect(next, "/")
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    ctx: PageCtx,
    username: String,
    next: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    done: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    meta: RequestMeta,
    session: Option<axum::Extension<Session>>,
    Query(q): Query<NextQuery>,
) -> Response {
    if session.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    let ctx = public_ctx(&state, &meta).await;
    let notice = match q.done.as_deref() {
        Some("logout") => Some(ctx.t("auth.signed_out")),
        Some("reset") => Some(ctx.t("auth.reset_done")),
        _ => None,
    };
    let page = LoginPage { next: safe_next(q.next.as_deref()), username: String::new(), error: None, notice, ctx };
    render(&page.ctx, &page)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    meta: RequestMeta,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let user_agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok());
    let result = access::login(
        &state.store,
        LoginRequest {
            identifier: &form.username,
            password: &form.password,
            ip: &meta.ip,
            user_agent,
            kind: SessionKind::Cookie,
            request_id: meta.request_id.clone(),
        },
    )
    .await;
    let next = safe_next(form.next.as_deref());
    Ok(match result {
        Ok(session) => {
            let mut jar = jar.add(session_cookie(session.token, state.config.secure_cookies));
            if let Some(locale) = session.user.locale.as_deref() {
                jar = jar.add(lang_cookie(locale, state.config.secure_cookies));
            }
            (jar, Redirect::to(&next)).into_response()
        }
        Err(err) => {
            let (status, key) = match err {
                StoreError::Unauthorized => (StatusCode::UNAUTHORIZED, "auth.wrong_credentials"),
                StoreError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "errors.throttled"),
                other => return Err(other.into()),
            };
            let ctx = public_ctx(&state, &meta).await;
            let page = LoginPage { error: Some(ctx.t(key)), username: form.username, next, notice: None, ctx };
            (status, render(&page.ctx, &page)).into_response()
        }
    })
}

async fn logout(request: Page) -> PageResult {
    access::logout(request.store(), request.actor(), &request.session.token).await?;
    let jar = request.jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login?done=logout")).into_response())
}

// ---------------------------------------------------------------- forgotten password

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    ctx: PageCtx,
    email: String,
    sent: bool,
    errors: FormErrors,
}

async fn forgot_page(State(state): State<AppState>, meta: RequestMeta) -> Response {
    let ctx = public_ctx(&state, &meta).await;
    let page = ForgotPage { ctx, email: String::new(), sent: false, errors: FormErrors::default() };
    render(&page.ctx, &page)
}

#[derive(Deserialize)]
struct ForgotForm {
    email: String,
}

async fn forgot_submit(State(state): State<AppState>, meta: RequestMeta, Form(form): Form<ForgotForm>) -> PageResult {
    let ctx = public_ctx(&state, &meta).await;
    if !salesflow_domain::validation::is_email(form.email.trim()) {
        let errors = FormErrors::one(&meta.locale, "email", "invalid_email");
        let page = ForgotPage { ctx, email: form.email, sent: false, errors };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page.ctx, &page)).into_response());
    }
    crate::mail::start_password_reset(&state, &meta, &form.email).await?;
    let page = ForgotPage { ctx, email: form.email, sent: true, errors: FormErrors::default() };
    Ok(render(&page.ctx, &page))
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
struct ResetPage {
    ctx: PageCtx,
    token: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn reset_page(State(state): State<AppState>, meta: RequestMeta, Query(q): Query<TokenQuery>) -> Response {
    let ctx = public_ctx(&state, &meta).await;
    let page = ResetPage { ctx, token: q.token.unwrap_or_default(), errors: FormErrors::default() };
    render(&page.ctx, &page)
}

#[derive(Deserialize)]
struct ResetForm {
    token: String,
    new_password: String,
    confirm_password: String,
}

async fn reset_submit(State(state): State<AppState>, meta: RequestMeta, Form(form): Form<ResetForm>) -> PageResult {
    let result = if form.new_password != form.confirm_password {
        Err(StoreError::Invalid(salesflow_domain::Invalid::one("confirm_password", "passwords_differ")))
    } else {
        access::confirm_password_reset(&state.store, &form.token, &form.new_password, &meta.ip).await
    };
    Ok(match result {
        Ok(()) => Redirect::to("/login?done=reset").into_response(),
        Err(StoreError::Invalid(invalid)) => {
            let ctx = public_ctx(&state, &meta).await;
            let page = ResetPage { ctx, token: form.token, errors: FormErrors::from_invalid(&meta.locale, &invalid) };
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page.ctx, &page)).into_response()
        }
        Err(e) => return Err(e.into()),
    })
}

// ---------------------------------------------------------------- own password

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    ctx: PageCtx,
    errors: FormErrors,
    /// "Sign out my other sessions", ticked at first.
    sign_out_others: bool,
}

async fn password_page(request: Page) -> Response {
    let ctx = request.ctx("/account/password").await;
    let page = PasswordPage { ctx, errors: FormErrors::default(), sign_out_others: true };
    render(&page.ctx, &page)
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
    /// Present when the box is ticked.
    sign_out_others: Option<String>,
}

async fn password_submit(request: Page, Form(form): Form<PasswordForm>) -> PageResult {
    let sign_out_others = form.sign_out_others.is_some();
    let result = if form.new_password != form.confirm_password {
        Err(StoreError::Invalid(salesflow_domain::Invalid::one("confirm_password", "passwords_differ")))
    } else {
        access::change_own_password(
            request.store(),
            request.actor(),
            &form.current_password,
            &form.new_password,
            Some(&request.session.token),
            sign_out_others,
        )
        .await
    };
    Ok(match result {
        Ok(()) if sign_out_others => redirect_flash("/account/password", "flash.password_changed_signed_out"),
        Ok(()) => redirect_flash("/account/password", "flash.password_changed"),
        Err(StoreError::Invalid(invalid)) => {
            let ctx = request.ctx("/account/password").await;
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            let page = PasswordPage { ctx, errors, sign_out_others };
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page.ctx, &page)).into_response()
        }
        Err(e) => return Err(e.into()),
    })
}

// ---------------------------------------------------------------- language

#[derive(Deserialize)]
struct LocaleForm {
    locale: String,
    next: Option<String>,
}

/// Switches the language: kept on the account when signed in, and in a
/// cookie for the sign-in page.
async fn set_locale(
    State(state): State<AppState>,
    meta: RequestMeta,
    session: Option<axum::Extension<Session>>,
    jar: CookieJar,
    Form(form): Form<LocaleForm>,
) -> PageResult {
    let Some(locale) = supported_locale(&form.locale) else {
        return Ok(super::error_page(&meta.locale, StatusCode::UNPROCESSABLE_ENTITY, "errors.invalid_page"));
    };
    if let Some(axum::Extension(session)) = session
        && let Err(e) = access::set_own_locale(&state.store, &session.actor, locale).await
    {
        return Err(e.into());
    }
    let jar = jar.add(lang_cookie(locale, state.config.secure_cookies));
    Ok((jar, Redirect::to(&safe_next(form.next.as_deref()))).into_response())
}
