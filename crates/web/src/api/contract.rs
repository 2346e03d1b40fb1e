//! The OpenAPI document as the server behaves, finished in one pass over
//! what the handlers' annotations generate: the refusals every route
//! shares (400, 401, 403, 404, 409, 413, 415, 422) with problem JSON, the
//! `limit` bounds, the text fields that take a date or an instant, and the
//! `PATCH` bodies as merge patches (every field optional).

use serde_json::{Map, Value, json};

use super::authz::{self, Need};

const PROBLEM: &str = "application/problem+json";

/// Finishes the generated document in place.
pub fn finish(doc: &mut Value) {
    let mut patch_bodies = Vec::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else { continue };
            for (method, op) in item.iter_mut() {
                let Some(op) = op.as_object_mut() else { continue };
                let route = path.strip_prefix(authz::PREFIX).unwrap_or(path);
                let need = axum::http::Method::from_bytes(method.to_uppercase().as_bytes())
                    .ok()
                    .and_then(|m| authz::need_of(&m, route));
                finish_operation(method, path, op, need);
                if method == "patch"
                    && let Some(name) = body_schema_name(op)
                {
                    set_body_schema(op, &format!("{name}Patch"));
                    patch_bodies.push(name);
                }
            }
        }
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for name in patch_bodies {
            if let Some(schema) = schemas.get(&name).cloned() {
                schemas.insert(format!("{name}Patch"), patch_schema(schema, &name));
            }
        }
        for schema in schemas.values_mut() {
            date_fields(schema);
        }
    }
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { PROBLEM: { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

fn finish_operation(method: &str, path: &str, op: &mut Map<String, Value>, need: Option<Need>) {
    let has_body = op.contains_key("requestBody");
    let has_query =
        op.get("parameters").and_then(Value::as_array).is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    let write = method != "get";
    let public = need == Some(Need::Public);

    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params.iter_mut() {
            if p["in"] == "query" && p["name"] == "limit" {
                p["schema"]["minimum"] = json!(1);
                p["schema"]["maximum"] = json!(500);
            }
            if p["in"] == "query"
                && let Some(name) = p["name"].as_str()
                && let Some(values) = super::body::filters::choices(path, name)
            {
                let mut values: Vec<Value> = values.into_iter().map(Value::from).collect();
                values.push(json!(""));
                p["schema"] = json!({ "type": "string", "enum": values });
            }
            if p["in"] == "path" && p["schema"]["type"] == "integer" {
                // Ids are positive 64-bit numbers.
                p["schema"]["format"] = json!("int64");
            }
        }
    }

    let responses = op.entry("responses").or_insert_with(|| json!({}));
    let Some(responses) = responses.as_object_mut() else { return };
    // Error answers are problem JSON, whatever the annotation said.
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            let schema = response.pointer("/content/application~1json/schema").cloned();
            if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                content.remove("application/json");
                content.insert(
                    PROBLEM.into(),
                    json!({ "schema": schema.unwrap_or(json!({"$ref": "#/components/schemas/Problem"})) }),
                );
            } else {
                *response = problem(response["description"].as_str().unwrap_or(""));
            }
        }
    }
    let mut add = |status: &str, description: &str| {
        responses.entry(status.to_owned()).or_insert_with(|| problem(description));
    };
    add(
        "400",
        "Malformed request: not JSON, a query parameter of the wrong kind, an unknown filter value, a bad cursor",
    );
    if !public {
        add(
            "401",
            "Not signed in: send `Authorization: Bearer <token>` (the answer carries `WWW-Authenticate: Bearer`)",
        );
        add("403", "Your role does not allow this (decided before the body is read)");
    }
    add("404", "No such record, or outside your data scope");
    if write && !public {
        add("409", "The record was changed meanwhile (stale `version`) or is in a state that forbids this");
    }
    if has_body {
        add("413", "The body is too large");
        add("415", "The body is not `application/json`");
    }
    if has_body || has_query || write || path.contains('{') {
        add(
            "422",
            "Invalid input: field errors in `errors` (a business rule, a required field, a wrong type, text holding NUL)",
        );
    }
    if public && method == "post" {
        add("429", "Too many attempts: wait `Retry-After` seconds");
    }
}

fn body_schema_name(op: &Map<String, Value>) -> Option<String> {
    let r = op.get("requestBody")?.pointer("/content/application~1json/schema/$ref")?.as_str()?;
    r.strip_prefix("#/components/schemas/").map(str::to_owned)
}

fn set_body_schema(op: &mut Map<String, Value>, name: &str) {
    if let Some(body) = op.get_mut("requestBody") {
        body["content"]["application/json"]["schema"] = json!({ "$ref": format!("#/components/schemas/{name}") });
        body["description"] = json!(
            "An RFC 7396 merge patch: fields left out stay as they are, `null` clears an optional field \
             (a required one answers 422), a value replaces. `version` (where the record has one) must be \
             the one last read."
        );
    }
}

/// The body schema as a merge patch: nothing required but `version`.
fn patch_schema(mut schema: Value, name: &str) -> Value {
    let has_version = schema.pointer("/properties/version").is_some();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("required".into(), if has_version { json!(["version"]) } else { json!([]) });
        if has_version {
            // The version is required in a patch even where creating takes none.
            obj["properties"]["version"] = json!({"type": "integer", "format": "int64"});
        }
        obj.insert("description".into(), json!(format!("`{name}` as an RFC 7396 merge patch.")));
    }
    schema
}

/// Text fields that take a day or an instant say so (they accept both,
/// `YYYY-MM-DD` or RFC 3339).
fn date_fields(schema: &mut Value) {
    let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else { return };
    for (name, prop) in props.iter_mut() {
        let is_text = prop["type"] == "string" || prop["type"] == json!(["string", "null"]);
        let dateish = name.ends_with("_date") || name.ends_with("_at") || name == "from" || name == "to";
        if is_text && dateish && prop.get("format").is_none() {
            let nullable = prop["type"].is_array();
            let mut any =
                vec![json!({"type": "string", "format": "date"}), json!({"type": "string", "format": "date-time"})];
            if nullable {
                any.push(json!({"type": "null"}));
            }
            let description = prop.get("description").cloned();
            *prop = json!({ "anyOf": any });
            if let Some(d) = description {
                prop["description"] = d;
            }
        }
    }
}
