//! Reading request bodies and query strings, once for every route: JSON is
//! parsed to a tree first (malformed → 400), text holding NUL is refused
//! (422; PostgreSQL cannot store it), then the tree is read into the body
//! type (wrong or missing fields → 422 naming the field). `PATCH` bodies
//! are RFC 7396 merge patches applied to the current record.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use salesflow_domain::{FieldError, Invalid};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::auth::RequestMeta;
use crate::error::ApiError;

fn locale_of(req: &Request) -> String {
    req.extensions().get::<RequestMeta>().map(|m| m.locale.clone()).unwrap_or_else(|| "en".into())
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The raw body of a JSON request: 415 without a JSON content type.
async fn json_bytes(req: Request) -> Result<Bytes, ApiError> {
    let locale = locale_of(&req);
    if !is_json(req.headers()) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "media-type",
            "expected a request with `Content-Type: application/json`",
        )
        .in_locale(&locale));
    }
    Bytes::from_request(req, &()).await.map_err(|e| ApiError::new(e.status(), "malformed", e.body_text()))
}

/// Parses JSON text into a tree: 400 when it is not JSON, 422 when a
/// string or key holds NUL.
pub fn parse_tree(bytes: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if let Some(path) = nul_path(&value, String::new()) {
        return Err(nul_error(&path));
    }
    Ok(value)
}

/// 422 on the field whose text holds NUL.
pub fn nul_error(field: &str) -> ApiError {
    let field = if field.is_empty() { "body" } else { field };
    ApiError::invalid(Invalid::one(field, "contains_nul"))
}

/// Where in the tree a string (or key) holds NUL, as `a.b[2]`.
fn nul_path(value: &Value, at: String) -> Option<String> {
    match value {
        Value::String(s) if s.contains('\0') => Some(at),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| nul_path(v, format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
            if k.contains('\0') { Some(here) } else { nul_path(v, here) }
        }),
        _ => None,
    }
}

/// Reads a tree into a body type; a missing field is `required`, any other
/// mismatch is `invalid_type` on its path, with serde's words as detail.
pub fn from_tree<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let text = inner.to_string();
        let field_error = match text.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
            Some(name) => {
                let field = if path == "." { name.to_owned() } else { format!("{path}.{name}") };
                FieldError::new(&field, "required")
            }
            None if text.starts_with("unknown field `") => {
                let name = text.trim_start_matches("unknown field `").split('`').next().unwrap_or_default();
                let field = if path == "." { name.to_owned() } else { path.clone() };
                FieldError::new(&field, "unknown_field")
            }
            None => FieldError::new(if path == "." { "body" } else { &path }, "invalid_type"),
        };
        let mut err = ApiError::invalid(Invalid(vec![field_error]));
        err.kind = "invalid-body";
        err.detail = Some(text);
        err
    })
}

/// Reads a JSON request body: 415, 400, or 422 as above.
pub async fn read_json<T: DeserializeOwned>(req: Request) -> Result<T, ApiError> {
    let locale = locale_of(&req);
    let bytes = json_bytes(req).await?;
    parse_tree(&bytes).and_then(from_tree).map_err(|e| e.in_locale(&locale))
}

/// An action's optional JSON body: none at all (no content type needed) is
/// the default; a body that is there is read like [`read_json`].
pub async fn read_optional_json<T: DeserializeOwned + Default>(req: Request) -> Result<T, ApiError> {
    let locale = locale_of(&req);
    let json = is_json(req.headers());
    let bytes = Bytes::from_request(req, &())
        .await
        .map_err(|e| ApiError::new(e.status(), "malformed", e.body_text()).in_locale(&locale))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "media-type",
            "expected a request with `Content-Type: application/json`",
        )
        .in_locale(&locale));
    }
    optional(&bytes).map_err(|e| e.in_locale(&locale))
}

/// An optional JSON body: none (or only whitespace) is the default.
pub fn optional<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_tree(bytes).and_then(from_tree)
}

/// A query string's names and values, decoded: 422 when one holds NUL.
pub fn check_query(query: Option<&str>) -> Result<(), ApiError> {
    let Some(query) = query else { return Ok(()) };
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k.contains('\0') || v.contains('\0') {
            return Err(nul_error(&k.replace('\0', "")));
        }
    }
    Ok(())
}

/// Reads query parameters: NUL is a 422; a value of the wrong kind or not
/// one of a filter's choices is a 400 naming the parameter.
pub fn read_query<T: DeserializeOwned>(query: Option<&str>) -> Result<T, ApiError> {
    check_query(query)?;
    let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes());
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs)).map_err(|e| {
        let path = e.path().to_string();
        let text = e.into_inner().to_string();
        let code = if text.starts_with("unknown value") { "invalid_choice" } else { "invalid_type" };
        let field = if path == "." { "query" } else { &path };
        let mut err = ApiError::invalid(Invalid(vec![FieldError::new(field, code)]));
        err.status = StatusCode::BAD_REQUEST;
        err.kind = "malformed";
        err.detail = Some(format!("{field}: {text}"));
        err
    })
}

// ---------------------------------------------------------------- filters

/// Query filters whose values come from a fixed list: an unknown value is
/// a malformed request (400), not a filter that silently matches nothing
/// or everything. Blank means no filter. Used as
/// `#[serde(default, deserialize_with = "filters::grade")]`.
pub mod filters {
    use salesflow_domain::activities::{ActivityKind, Intention};
    use salesflow_domain::customers::{ContactRole, Grade};
    use salesflow_domain::leads::LeadStatus;
    use salesflow_domain::pipelines::OpportunityStatus;
    use salesflow_domain::tasks::{Priority, RelatedKind, TaskStatus};
    use serde::{Deserialize, Deserializer};

    /// The values a list's filter accepts (for the OpenAPI document), by
    /// the list's path and the parameter's name.
    pub fn choices(path: &str, param: &str) -> Option<Vec<&'static str>> {
        let list = path.trim_start_matches("/api/v1/").split('/').next().unwrap_or_default();
        let codes = match (list, param) {
            ("customers", "grade") => Grade::ALL.iter().map(|g| g.code()).collect(),
            ("contacts", "role") => ContactRole::ALL.iter().map(|r| r.code()).collect(),
            ("leads", "status") => LeadStatus::ALL.iter().map(|s| s.code()).collect(),
            ("leads" | "activities", "intention") => Intention::ALL.iter().map(|i| i.code()).collect(),
            ("activities", "kind") => ActivityKind::ALL.iter().map(|k| k.code()).collect(),
            ("opportunities", "status") => OpportunityStatus::ALL.iter().map(|s| s.code()).collect(),
            // `open` (every status still to do) is a status code too.
            ("tasks", "status") => TaskStatus::ALL.iter().map(|s| s.code()).collect(),
            ("tasks", "priority") => Priority::ALL.iter().map(|p| p.code()).collect(),
            ("tasks", "related_type") => RelatedKind::ALL.iter().map(|k| k.code()).collect(),
            _ => return None,
        };
        Some(codes)
    }

    fn known<'de, D: Deserializer<'de>>(d: D, ok: impl Fn(&str) -> bool) -> Result<Option<String>, D::Error> {
        let value = Option::<String>::deserialize(d)?;
        match value.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() && !ok(v) => Err(serde::de::Error::custom(format!("unknown value `{v}`"))),
            _ => Ok(value),
        }
    }

    pub fn grade<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        known(d, |v| Grade::parse(v).is_some())
    }

    pub fn contact_role<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        known(d, |v| ContactRole::parse(v).is_some())
    }

    pub fn lead_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        known(d, |v| LeadStatus::parse(v).is_some())
    }

    pub fn intention<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        known(d, |v| Intention::parse(v).is_some())
    }

    pub fn activity_kind<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        known(d, |v| ActivityKind::parse(v).is_some())
    }

    pub fn opportunity_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        known(d, |v| OpportunityStatus::parse(v).is_some())
    }

    /// A task status, or `open` for every status still to do.
    pub fn task_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        known(d, |v| salesflow_domain::tasks::StatusFilter::parse(v).is_some())
    }

    pub fn priority<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        known(d, |v| Priority::parse(v).is_some())
    }

    pub fn related_kind<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        known(d, |v| RelatedKind::parse(v).is_some())
    }
}

// ---------------------------------------------------------------- merge patch

/// A `PATCH` body: an RFC 7396 merge patch (a JSON object). Apply it to
/// the current record rendered in the body's shape with [`MergePatch::apply`].
#[derive(Debug, Clone)]
pub struct MergePatch(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for MergePatch {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let locale = locale_of(&req);
        let bytes = json_bytes(req).await?;
        match parse_tree(&bytes).map_err(|e| e.in_locale(&locale))? {
            Value::Object(map) => Ok(MergePatch(map)),
            _ => Err(ApiError::invalid(Invalid::one("body", "not_object")).in_locale(&locale)),
        }
    }
}

impl MergePatch {
    /// Whether the patch names this field (with a value or `null`).
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// The body the patch makes of `current` (the record in the body's
    /// shape, without `version`: the caller's `version` must come from the
    /// patch, so a stale one is still refused).
    pub fn apply<T: DeserializeOwned>(&self, mut current: Value, locale: &str) -> Result<T, ApiError> {
        if let Value::Object(map) = &mut current {
            map.remove("version");
        }
        merge(&mut current, &Value::Object(self.0.clone()));
        from_tree(current).map_err(|e| e.in_locale(locale))
    }
}

/// RFC 7396: members of an object patch replace, `null` removes, nested
/// objects merge; anything else replaces the target whole.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else { return };
    for (key, value) in patch {
        if value.is_null() {
            map.remove(key);
        } else {
            merge(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The examples of RFC 7396, appendix A.
    #[test]
    fn rfc_7396_examples() {
        let cases = [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (json!({"a":"b","b":"c"}), json!({"a":null}), json!({"b":"c"})),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (json!({"a":{"b":"c"}}), json!({"a":{"b":"d","c":null}}), json!({"a":{"b":"d"}})),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a":"b"}), json!(["c"]), json!(["c"])),
            (json!({"a":"foo"}), json!(null), json!(null)),
            (json!({"a":"foo"}), json!("bar"), json!("bar")),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (json!({}), json!({"a":{"bb":{"ccc":null}}}), json!({"a":{"bb":{}}})),
        ];
        for (mut target, patch, want) in cases {
            merge(&mut target, &patch);
            assert_eq!(target, want, "patch {patch}");
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        tags: Vec<String>,
    }

    fn field_of(value: serde_json::Value) -> (String, String) {
        let e = from_tree::<Body>(value).unwrap_err();
        (e.errors[0].field.clone(), e.errors[0].code.clone())
    }

    #[test]
    fn body_errors_name_their_field() {
        assert_eq!(field_of(json!({"tags": []})), ("name".into(), "required".into()));
        assert_eq!(field_of(json!({"name": "x", "tags": [], "bogus": 1})), ("bogus".into(), "unknown_field".into()));
        assert_eq!(field_of(json!({"name": 5, "tags": []})), ("name".into(), "invalid_type".into()));
        assert_eq!(field_of(json!({"name": "x", "tags": [1]})), ("tags[0]".into(), "invalid_type".into()));
        let e = read_query::<Body>(Some("name=x&tags=1")).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn nul_is_found_in_values_and_keys() {
        assert_eq!(nul_path(&json!({"a": ["x", "y\u{0}"]}), String::new()).as_deref(), Some("a[1]"));
        assert_eq!(nul_path(&json!({"k\u{0}": 1}), String::new()).as_deref(), Some("k\u{0}"));
        assert!(nul_path(&json!({"a": "\\u0000 is text"}), String::new()).is_none());
        assert!(parse_tree(br#"{"name": "a\u0000b"}"#).is_err());
    }
}
