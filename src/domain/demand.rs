//! A unit's planned purchase: its life cycle and the validation of what a clerk sends.

use chrono::{Datelike, NaiveDate};
use serde_json::{json, Map, Value};

use super::closed_enum;
use super::money::Chf;
use super::spec::{Category, Spec};
use super::unit::unit_slug;
use super::validation::{date, integer_in, one_of, text_up_to, FieldError, Fields};

closed_enum! {
    /// `draft` → `submitted` → `bundled`; `draft`/`submitted` → `withdrawn`.
    pub enum DemandStatus {
        Draft => "draft", Submitted => "submitted", Bundled => "bundled", Withdrawn => "withdrawn",
    }
}

impl DemandStatus {
    /// Only demand nobody has committed to yet may change.
    pub fn is_editable(self) -> bool {
        matches!(self, DemandStatus::Draft | DemandStatus::Submitted)
    }
}

/// A requested status change of a demand, checked against its current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemandTransition {
    Submit,
    Withdraw,
}

impl DemandTransition {
    pub fn verb(self) -> &'static str {
        match self {
            DemandTransition::Submit => "submitted",
            DemandTransition::Withdraw => "withdrawn",
        }
    }

    /// The status after the transition, or why it is not allowed from `from`.
    pub fn apply(self, from: DemandStatus) -> Result<DemandStatus, String> {
        match (self, from) {
            (DemandTransition::Submit, DemandStatus::Draft) => Ok(DemandStatus::Submitted),
            (DemandTransition::Withdraw, DemandStatus::Draft | DemandStatus::Submitted) => Ok(DemandStatus::Withdrawn),
            (DemandTransition::Submit, _) => Err(format!("only a draft can be submitted; this demand is {from}")),
            (DemandTransition::Withdraw, _) => {
                Err(format!("only draft or submitted demand can be withdrawn; this demand is {from}"))
            }
        }
    }
}

pub const MAX_QUANTITY: i64 = 100_000;
pub const MAX_UNIT_PRICE_CHF: i64 = 10_000_000;

/// The editable part of a demand, always valid.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandContent {
    pub spec: Spec,
    pub quantity: i64,
    pub unit_price: Chf,
    pub needed_by: NaiveDate,
    pub budget_year: i32,
    pub delivery_site: Option<String>,
    pub justification: Option<String>,
}

impl DemandContent {
    pub fn category(&self) -> Category {
        self.spec.category()
    }

    pub fn value(&self) -> Chf {
        self.unit_price.times(self.quantity)
    }

    /// The content as the JSON a client would send, the base a merge patch applies to.
    fn to_document(&self) -> Value {
        json!({
            "category": self.category(),
            "spec": self.spec,
            "quantity": self.quantity,
            "unit_price_chf": self.unit_price.0,
            "needed_by": self.needed_by,
            "budget_year": self.budget_year,
            "delivery_site": self.delivery_site,
            "justification": self.justification,
        })
    }
}

/// A validated request to create demand.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDemand {
    /// Absent when the caller's token names the unit.
    pub unit_id: Option<String>,
    pub status: DemandStatus,
    pub content: DemandContent,
}

const CONTENT_FIELDS: &[&str] =
    &["category", "spec", "quantity", "unit_price_chf", "needed_by", "budget_year", "delivery_site", "justification"];
const PATCHABLE_FIELDS: &[&str] =
    &["spec", "quantity", "unit_price_chf", "needed_by", "budget_year", "delivery_site", "justification"];

fn read_only_hint(field: &str) -> &'static str {
    match field {
        "status" => "cannot be patched; use the submit or withdraw action",
        "category" => "cannot be changed; withdraw this demand and create a new one",
        "id" | "unit_id" | "cpv" | "proposal_id" | "version" | "created_at" | "updated_at" => "is read-only",
        _ => "is not a field of demand",
    }
}

/// Parses the body of `POST /api/v1/demands`.
pub fn parse_new(body: &Value) -> Result<NewDemand, Vec<FieldError>> {
    let mut fields = Fields::of(body, "").map_err(|error| vec![error])?;
    let unit_id = fields.optional("unit_id", unit_slug);
    let status = fields.optional("status", |value| match one_of(value)? {
        status @ (DemandStatus::Draft | DemandStatus::Submitted) => Ok(status),
        _ => Err("must be draft or submitted".to_owned()),
    });
    let content = read_content(&mut fields);
    let allowed: Vec<&str> = CONTENT_FIELDS.iter().copied().chain(["unit_id", "status"]).collect();
    fields.reject_unknown(&allowed, read_only_hint);
    let new = (|| {
        Some(NewDemand { unit_id: unit_id?, status: status?.unwrap_or(DemandStatus::Submitted), content: content? })
    })();
    fields.into_result(new)
}

/// Applies a JSON merge patch (RFC 7396) to `current` and validates the result.
pub fn parse_patch(current: &DemandContent, patch: &Value) -> Result<DemandContent, Vec<FieldError>> {
    let mut patch_fields = Fields::of(patch, "").map_err(|error| vec![error])?;
    patch_fields.reject_unknown(PATCHABLE_FIELDS, read_only_hint);
    if !patch_fields.errors.is_empty() {
        return Err(patch_fields.errors);
    }
    let mut document = current.to_document();
    merge_patch(&mut document, patch);
    let mut fields = Fields::of(&document, "").map_err(|error| vec![error])?;
    let content = read_content(&mut fields);
    fields.into_result(content)
}

fn read_content(fields: &mut Fields) -> Option<DemandContent> {
    let category: Option<Category> = fields.required("category", one_of);
    let spec = match (category, fields.raw("spec")) {
        (_, None) => {
            fields.error("spec", "is required");
            None
        }
        // Without a valid category the spec's shape is unknown; the category error says why.
        (None, Some(_)) => None,
        (Some(category), Some(value)) => match Spec::parse(category, value) {
            Ok(spec) => Some(spec),
            Err(errors) => {
                fields.errors.extend(errors);
                None
            }
        },
    };
    let quantity = fields.required("quantity", integer_in(1, MAX_QUANTITY));
    let unit_price = fields.required("unit_price_chf", integer_in(1, MAX_UNIT_PRICE_CHF));
    let needed_by = fields.required("needed_by", date);
    let budget_year = fields.optional("budget_year", integer_in(2000, 2100));
    let delivery_site = fields.optional("delivery_site", text_up_to(200));
    let justification = fields.optional("justification", text_up_to(2000));

    let needed_by = needed_by?;
    let budget_year = match budget_year? {
        None => needed_by.year(),
        Some(year) => {
            let year = i32::try_from(year).ok()?;
            // A purchase is budgeted in the year it is needed or in a neighbouring one.
            if (year - needed_by.year()).abs() > 1 {
                fields.error("budget_year", "must be within one year of the year of needed_by");
                return None;
            }
            year
        }
    };
    Some(DemandContent {
        spec: spec?,
        quantity: quantity?,
        unit_price: Chf(unit_price?),
        needed_by,
        budget_year,
        delivery_site: delivery_site?,
        justification: justification?,
    })
}

fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else {
        return;
    };
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn laptop_body() -> Value {
        json!({
            "category": "pc",
            "spec": {"form_factor": "laptop", "os": "windows", "ram_gb": 16, "storage_gb": 512},
            "quantity": 40,
            "unit_price_chf": 1400,
            "needed_by": "2027-03-31",
        })
    }

    fn names(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|error| error.field.as_str()).collect()
    }

    #[test]
    fn defaults_to_submitted_and_the_year_of_need() {
        let new = parse_new(&laptop_body()).unwrap();
        assert_eq!(new.status, DemandStatus::Submitted);
        assert_eq!(new.content.budget_year, 2027);
        assert_eq!(new.content.value(), Chf(56_000));
        assert_eq!(new.unit_id, None);
    }

    #[test]
    fn names_every_bad_field_at_once() {
        let body = json!({
            "category": "pc",
            "spec": {"form_factor": "laptop", "os": "beos", "ram_gb": 4096, "storage_gb": 512},
            "quantity": 0,
            "unit_price_chf": 10_000_001,
            "needed_by": "next spring",
            "status": "bundled",
            "cpv": "30213100-6",
        });
        let errors = parse_new(&body).unwrap_err();
        assert_eq!(
            names(&errors),
            ["status", "spec.os", "spec.ram_gb", "quantity", "unit_price_chf", "needed_by", "cpv"]
        );
    }

    #[test]
    fn quantity_and_price_bounds() {
        for (quantity, price, ok) in [(1, 1, true), (100_000, 10_000_000, true), (100_001, 1, false), (1, 0, false)] {
            let mut body = laptop_body();
            body["quantity"] = json!(quantity);
            body["unit_price_chf"] = json!(price);
            assert_eq!(parse_new(&body).is_ok(), ok, "{quantity} × {price}");
        }
    }

    #[test]
    fn budget_year_stays_near_the_need() {
        let mut body = laptop_body();
        body["budget_year"] = json!(2026);
        assert_eq!(parse_new(&body).unwrap().content.budget_year, 2026);
        body["budget_year"] = json!(2030);
        assert_eq!(names(&parse_new(&body).unwrap_err()), ["budget_year"]);
    }

    #[test]
    fn a_patch_merges_into_the_spec_and_clears_with_null() {
        let mut body = laptop_body();
        body["delivery_site"] = json!("Kriens");
        let current = parse_new(&body).unwrap().content;
        let patched = parse_patch(&current, &json!({"spec": {"ram_gb": 32}, "delivery_site": null})).unwrap();
        let Spec::Pc(pc) = &patched.spec else { panic!("category changed") };
        assert_eq!(pc.ram_gb, 32);
        assert_eq!(pc.storage_gb, 512);
        assert_eq!(patched.delivery_site, None);
        assert_eq!(patched.quantity, 40);
    }

    #[test]
    fn a_patch_cannot_touch_identity_or_status() {
        let current = parse_new(&laptop_body()).unwrap().content;
        let errors =
            parse_patch(&current, &json!({"category": "vehicle", "status": "draft", "quantity": 0})).unwrap_err();
        assert_eq!(names(&errors), ["category", "status"]);
        let errors = parse_patch(&current, &json!({"quantity": null, "spec": {"ram_gb": 0}})).unwrap_err();
        assert_eq!(names(&errors), ["spec.ram_gb", "quantity"]);
    }

    #[test]
    fn transitions_follow_the_life_cycle() {
        use DemandStatus::*;
        assert_eq!(DemandTransition::Submit.apply(Draft), Ok(Submitted));
        assert!(DemandTransition::Submit.apply(Submitted).is_err());
        assert_eq!(DemandTransition::Withdraw.apply(Submitted), Ok(Withdrawn));
        assert!(DemandTransition::Withdraw.apply(Bundled).is_err());
        assert!(DemandTransition::Withdraw.apply(Withdrawn).is_err());
        assert!(!Bundled.is_editable() && Draft.is_editable());
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            "[ -~]{0,12}".prop_map(Value::String),
            prop_oneof![Just("pc"), Just("vehicle"), Just("printer"), Just("2027-03-31"), Just("laptop")]
                .prop_map(|s| json!(s)),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            let keys = prop_oneof![
                Just("category".to_owned()),
                Just("spec".to_owned()),
                Just("quantity".to_owned()),
                Just("unit_price_chf".to_owned()),
                Just("needed_by".to_owned()),
                Just("ram_gb".to_owned()),
                Just("form_factor".to_owned()),
                Just("budget_year".to_owned()),
                "[a-z_]{1,8}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(keys, inner, 0..8).prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON either parses into valid demand or names its bad fields; never a panic.
        #[test]
        fn arbitrary_bodies_parse_or_name_fields(body in json_value()) {
            match parse_new(&body) {
                Ok(new) => {
                    prop_assert!((1..=MAX_QUANTITY).contains(&new.content.quantity));
                    prop_assert!((1..=MAX_UNIT_PRICE_CHF).contains(&new.content.unit_price.0));
                }
                Err(errors) => prop_assert!(!errors.is_empty() && errors.iter().all(|e| !e.field.is_empty())),
            }
        }
    }
}
