//! Bulk import: many demand bodies at once, from a JSON array or a CSV file whose spec fields
//! are flat columns. All rows are checked; errors name the row as it is in the file.

use serde_json::{Map, Number, Value};

use super::demand::{parse_new, NewDemand};
use super::validation::FieldError;

pub const MAX_ROWS: usize = 10_000;

const DEMAND_COLUMNS: &[&str] = &[
    "unit_id",
    "category",
    "quantity",
    "unit_price_chf",
    "needed_by",
    "budget_year",
    "delivery_site",
    "justification",
    "status",
];
const SPEC_COLUMNS: &[&str] = &[
    "class",
    "drive",
    "seats",
    "all_wheel_drive",
    "format",
    "color",
    "multifunction",
    "pages_per_minute",
    "form_factor",
    "os",
    "ram_gb",
    "storage_gb",
    "screen_inches",
];
const INTEGER_COLUMNS: &[&str] =
    &["quantity", "unit_price_chf", "budget_year", "seats", "pages_per_minute", "ram_gb", "storage_gb"];
const BOOLEAN_COLUMNS: &[&str] = &["all_wheel_drive", "color", "multifunction"];

/// Every column a CSV import may have, in a sensible order for a template.
pub fn csv_columns() -> Vec<&'static str> {
    DEMAND_COLUMNS.iter().chain(SPEC_COLUMNS).copied().collect()
}

/// A cell as the JSON value a client would have sent; text that does not parse stays text so
/// that validation names the field.
fn cell(column: &str, text: &str) -> Value {
    if INTEGER_COLUMNS.contains(&column) {
        if let Ok(number) = text.parse::<i64>() {
            return Value::Number(number.into());
        }
    } else if BOOLEAN_COLUMNS.contains(&column) {
        match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => return Value::Bool(true),
            "false" | "no" | "0" => return Value::Bool(false),
            _ => {}
        }
    } else if column == "screen_inches" {
        if let Some(number) = text.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(number);
        }
    }
    Value::String(text.to_owned())
}

/// Reads CSV into (row, body) pairs: a header row of column names, then one demand a row.
pub fn csv_rows(bytes: &[u8]) -> Result<Vec<(u64, Value)>, Vec<FieldError>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
    let header: Vec<String> = match reader.headers() {
        Ok(header) => header.iter().map(str::to_owned).collect(),
        Err(error) => return Err(vec![FieldError::new("header", format!("unreadable CSV: {error}")).at_row(1)]),
    };
    let unknown: Vec<FieldError> = header
        .iter()
        .filter(|column| !DEMAND_COLUMNS.contains(&column.as_str()) && !SPEC_COLUMNS.contains(&column.as_str()))
        .map(|column| FieldError::new(column.clone(), "is not a column of a demand import").at_row(1))
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let row = record.position().map_or(0, csv::Position::line);
                let mut body = Map::new();
                let mut spec = Map::new();
                for (column, text) in header.iter().zip(record.iter()) {
                    if text.is_empty() {
                        continue;
                    }
                    let target = if SPEC_COLUMNS.contains(&column.as_str()) { &mut spec } else { &mut body };
                    target.insert(column.clone(), cell(column, text));
                }
                body.insert("spec".to_owned(), Value::Object(spec));
                rows.push((row, Value::Object(body)));
            }
            Err(error) => {
                let row = error.position().map_or(0, csv::Position::line);
                errors.push(FieldError::new("row", format!("unreadable CSV row: {error}")).at_row(row));
            }
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Reads a JSON array into (row, body) pairs, rows counted from 1.
pub fn json_rows(value: Value) -> Result<Vec<(u64, Value)>, Vec<FieldError>> {
    match value {
        Value::Array(items) => Ok((1..).zip(items).collect()),
        _ => Err(vec![FieldError::new("body", "must be a JSON array of demand bodies")]),
    }
}

/// Validates every row; all or nothing.
pub fn parse_rows(rows: &[(u64, Value)]) -> Result<Vec<(u64, NewDemand)>, Vec<FieldError>> {
    let mut parsed = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for (row, body) in rows {
        match parse_new(body) {
            Ok(new) => parsed.push((*row, new)),
            Err(found) => errors.extend(found.into_iter().map(|error| error.at_row(*row))),
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::spec::Spec;

    const CSV: &str = "unit_id,category,quantity,unit_price_chf,needed_by,form_factor,os,ram_gb,storage_gb,class,drive,seats,all_wheel_drive\n\
        kg,pc,10,1400,2027-03-31,laptop,windows,16,512,,,,\n\
        kg,vehicle,2,45000,2027-06-30,,,,,van,electric,3,no\n";

    #[test]
    fn csv_rows_become_demand_bodies_with_nested_specs() {
        let rows = csv_rows(CSV.as_bytes()).unwrap();
        let parsed = parse_rows(&rows).unwrap();
        assert_eq!(parsed.iter().map(|(row, _)| *row).collect::<Vec<_>>(), [2, 3]);
        assert!(matches!(&parsed[0].1.content.spec, Spec::Pc(pc) if pc.ram_gb == 16));
        assert!(matches!(&parsed[1].1.content.spec, Spec::Vehicle(v) if !v.all_wheel_drive && v.seats == 3));
        assert_eq!(parsed[1].1.unit_id.as_deref(), Some("kg"));
    }

    #[test]
    fn bad_cells_are_named_by_row_and_field() {
        let text = CSV.replace("kg,pc,10,1400", "kg,pc,ten,1400").replace("electric,3,no", "steam,3,maybe");
        let errors = parse_rows(&csv_rows(text.as_bytes()).unwrap()).unwrap_err();
        let found: Vec<(Option<u64>, &str)> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(found, [(Some(2), "quantity"), (Some(3), "spec.drive"), (Some(3), "spec.all_wheel_drive")]);
    }

    #[test]
    fn unknown_columns_and_broken_rows_are_refused() {
        let errors = csv_rows(b"category,colour\npc,red\n").unwrap_err();
        assert_eq!((errors[0].row, errors[0].field.as_str()), (Some(1), "colour"));
        let errors = csv_rows(b"category,quantity\npc,1,extra\n").unwrap_err();
        assert_eq!(errors[0].row, Some(2));
        assert!(json_rows(serde_json::json!({"category": "pc"})).is_err());
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever bytes arrive, reading them as CSV answers rows or errors, never a panic.
        #[test]
        fn arbitrary_csv_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
            if let Ok(rows) = csv_rows(&bytes) {
                let _ = parse_rows(&rows);
            }
        }

        /// Rows made of known columns with arbitrary cells are validated, never a panic.
        #[test]
        fn arbitrary_cells_never_panic(cells in prop::collection::vec("[ -~]{0,12}", 9)) {
            let header = "category,quantity,unit_price_chf,needed_by,form_factor,os,ram_gb,storage_gb,screen_inches";
            let text = format!("{header}\n{}\n", cells.iter().map(|cell| cell.replace(['"', ','], "")).collect::<Vec<_>>().join(","));
            if let Ok(rows) = csv_rows(text.as_bytes()) {
                let _ = parse_rows(&rows);
            }
        }
    }
}
