//! Organisational units and the legal entity each belongs to (the splitting ban binds each
//! contracting authority separately).

use serde_json::Value;

use super::closed_enum;
use super::validation::{one_of, text_up_to, FieldError, Fields};

closed_enum! {
    pub enum UnitKind {
        Department => "department", Office => "office", Court => "court", School => "school",
        Outsourced => "outsourced", Other => "other",
    }
}

/// A validated request to create a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUnit {
    pub id: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<String>,
}

/// A unit id: a readable slug such as `buwd-vif`.
pub fn unit_slug(value: &Value) -> Result<String, String> {
    let message = || "must be a slug of 2 to 64 lowercase letters, digits and single hyphens, like buwd-vif".to_owned();
    let text = value.as_str().ok_or_else(message)?;
    let well_formed = (2..=64).contains(&text.len())
        && text
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if well_formed {
        Ok(text.to_owned())
    } else {
        Err(message())
    }
}

/// Parses the body of `POST /api/v1/units`.
pub fn parse_new_unit(body: &Value) -> Result<NewUnit, Vec<FieldError>> {
    let mut fields = Fields::of(body, "").map_err(|error| vec![error])?;
    let id = fields.required("id", unit_slug);
    let name = fields.required("name", text_up_to(200));
    let kind = fields.required("kind", one_of);
    let parent_id = fields.optional("parent_id", unit_slug);
    fields.reject_unknown(&["id", "name", "kind", "parent_id"], |field| match field {
        "active" | "legal_entity_id" | "version" | "created_at" => "is read-only",
        _ => "is not a field of unit",
    });
    if let (Some(id), Some(Some(parent))) = (&id, &parent_id) {
        if id == parent {
            fields.error("parent_id", "a unit cannot be its own parent");
        }
    }
    let unit = (|| Some(NewUnit { id: id?, name: name?, kind: kind?, parent_id: parent_id? }))();
    fields.into_result(unit)
}

/// An outsourced unit is a legal entity of its own; any other unit belongs to its parent's
/// entity, and a unit without a parent is the entity itself (the canton, say).
pub fn legal_entity_id(unit_id: &str, kind: UnitKind, parent_legal_entity: Option<&str>) -> String {
    match (kind, parent_legal_entity) {
        (UnitKind::Outsourced, _) | (_, None) => unit_id.to_owned(),
        (_, Some(entity)) => entity.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slugs_are_lowercase_words_joined_by_hyphens() {
        for good in ["lu", "buwd-vif", "bkd-ks-alpenquai", "luks"] {
            assert!(unit_slug(&json!(good)).is_ok(), "{good}");
        }
        for bad in ["l", "BUWD", "buwd--vif", "-buwd", "buwd_vif", "bü", ""] {
            assert!(unit_slug(&json!(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn legal_entity_is_the_root_or_the_nearest_outsourced_unit() {
        assert_eq!(legal_entity_id("lu", UnitKind::Other, None), "lu");
        assert_eq!(legal_entity_id("buwd", UnitKind::Department, Some("lu")), "lu");
        assert_eq!(legal_entity_id("luks", UnitKind::Outsourced, Some("lu")), "luks");
        assert_eq!(legal_entity_id("luks-it", UnitKind::Office, Some("luks")), "luks");
    }

    #[test]
    fn unit_bodies_name_every_bad_field() {
        let errors =
            parse_new_unit(&json!({"id": "X", "kind": "ministry", "parent_id": "lu", "active": false})).unwrap_err();
        let names: Vec<_> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(names, ["id", "name", "kind", "active"]);
        let errors =
            parse_new_unit(&json!({"id": "lu", "name": "Kanton", "kind": "other", "parent_id": "lu"})).unwrap_err();
        assert_eq!(errors[0].field, "parent_id");
    }
}
