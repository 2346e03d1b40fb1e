//! Keyset (cursor) pagination and `sort` parsing, used by every list.
//!
//! A cursor names the sort it belongs to and the last row's sort key and
//! id; the next page continues strictly after that pair, so deep pages cost
//! the same as the first one.

use base64::Engine;
use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use sea_orm::sea_query::{Condition, Order};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select, Value};
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, StoreResult};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

/// What a caller asks of a list.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    /// `field` ascending or `-field` descending.
    pub sort: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A sort key value, typed so that the database compares like with like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", content = "v")]
pub enum Key {
    #[serde(rename = "i")]
    Int(i64),
    #[serde(rename = "s")]
    Text(String),
    #[serde(rename = "t")]
    Time(DateTime<Utc>),
}

impl From<Key> for Value {
    fn from(key: Key) -> Value {
        match key {
            Key::Int(i) => i.into(),
            Key::Text(s) => s.into(),
            Key::Time(t) => t.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    sort: String,
    key: Key,
    id: i64,
}

/// A field a list may be sorted by.
#[derive(Debug, Clone, Copy)]
pub struct SortField<C> {
    pub name: &'static str,
    pub column: C,
}

/// The parsed request: sort field, direction, limit and the position to
/// continue from.
#[derive(Debug, Clone)]
pub struct Keyset<C> {
    pub field: SortField<C>,
    pub desc: bool,
    pub limit: u64,
    after: Option<Cursor>,
    sort_text: String,
}

impl<C: ColumnTrait + Copy> Keyset<C> {
    /// Parses `sort`, `limit` and `cursor` against the allowed fields.
    pub fn parse(req: &PageRequest, fields: &[SortField<C>], default_sort: &str) -> StoreResult<Self> {
        let sort_text = req.sort.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| default_sort.to_owned());
        let (desc, name) = match sort_text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, sort_text.as_str()),
        };
        let field = *fields
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| StoreError::Invalid(Invalid::one("sort", "invalid_sort")))?;
        let limit = req.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(StoreError::Invalid(Invalid(vec![
                salesflow_domain::FieldError::new("limit", "out_of_range").with("min", 1).with("max", MAX_LIMIT),
            ])));
        }
        let after = match &req.cursor {
            Some(text) if !text.is_empty() => {
                let cursor =
                    decode(text).ok_or_else(|| StoreError::Invalid(Invalid::one("cursor", "invalid_cursor")))?;
                if cursor.sort != sort_text || !key_fits(field.column, &cursor.key) {
                    return Err(StoreError::Invalid(Invalid::one("cursor", "invalid_cursor")));
                }
                Some(cursor)
            }
            _ => None,
        };
        Ok(Keyset { field, desc, limit, after, sort_text })
    }

    /// Adds the position, order and limit (one extra row tells whether a
    /// next page exists) to a query.
    pub fn apply<E: EntityTrait>(&self, mut query: Select<E>, id: C) -> Select<E> {
        let is_id = self.field.column.as_str() == id.as_str();
        if let Some(after) = &self.after {
            let value: Value = after.key.clone().into();
            let past = |c: C, v: Value| if self.desc { c.lt(v) } else { c.gt(v) };
            let cond = if is_id {
                Condition::all().add(past(id, after.id.into()))
            } else {
                Condition::any()
                    .add(past(self.field.column, value.clone()))
                    .add(Condition::all().add(self.field.column.eq(value)).add(past(id, after.id.into())))
            };
            query = query.filter(cond);
        }
        let order = if self.desc { Order::Desc } else { Order::Asc };
        if !is_id {
            query = query.order_by(self.field.column, order.clone());
        }
        query.order_by(id, order).limit(self.limit + 1)
    }

    /// Cuts the extra row and makes the next cursor from the last row kept.
    pub fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T, &str) -> (Key, i64)) -> Page<T> {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|last| {
                let (key, id) = key(last, self.field.name);
                encode(&Cursor { sort: self.sort_text.clone(), key, id })
            })
        } else {
            None
        };
        Page { items: rows, next_cursor }
    }
}

/// Whether a cursor's key can be compared with the sort column: a tampered
/// cursor with a text key for a time column would otherwise reach the
/// database (PostgreSQL refuses to compare them).
fn key_fits<C: ColumnTrait>(column: C, key: &Key) -> bool {
    use sea_orm::ColumnType as T;
    match column.def().get_column_type() {
        T::TinyInteger | T::SmallInteger | T::Integer | T::BigInteger => matches!(key, Key::Int(_)),
        T::TinyUnsigned | T::SmallUnsigned | T::Unsigned | T::BigUnsigned => matches!(key, Key::Int(_)),
        T::Char(_) | T::String(_) | T::Text => matches!(key, Key::Text(_)),
        T::DateTime | T::Timestamp | T::TimestampWithTimeZone => matches!(key, Key::Time(_)),
        _ => true,
    }
}

fn encode(cursor: &Cursor) -> String {
    let json = serde_json::to_vec(cursor).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode(text: &str) -> Option<Cursor> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let c = Cursor { sort: "-created_at".into(), key: Key::Time(Utc::now()), id: 7 };
        let back = decode(&encode(&c)).unwrap();
        assert_eq!(back.key, c.key);
        assert_eq!(back.id, 7);
        assert!(decode("not a cursor").is_none());
    }
}
