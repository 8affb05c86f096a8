//! Demo data: the units of the Canton of Lucerne and a year of their demand.

use crate::db::audit::Actor;
use crate::db::demands::{self, DemandRow};
use crate::db::{now, units, Database};
use crate::domain::unit::{NewUnit, UnitKind};
use crate::error::ApiError;
use crate::seed_demand::demo_demand;

use UnitKind::{Court, Department, Office, Other, Outsourced, School};

/// Parents come before their children.
const LUCERNE_UNITS: &[(&str, &str, UnitKind, Option<&str>)] = &[
    ("lu", "Kanton Luzern", Other, None),
    ("bkd", "Bildungs- und Kulturdepartement", Department, Some("lu")),
    ("bkd-dvs", "Dienststelle Volksschulbildung", Office, Some("bkd")),
    ("bkd-dbwb", "Dienststelle Berufs- und Weiterbildung", Office, Some("bkd")),
    ("bkd-dgym", "Dienststelle Gymnasialbildung", Office, Some("bkd")),
    ("bkd-ksalp", "Kantonsschule Alpenquai Luzern", School, Some("bkd-dgym")),
    ("bkd-ksreuss", "Kantonsschule Reussbühl Luzern", School, Some("bkd-dgym")),
    ("bkd-bbzw", "Berufsbildungszentrum Wirtschaft, Informatik und Technik", School, Some("bkd-dbwb")),
    ("buwd", "Bau-, Umwelt- und Wirtschaftsdepartement", Department, Some("lu")),
    ("buwd-vif", "Dienststelle Verkehr und Infrastruktur", Office, Some("buwd")),
    ("buwd-uwe", "Dienststelle Umwelt und Energie", Office, Some("buwd")),
    ("buwd-rawi", "Dienststelle Raum und Wirtschaft", Office, Some("buwd")),
    ("buwd-lawa", "Dienststelle Landwirtschaft und Wald", Office, Some("buwd")),
    ("fd", "Finanzdepartement", Department, Some("lu")),
    ("fd-dii", "Dienststelle Informatik", Office, Some("fd")),
    ("fd-steuern", "Dienststelle Steuern", Office, Some("fd")),
    ("fd-immo", "Dienststelle Immobilien", Office, Some("fd")),
    ("fd-personal", "Dienststelle Personal", Office, Some("fd")),
    ("gsd", "Gesundheits- und Sozialdepartement", Department, Some("lu")),
    ("gsd-gesundheit", "Dienststelle Gesundheit und Sport", Office, Some("gsd")),
    ("gsd-soziales", "Dienststelle Soziales und Gesellschaft", Office, Some("gsd")),
    ("gsd-veterinaer", "Veterinärdienst", Office, Some("gsd")),
    ("jsd", "Justiz- und Sicherheitsdepartement", Department, Some("lu")),
    ("jsd-polizei", "Luzerner Polizei", Office, Some("jsd")),
    ("jsd-mzj", "Dienststelle Militär, Zivilschutz und Justizvollzug", Office, Some("jsd")),
    ("jsd-stva", "Strassenverkehrsamt", Office, Some("jsd")),
    ("jsd-migration", "Amt für Migration", Office, Some("jsd")),
    ("sk", "Staatskanzlei", Department, Some("lu")),
    ("sk-staatsarchiv", "Staatsarchiv", Office, Some("sk")),
    ("sk-kommunikation", "Kommunikation", Office, Some("sk")),
    ("kg", "Kantonsgericht Luzern", Court, Some("lu")),
    ("luks", "Luzerner Kantonsspital (LUKS)", Outsourced, None),
    ("lups", "Luzerner Psychiatrie (lups)", Outsourced, None),
    ("was", "WAS Wirtschaft Arbeit Soziales", Outsourced, None),
];

/// Units that plan purchases: every unit but the canton and its departments' top level.
fn buying_units() -> Vec<&'static str> {
    LUCERNE_UNITS
        .iter()
        .filter(|(_, _, kind, parent)| parent.is_some() || *kind == Outsourced)
        .map(|unit| unit.0)
        .collect()
}

/// What `load_demo` loaded.
pub struct Loaded {
    pub units: usize,
    pub demand: usize,
}

/// Loads the demo units and `demand_lines` lines of demand for `year` in one transaction;
/// refuses a database that already has units.
pub fn load_demo(database: &Database, year: i32, demand_lines: usize) -> Result<Loaded, ApiError> {
    let actor = Actor { sub: "tenderpool seed".to_owned(), role: "admin".to_owned() };
    database.write_blocking(|conn| {
        if units::count(conn)? > 0 {
            return Err(ApiError::Conflict(
                "the database already holds units; seed --demo only loads into an empty database".to_owned(),
            ));
        }
        for (id, name, kind, parent) in LUCERNE_UNITS {
            let unit = NewUnit {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                kind: *kind,
                parent_id: parent.map(str::to_owned),
            };
            units::create(conn, &actor, &unit)?;
        }
        let created_at = now();
        let rows: Vec<DemandRow> = demo_demand(&buying_units(), year, demand_lines)
            .iter()
            .map(|(unit, status, content)| DemandRow::new(unit, *status, content, created_at))
            .collect();
        demands::insert_all(conn, &actor, &rows)?;
        Ok(Loaded { units: LUCERNE_UNITS.len(), demand: rows.len() })
    })
}
