//! Field-by-field reading of JSON objects that collects every error instead of stopping at
//! the first, so a client learns about all bad fields in one answer.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// One bad field: `field` is a dotted path such as `spec.ram_gb`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// For imports: the row, numbered as in the file (a CSV header is row 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    #[schema(example = "spec.ram_gb")]
    pub field: String,
    #[schema(example = "must be between 1 and 1024")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { row: None, field: field.into(), message: message.into() }
    }

    pub fn at_row(self, row: u64) -> Self {
        FieldError { row: Some(row), ..self }
    }
}

/// An enum whose accepted wire names are known, for "must be one of" messages.
pub trait ClosedEnum: Sized {
    fn parse(text: &str) -> Option<Self>;
    fn wire_names() -> Vec<&'static str>;
}

/// Reads the fields of one JSON object, recording errors under `prefix`.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    pub errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    /// Starts reading `value`, which must be an object; otherwise records one error for
    /// `prefix` (or `body` at the top level) and reads nothing.
    pub fn of(value: &'a Value, prefix: &str) -> Result<Self, FieldError> {
        match value {
            Value::Object(map) => Ok(Fields { map, prefix: prefix.to_owned(), errors: Vec::new() }),
            _ => Err(FieldError::new(if prefix.is_empty() { "body" } else { prefix }, "must be a JSON object")),
        }
    }

    pub fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        let field = self.path(name);
        self.errors.push(FieldError::new(field, message));
    }

    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|value| !value.is_null())
    }

    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// A field that must be present and valid.
    pub fn required<T>(&mut self, name: &str, parse: impl FnOnce(&Value) -> Result<T, String>) -> Option<T> {
        match self.raw(name) {
            None => {
                self.error(name, "is required");
                None
            }
            Some(value) => self.record(name, parse(value)),
        }
    }

    /// A field that may be absent or null (`Some(None)`); `None` means it was invalid.
    pub fn optional<T>(&mut self, name: &str, parse: impl FnOnce(&Value) -> Result<T, String>) -> Option<Option<T>> {
        match self.raw(name) {
            None => Some(None),
            Some(value) => self.record(name, parse(value)).map(Some),
        }
    }

    fn record<T>(&mut self, name: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.error(name, message)).ok()
    }

    /// Names every field not in `allowed`; `hint` explains what to do instead.
    pub fn reject_unknown(&mut self, allowed: &[&str], hint: impl Fn(&str) -> &'static str) {
        let mut unknown: Vec<&String> = self.map.keys().filter(|key| !allowed.contains(&key.as_str())).collect();
        unknown.sort();
        for key in unknown {
            let message = hint(key);
            self.error(key, message);
        }
    }

    pub fn into_result<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(self.errors),
        }
    }
}

pub fn integer_in(min: i64, max: i64) -> impl Fn(&Value) -> Result<i64, String> {
    move |value| match value.as_i64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be an integer between {min} and {max}")),
    }
}

pub fn number_in(min: f64, max: f64) -> impl Fn(&Value) -> Result<f64, String> {
    move |value| match value.as_f64() {
        Some(n) if n.is_finite() && (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be a number between {min} and {max}")),
    }
}

pub fn boolean(value: &Value) -> Result<bool, String> {
    value.as_bool().ok_or_else(|| "must be true or false".to_owned())
}

pub fn text_up_to(max_chars: usize) -> impl Fn(&Value) -> Result<String, String> {
    move |value| match value.as_str() {
        Some(text) if text.trim().is_empty() => Err("must not be blank".to_owned()),
        Some(text) if text.chars().count() <= max_chars => Ok(text.trim().to_owned()),
        Some(_) => Err(format!("must be at most {max_chars} characters")),
        None => Err("must be a string".to_owned()),
    }
}

/// An ISO 8601 calendar date between the years 2000 and 2100.
pub fn date(value: &Value) -> Result<NaiveDate, String> {
    let message = || "must be a date like 2027-03-31 between 2000 and 2100".to_owned();
    let text = value.as_str().ok_or_else(message)?;
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| message())?;
    if (2000..=2100).contains(&chrono::Datelike::year(&date)) {
        Ok(date)
    } else {
        Err(message())
    }
}

pub fn one_of<E: ClosedEnum>(value: &Value) -> Result<E, String> {
    value.as_str().and_then(E::parse).ok_or_else(|| format!("must be one of: {}", E::wire_names().join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_error_not_just_the_first() {
        let body = json!({ "a": 0, "b": "x", "c": true });
        let mut fields = Fields::of(&body, "spec").unwrap();
        let a = fields.required("a", integer_in(1, 10));
        let b = fields.required("b", boolean);
        let missing = fields.required("d", boolean);
        fields.reject_unknown(&["a", "b", "d"], |_| "unknown field");
        assert!(a.is_none() && b.is_none() && missing.is_none());
        let names: Vec<_> = fields.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["spec.a", "spec.b", "spec.d", "spec.c"]);
    }

    #[test]
    fn integer_bounds_are_inclusive() {
        let check = integer_in(1, 60);
        assert_eq!(check(&json!(1)), Ok(1));
        assert_eq!(check(&json!(60)), Ok(60));
        assert!(check(&json!(0)).is_err());
        assert!(check(&json!(61)).is_err());
        assert!(check(&json!(2.5)).is_err());
        assert!(check(&json!("3")).is_err());
    }

    #[test]
    fn dates_are_strict_iso_within_range() {
        assert_eq!(date(&json!("2027-03-31")), Ok(NaiveDate::from_ymd_opt(2027, 3, 31).unwrap()));
        assert!(date(&json!("2027-02-30")).is_err());
        assert!(date(&json!("31.03.2027")).is_err());
        assert!(date(&json!("1999-12-31")).is_err());
        assert!(date(&json!(20_270_331)).is_err());
    }

    #[test]
    fn blank_text_is_refused() {
        assert!(text_up_to(10)(&json!("   ")).is_err());
        assert_eq!(text_up_to(10)(&json!(" Kriens ")), Ok("Kriens".to_owned()));
        assert!(text_up_to(3)(&json!("Luzern")).is_err());
    }
}
