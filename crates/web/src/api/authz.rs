//! Who may call which route, decided before any body or query is read:
//! every route of the API declares what it needs here, and one middleware
//! checks it. The store checks again (rights, data scope, ownership); this
//! table only makes sure a caller without the right hears 403 first, never
//! a validation error about a body they may not send. A route missing from
//! the table is refused (and a test walks the OpenAPI document for it).

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use salesflow_domain::access::{Action, Module};

use crate::auth::{RequestMeta, Session};
use crate::error::ApiError;

/// What a route needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone, signed in or not (sign-in, password reset).
    Public,
    /// Any signed-in user (their own things: profile, saved views, notices).
    SignedIn,
    /// This right.
    Right(Module, Action),
    /// One of these rights (the store decides which applies, e.g. by the
    /// bulk action or the import's target).
    AnyOf(&'static [(Module, Action)]),
}

use Action::*;
use Module::{
    Access, Audit, Contracts, Customers, Finance, Inventory, Opportunities, Orders, Products, Purchasing, Quotes,
    Settings,
};
use Need::*;

const CUSTOMER_BULK: &[(Module, Action)] = &[(Customers, Edit), (Customers, Delete)];
const IMPORT: &[(Module, Action)] = &[(Customers, Create), (Customers, Edit)];

/// Every route under `/api/v1`: method, path as in the OpenAPI document, need.
pub const ROUTES: &[(&str, &str, Need)] = &[
    // auth
    ("POST", "/auth/login", Public),
    ("POST", "/auth/logout", SignedIn),
    ("POST", "/auth/password-reset", Public),
    ("POST", "/auth/password-reset/confirm", Public),
    ("GET", "/me", SignedIn),
    ("POST", "/me/password", SignedIn),
    // access
    ("GET", "/users", Right(Access, View)),
    ("POST", "/users", Right(Access, Create)),
    // Everyone may read their own account (the store checks the others).
    ("GET", "/users/{id}", SignedIn),
    ("PATCH", "/users/{id}", Right(Access, Edit)),
    ("DELETE", "/users/{id}", Right(Access, Delete)),
    ("POST", "/users/{id}/restore", Right(Access, Delete)),
    ("POST", "/users/{id}/transfer", Right(Customers, Administer)),
    // The person picker: people in the caller's own scope.
    ("GET", "/people", SignedIn),
    ("GET", "/departments", Right(Access, View)),
    ("POST", "/departments", Right(Access, Create)),
    ("PATCH", "/departments/{id}", Right(Access, Edit)),
    ("DELETE", "/departments/{id}", Right(Access, Delete)),
    ("POST", "/departments/{id}/restore", Right(Access, Delete)),
    ("GET", "/roles", Right(Access, View)),
    ("POST", "/roles", Right(Access, Administer)),
    ("GET", "/roles/{id}", Right(Access, View)),
    ("PATCH", "/roles/{id}", Right(Access, Administer)),
    ("DELETE", "/roles/{id}", Right(Access, Administer)),
    ("GET", "/api-tokens", Right(Access, Administer)),
    ("POST", "/api-tokens", Right(Access, Administer)),
    ("DELETE", "/api-tokens/{id}", Right(Access, Administer)),
    // audit, settings
    ("GET", "/audit-log", Right(Audit, View)),
    ("GET", "/outbox", Right(Access, Administer)),
    ("GET", "/settings", SignedIn),
    // Every figure is counted inside the caller's rights and data scope.
    ("GET", "/home", SignedIn),
    ("GET", "/home/warehouse", Right(Inventory, View)),
    // Each kind is searched only with the right to view it.
    ("GET", "/search", SignedIn),
    ("PATCH", "/settings", Right(Settings, Edit)),
    // Forms and filters of everyone who sees customers need the choices.
    ("GET", "/picklists", SignedIn),
    ("POST", "/picklists", Right(Settings, Edit)),
    ("PATCH", "/picklists/{id}", Right(Settings, Edit)),
    // customers and contacts
    ("GET", "/customers", Right(Customers, View)),
    ("POST", "/customers", Right(Customers, Create)),
    ("GET", "/customers/export.csv", Right(Customers, Export)),
    ("GET", "/customers/export.xlsx", Right(Customers, Export)),
    ("POST", "/customers/bulk", AnyOf(CUSTOMER_BULK)),
    ("POST", "/customers/handover-requests", Right(Customers, Create)),
    ("GET", "/customers/{id}", Right(Customers, View)),
    ("PATCH", "/customers/{id}", Right(Customers, Edit)),
    ("DELETE", "/customers/{id}", Right(Customers, Delete)),
    ("POST", "/customers/{id}/restore", Right(Customers, Delete)),
    ("POST", "/customers/{id}/merge", Right(Customers, Administer)),
    ("POST", "/customers/{id}/claim", Right(Customers, Edit)),
    ("POST", "/customers/{id}/release", Right(Customers, Edit)),
    // Whoever reads a record may comment on it; only authors change theirs.
    ("GET", "/customers/{id}/comments", Right(Customers, View)),
    ("POST", "/customers/{id}/comments", Right(Customers, View)),
    ("GET", "/opportunities/{id}/comments", Right(Opportunities, View)),
    ("POST", "/opportunities/{id}/comments", Right(Opportunities, View)),
    ("PATCH", "/comments/{id}", SignedIn),
    ("DELETE", "/comments/{id}", SignedIn),
    // Files: listed and downloaded within the scope; uploaded by those who
    // change the record; deleted by the uploader or an administrator (the
    // store decides by the file's record).
    ("GET", "/customers/{id}/attachments", Right(Customers, View)),
    ("POST", "/customers/{id}/attachments", Right(Customers, Edit)),
    ("GET", "/contacts/{id}/attachments", Right(Customers, View)),
    ("POST", "/contacts/{id}/attachments", Right(Customers, Edit)),
    ("GET", "/opportunities/{id}/attachments", Right(Opportunities, View)),
    ("POST", "/opportunities/{id}/attachments", Right(Opportunities, Edit)),
    ("GET", "/attachments/{id}", SignedIn),
    ("DELETE", "/attachments/{id}", SignedIn),
    ("GET", "/contacts", Right(Customers, View)),
    ("POST", "/contacts", Right(Customers, Edit)),
    ("GET", "/contacts/export.csv", Right(Customers, Export)),
    ("GET", "/contacts/export.xlsx", Right(Customers, Export)),
    ("POST", "/contacts/bulk", Right(Customers, Edit)),
    ("GET", "/contacts/{id}", Right(Customers, View)),
    ("PATCH", "/contacts/{id}", Right(Customers, Edit)),
    ("DELETE", "/contacts/{id}", Right(Customers, Edit)),
    // activities and notices
    ("GET", "/activities", Right(Customers, View)),
    ("POST", "/activities", Right(Customers, Edit)),
    ("GET", "/activities/export.csv", Right(Customers, Export)),
    ("GET", "/activities/export.xlsx", Right(Customers, Export)),
    ("GET", "/notifications", SignedIn),
    ("POST", "/notifications/{id}/read", SignedIn),
    // saved views and list columns: one's own
    ("GET", "/saved-views", SignedIn),
    ("POST", "/saved-views", SignedIn),
    ("DELETE", "/saved-views/{id}", SignedIn),
    ("GET", "/list-columns/{list}", SignedIn),
    ("PUT", "/list-columns/{list}", SignedIn),
    // products: company-wide reference data, read by everyone signed in
    ("GET", "/product-categories", SignedIn),
    ("POST", "/product-categories", Right(Products, Create)),
    ("PATCH", "/product-categories/{id}", Right(Products, Edit)),
    ("DELETE", "/product-categories/{id}", Right(Products, Delete)),
    ("GET", "/products", SignedIn),
    ("GET", "/products/export.csv", Right(Products, Export)),
    ("GET", "/products/export.xlsx", Right(Products, Export)),
    ("POST", "/products", Right(Products, Create)),
    ("GET", "/products/{id}", SignedIn),
    ("PATCH", "/products/{id}", Right(Products, Edit)),
    ("DELETE", "/products/{id}", Right(Products, Delete)),
    ("GET", "/products/{id}/prices", SignedIn),
    ("POST", "/products/{id}/prices", Right(Products, Edit)),
    ("DELETE", "/products/{id}/prices/{entry_id}", Right(Products, Edit)),
    // The customer must be in the caller's scope (the store checks).
    ("GET", "/products/{id}/price", SignedIn),
    // inventory: read by everyone signed in
    ("GET", "/warehouses", SignedIn),
    ("POST", "/warehouses", Right(Inventory, Create)),
    ("GET", "/warehouses/{id}", SignedIn),
    ("PATCH", "/warehouses/{id}", Right(Inventory, Edit)),
    ("DELETE", "/warehouses/{id}", Right(Inventory, Delete)),
    ("GET", "/stock", SignedIn),
    ("GET", "/stock/low", SignedIn),
    ("GET", "/stock-movements", SignedIn),
    ("POST", "/stock-movements", Right(Inventory, Create)),
    // purchasing
    ("GET", "/suppliers", Right(Purchasing, View)),
    ("POST", "/suppliers", Right(Purchasing, Create)),
    ("GET", "/suppliers/{id}", Right(Purchasing, View)),
    ("PATCH", "/suppliers/{id}", Right(Purchasing, Edit)),
    ("DELETE", "/suppliers/{id}", Right(Purchasing, Delete)),
    ("GET", "/purchase-orders", Right(Purchasing, View)),
    ("POST", "/purchase-orders", Right(Purchasing, Create)),
    ("POST", "/purchase-orders/from-low-stock", Right(Purchasing, Create)),
    ("GET", "/purchase-orders/{id}", Right(Purchasing, View)),
    ("PATCH", "/purchase-orders/{id}", Right(Purchasing, Edit)),
    ("DELETE", "/purchase-orders/{id}", Right(Purchasing, Delete)),
    ("POST", "/purchase-orders/{id}/order", Right(Purchasing, Edit)),
    ("POST", "/purchase-orders/{id}/cancel", Right(Purchasing, Edit)),
    ("POST", "/purchase-orders/{id}/receive", Right(Purchasing, Edit)),
    ("GET", "/orders", Right(Orders, View)),
    ("POST", "/orders", Right(Orders, Create)),
    // Approvers read the orders they decide whatever their role (the store
    // checks: the scope with `orders:view`, or the approver of a step).
    ("GET", "/orders/{id}", SignedIn),
    ("PATCH", "/orders/{id}", Right(Orders, Edit)),
    ("POST", "/orders/{id}/submit", Right(Orders, Edit)),
    // The approval engine decides who approves (the step's role or manager).
    ("POST", "/orders/{id}/approve", SignedIn),
    ("POST", "/orders/{id}/reject", SignedIn),
    ("POST", "/orders/{id}/ship", Right(Orders, Edit)),
    ("POST", "/orders/{id}/complete", Right(Orders, Edit)),
    ("POST", "/orders/{id}/cancel", Right(Orders, Edit)),
    ("GET", "/quotes", Right(Quotes, View)),
    ("POST", "/quotes", Right(Quotes, Create)),
    // Approvers read the quotes they decide whatever their role (the store
    // checks: the scope with `quotes:view`, or the approver of a step).
    ("GET", "/quotes/{id}", SignedIn),
    ("PATCH", "/quotes/{id}", Right(Quotes, Edit)),
    ("DELETE", "/quotes/{id}", Right(Quotes, Delete)),
    ("POST", "/quotes/{id}/send", Right(Quotes, Edit)),
    // The approval engine decides who approves (the step's role or manager).
    ("POST", "/quotes/{id}/approve", SignedIn),
    ("POST", "/quotes/{id}/reject-approval", SignedIn),
    // Accepting also makes a sales order: the store asks for `orders:create` too.
    ("POST", "/quotes/{id}/accept", Right(Quotes, Edit)),
    ("POST", "/quotes/{id}/reject", Right(Quotes, Edit)),
    ("GET", "/quotes/{id}/versions", SignedIn),
    ("GET", "/quotes/{id}/compare", SignedIn),
    // money owed on orders (回款)
    ("GET", "/payments", Right(Finance, View)),
    ("POST", "/payments", Right(Finance, Create)),
    ("GET", "/payments/{id}", Right(Finance, View)),
    ("POST", "/payments/{id}/reverse", Right(Finance, Edit)),
    ("GET", "/invoices", Right(Finance, View)),
    ("POST", "/invoices", Right(Finance, Create)),
    ("GET", "/invoices/{id}", Right(Finance, View)),
    ("POST", "/invoices/{id}/void", Right(Finance, Edit)),
    ("GET", "/orders/{id}/plan", Right(Finance, View)),
    ("PUT", "/orders/{id}/plan", Right(Finance, Create)),
    ("GET", "/receivables", Right(Finance, View)),
    ("GET", "/receivables/overdue", Right(Finance, View)),
    ("GET", "/customers/{id}/credit", Right(Finance, View)),
    // returns: the orders module's rights, the order's customer's scope
    ("GET", "/returns", Right(Orders, View)),
    ("POST", "/returns", Right(Orders, Create)),
    ("GET", "/returns/{id}", Right(Orders, View)),
    ("POST", "/returns/{id}/receive", Right(Orders, Edit)),
    ("POST", "/returns/{id}/complete", Right(Orders, Edit)),
    ("POST", "/returns/{id}/cancel", Right(Orders, Edit)),
    // contracts (approvers read and decide whatever their role: the store checks)
    ("GET", "/contracts", Right(Contracts, View)),
    ("POST", "/contracts", Right(Contracts, Create)),
    ("GET", "/contracts/{id}", SignedIn),
    ("PATCH", "/contracts/{id}", Right(Contracts, Edit)),
    ("GET", "/contracts/{id}/versions", SignedIn),
    ("POST", "/contracts/{id}/submit", Right(Contracts, Edit)),
    ("POST", "/contracts/{id}/approve", SignedIn),
    ("POST", "/contracts/{id}/reject", SignedIn),
    ("POST", "/contracts/{id}/start", Right(Contracts, Edit)),
    ("POST", "/contracts/{id}/complete", Right(Contracts, Edit)),
    ("POST", "/contracts/{id}/terminate", Right(Contracts, Edit)),
    ("GET", "/contracts/{id}/attachments", Right(Contracts, View)),
    ("POST", "/contracts/{id}/attachments", Right(Contracts, Edit)),
    ("GET", "/approvals/mine", SignedIn),
    ("GET", "/approval-rules", Right(Settings, View)),
    ("POST", "/approval-rules", Right(Settings, Edit)),
    ("GET", "/approval-rules/{id}", Right(Settings, View)),
    ("PATCH", "/approval-rules/{id}", Right(Settings, Edit)),
    ("DELETE", "/approval-rules/{id}", Right(Settings, Edit)),
    // tasks
    ("GET", "/tasks", Right(Customers, View)),
    ("POST", "/tasks", Right(Customers, Create)),
    ("GET", "/tasks/export.csv", Right(Customers, Export)),
    ("GET", "/tasks/export.xlsx", Right(Customers, Export)),
    ("POST", "/tasks/bulk", Right(Customers, Edit)),
    ("GET", "/tasks/{id}", Right(Customers, View)),
    ("PATCH", "/tasks/{id}", Right(Customers, Edit)),
    ("DELETE", "/tasks/{id}", Right(Customers, Edit)),
    ("POST", "/tasks/{id}/complete", Right(Customers, Edit)),
    ("POST", "/tasks/{id}/reopen", Right(Customers, Edit)),
    ("GET", "/calendar", Right(Customers, View)),
    // leads
    ("GET", "/leads", Right(Customers, View)),
    ("POST", "/leads", Right(Customers, Create)),
    ("GET", "/leads/export.csv", Right(Customers, Export)),
    ("GET", "/leads/export.xlsx", Right(Customers, Export)),
    ("POST", "/leads/bulk", AnyOf(CUSTOMER_BULK)),
    ("GET", "/leads/{id}", Right(Customers, View)),
    ("PATCH", "/leads/{id}", Right(Customers, Edit)),
    ("DELETE", "/leads/{id}", Right(Customers, Delete)),
    ("POST", "/leads/{id}/restore", Right(Customers, Delete)),
    ("GET", "/leads/{id}/convert", Right(Customers, View)),
    ("POST", "/leads/{id}/convert", Right(Customers, Edit)),
    // pipelines
    ("GET", "/pipelines", Right(Opportunities, View)),
    ("POST", "/pipelines", Right(Opportunities, Administer)),
    ("GET", "/pipelines/{id}", Right(Opportunities, View)),
    ("PATCH", "/pipelines/{id}", Right(Opportunities, Administer)),
    ("POST", "/pipelines/{id}/stages", Right(Opportunities, Administer)),
    ("PUT", "/pipelines/{id}/stage-order", Right(Opportunities, Administer)),
    ("PATCH", "/pipelines/{id}/stages/{stage_id}", Right(Opportunities, Administer)),
    ("DELETE", "/pipelines/{id}/stages/{stage_id}", Right(Opportunities, Administer)),
    ("POST", "/pipelines/{id}/stages/{stage_id}/restore", Right(Opportunities, Administer)),
    ("GET", "/lost-reasons", Right(Opportunities, View)),
    ("POST", "/lost-reasons", Right(Opportunities, Administer)),
    ("PATCH", "/lost-reasons/{id}", Right(Opportunities, Administer)),
    // opportunities
    ("GET", "/opportunities", Right(Opportunities, View)),
    ("POST", "/opportunities", Right(Opportunities, Create)),
    ("GET", "/opportunities/export.csv", Right(Opportunities, Export)),
    ("GET", "/opportunities/export.xlsx", Right(Opportunities, Export)),
    ("GET", "/opportunities/totals", Right(Opportunities, View)),
    ("GET", "/opportunities/kanban", Right(Opportunities, View)),
    ("GET", "/opportunities/kanban/{stage_id}/cards", Right(Opportunities, View)),
    ("GET", "/opportunities/{id}", Right(Opportunities, View)),
    ("PATCH", "/opportunities/{id}", Right(Opportunities, Edit)),
    ("DELETE", "/opportunities/{id}", Right(Opportunities, Delete)),
    ("POST", "/opportunities/{id}/restore", Right(Opportunities, Delete)),
    ("POST", "/opportunities/{id}/move", Right(Opportunities, Edit)),
    ("POST", "/opportunities/{id}/win", Right(Opportunities, Edit)),
    ("POST", "/opportunities/{id}/lose", Right(Opportunities, Edit)),
    ("POST", "/opportunities/{id}/reopen", Right(Opportunities, Edit)),
    ("PATCH", "/opportunities/{id}/checklist/{item_id}", Right(Opportunities, Edit)),
    ("GET", "/opportunities/{id}/history", Right(Opportunities, View)),
    // reports (exports of them need the export right too: checked by the handler)
    ("GET", "/reports/funnel", Right(Opportunities, View)),
    ("GET", "/forecasts/weighted", Right(Opportunities, View)),
    // imports
    ("POST", "/imports", AnyOf(IMPORT)),
    ("POST", "/imports/preview", AnyOf(IMPORT)),
    ("GET", "/imports", Right(Customers, View)),
    ("GET", "/imports/{id}", Right(Customers, View)),
    ("POST", "/imports/{id}/start", AnyOf(IMPORT)),
    ("POST", "/imports/{id}/cancel", AnyOf(IMPORT)),
    ("GET", "/imports/{id}/rejected.csv", AnyOf(IMPORT)),
];

pub const PREFIX: &str = "/api/v1";

/// The need of a route (`path` as in the document, without the prefix).
pub fn need_of(method: &Method, path: &str) -> Option<Need> {
    let method = if method == Method::HEAD { "GET" } else { method.as_str() };
    ROUTES.iter().find(|(m, p, _)| *m == method && *p == path).map(|(_, _, n)| *n)
}

/// Refuses a caller before the handler reads anything: 401 without a
/// session, 403 without the right, 403 for a route nobody declared.
pub async fn authorize(request: Request, next: Next) -> Response {
    let locale = request.extensions().get::<RequestMeta>().map(|m| m.locale.clone()).unwrap_or_else(|| "en".into());
    let path = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let need = need_of(request.method(), path.strip_prefix(PREFIX).unwrap_or(&path));
    let session = request.extensions().get::<Session>();
    let allowed = match (need, session) {
        (Some(Public), _) => true,
        (Some(_), None) => return ApiError::unauthorized().in_locale(&locale).into_response(),
        // Another method of a declared path: the router answers 405.
        (None, _) if ROUTES.iter().any(|(_, p, _)| Some(*p) == path.strip_prefix(PREFIX)) => true,
        (None, _) => {
            tracing::error!(%path, "API route without a declared permission");
            false
        }
        (Some(SignedIn), Some(_)) => true,
        (Some(Right(m, a)), Some(s)) => s.actor.can(m, a),
        (Some(AnyOf(rights)), Some(s)) => rights.iter().any(|(m, a)| s.actor.can(*m, *a)),
    };
    if !allowed {
        return ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role does not allow this")
            .in_locale(&locale)
            .into_response();
    }
    next.run(request).await
}
