//! What is being bought: the three categories, their closed specs, and the CPV 2008 code
//! each spec maps to.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::closed_enum;
use super::validation::{boolean, integer_in, number_in, one_of, FieldError, Fields};

closed_enum! {
    /// The purchase category.
    pub enum Category { Vehicle => "vehicle", Printer => "printer", Pc => "pc" }
}

closed_enum! {
    pub enum VehicleClass {
        PassengerCar => "passenger_car", Van => "van", Pickup => "pickup",
        Minibus => "minibus", Truck => "truck",
    }
}

closed_enum! {
    pub enum Drive {
        Electric => "electric", PlugInHybrid => "plug_in_hybrid", Hybrid => "hybrid",
        Petrol => "petrol", Diesel => "diesel", Hydrogen => "hydrogen",
    }
}

closed_enum! {
    pub enum PaperFormat { A4 => "a4", A3 => "a3" }
}

closed_enum! {
    pub enum FormFactor {
        Laptop => "laptop", Desktop => "desktop", AllInOne => "all_in_one",
        Workstation => "workstation", ThinClient => "thin_client",
    }
}

closed_enum! {
    pub enum OperatingSystem {
        Windows => "windows", Linux => "linux", Macos => "macos",
        Chromeos => "chromeos", None => "none",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"class": "passenger_car", "drive": "electric", "seats": 5, "all_wheel_drive": false}))]
pub struct VehicleSpec {
    pub class: VehicleClass,
    pub drive: Drive,
    /// 1 to 60.
    #[schema(minimum = 1, maximum = 60)]
    pub seats: u8,
    pub all_wheel_drive: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"format": "a4", "color": true, "multifunction": true, "pages_per_minute": 35}))]
pub struct PrinterSpec {
    pub format: PaperFormat,
    pub color: bool,
    pub multifunction: bool,
    /// 1 to 200.
    #[schema(minimum = 1, maximum = 200)]
    pub pages_per_minute: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"form_factor": "laptop", "os": "windows", "ram_gb": 16, "storage_gb": 512, "screen_inches": 14.0}))]
pub struct PcSpec {
    pub form_factor: FormFactor,
    pub os: OperatingSystem,
    /// 1 to 1024.
    #[schema(minimum = 1, maximum = 1024)]
    pub ram_gb: u16,
    /// 1 to 65536.
    #[schema(minimum = 1, maximum = 65536)]
    pub storage_gb: u32,
    /// Optional, 5 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 5, maximum = 100)]
    pub screen_inches: Option<f64>,
}

/// The spec of a demand; its shape depends on the demand's `category`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Spec {
    Vehicle(VehicleSpec),
    Printer(PrinterSpec),
    Pc(PcSpec),
}

impl Spec {
    pub fn category(&self) -> Category {
        match self {
            Spec::Vehicle(_) => Category::Vehicle,
            Spec::Printer(_) => Category::Printer,
            Spec::Pc(_) => Category::Pc,
        }
    }

    /// The CPV 2008 code (with check digit) of what this spec describes.
    pub fn cpv(&self) -> &'static str {
        match self {
            Spec::Vehicle(vehicle) => match vehicle.class {
                VehicleClass::PassengerCar => "34110000-1",
                VehicleClass::Van => "34136000-9",
                VehicleClass::Pickup => "34131000-4",
                VehicleClass::Minibus => "34114400-3",
                VehicleClass::Truck => "34130000-7",
            },
            Spec::Printer(printer) if printer.multifunction => "30120000-6",
            Spec::Printer(_) => "30232100-5",
            Spec::Pc(pc) => match pc.form_factor {
                FormFactor::Laptop => "30213100-6",
                FormFactor::Desktop | FormFactor::AllInOne => "30213300-8",
                FormFactor::Workstation => "30214000-2",
                FormFactor::ThinClient => "30213000-5",
            },
        }
    }

    /// Parses `value` as the spec of `category`, naming every bad field under `spec.`.
    pub fn parse(category: Category, value: &Value) -> Result<Spec, Vec<FieldError>> {
        let mut fields = Fields::of(value, "spec").map_err(|error| vec![error])?;
        let spec = match category {
            Category::Vehicle => parse_vehicle(&mut fields).map(Spec::Vehicle),
            Category::Printer => parse_printer(&mut fields).map(Spec::Printer),
            Category::Pc => parse_pc(&mut fields).map(Spec::Pc),
        };
        fields.into_result(spec)
    }

    /// Restores a spec stored by this program; `None` if the stored text is not one.
    pub fn from_stored(category: Category, text: &str) -> Option<Spec> {
        match category {
            Category::Vehicle => serde_json::from_str(text).ok().map(Spec::Vehicle),
            Category::Printer => serde_json::from_str(text).ok().map(Spec::Printer),
            Category::Pc => serde_json::from_str(text).ok().map(Spec::Pc),
        }
    }
}

const VEHICLE_FIELDS: &[&str] = &["class", "drive", "seats", "all_wheel_drive"];
const PRINTER_FIELDS: &[&str] = &["format", "color", "multifunction", "pages_per_minute"];
const PC_FIELDS: &[&str] = &["form_factor", "os", "ram_gb", "storage_gb", "screen_inches"];

fn unknown_spec_field(_: &str) -> &'static str {
    "is not a field of this category's spec"
}

fn parse_vehicle(fields: &mut Fields) -> Option<VehicleSpec> {
    let class = fields.required("class", one_of);
    let drive = fields.required("drive", one_of);
    let seats = fields.required("seats", integer_in(1, 60));
    let all_wheel_drive = fields.required("all_wheel_drive", boolean);
    fields.reject_unknown(VEHICLE_FIELDS, unknown_spec_field);
    Some(VehicleSpec {
        class: class?,
        drive: drive?,
        seats: u8::try_from(seats?).ok()?,
        all_wheel_drive: all_wheel_drive?,
    })
}

fn parse_printer(fields: &mut Fields) -> Option<PrinterSpec> {
    let format = fields.required("format", one_of);
    let color = fields.required("color", boolean);
    let multifunction = fields.required("multifunction", boolean);
    let pages_per_minute = fields.required("pages_per_minute", integer_in(1, 200));
    fields.reject_unknown(PRINTER_FIELDS, unknown_spec_field);
    Some(PrinterSpec {
        format: format?,
        color: color?,
        multifunction: multifunction?,
        pages_per_minute: u16::try_from(pages_per_minute?).ok()?,
    })
}

fn parse_pc(fields: &mut Fields) -> Option<PcSpec> {
    let form_factor = fields.required("form_factor", one_of);
    let os = fields.required("os", one_of);
    let ram_gb = fields.required("ram_gb", integer_in(1, 1024));
    let storage_gb = fields.required("storage_gb", integer_in(1, 65536));
    let screen_inches = fields.optional("screen_inches", number_in(5.0, 100.0));
    fields.reject_unknown(PC_FIELDS, unknown_spec_field);
    Some(PcSpec {
        form_factor: form_factor?,
        os: os?,
        ram_gb: u16::try_from(ram_gb?).ok()?,
        storage_gb: u32::try_from(storage_gb?).ok()?,
        screen_inches: screen_inches?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_names(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|error| error.field.as_str()).collect()
    }

    fn vehicle(class: &str) -> Spec {
        Spec::parse(Category::Vehicle, &json!({"class": class, "drive": "diesel", "seats": 9, "all_wheel_drive": true}))
            .unwrap()
    }

    fn pc(form_factor: &str) -> Spec {
        Spec::parse(Category::Pc, &json!({"form_factor": form_factor, "os": "linux", "ram_gb": 16, "storage_gb": 512}))
            .unwrap()
    }

    fn printer(multifunction: bool) -> Spec {
        Spec::parse(
            Category::Printer,
            &json!({"format": "a3", "color": false, "multifunction": multifunction, "pages_per_minute": 40}),
        )
        .unwrap()
    }

    #[test]
    fn cpv_codes_follow_the_design_table() {
        let expected = [
            (vehicle("passenger_car"), "34110000-1"),
            (vehicle("van"), "34136000-9"),
            (vehicle("pickup"), "34131000-4"),
            (vehicle("minibus"), "34114400-3"),
            (vehicle("truck"), "34130000-7"),
            (printer(false), "30232100-5"),
            (printer(true), "30120000-6"),
            (pc("laptop"), "30213100-6"),
            (pc("desktop"), "30213300-8"),
            (pc("all_in_one"), "30213300-8"),
            (pc("workstation"), "30214000-2"),
            (pc("thin_client"), "30213000-5"),
        ];
        for (spec, code) in expected {
            assert_eq!(spec.cpv(), code, "{spec:?}");
        }
    }

    #[test]
    fn every_cpv_code_exists_in_the_official_list() {
        let list = include_str!("../../tests/data/cpv-2008-en.csv");
        let known: std::collections::HashSet<&str> =
            list.lines().skip(1).filter_map(|line| line.split(',').next()).collect();
        let specs = [
            vehicle("passenger_car"),
            vehicle("van"),
            vehicle("pickup"),
            vehicle("minibus"),
            vehicle("truck"),
            printer(false),
            printer(true),
            pc("laptop"),
            pc("desktop"),
            pc("workstation"),
            pc("thin_client"),
        ];
        for spec in specs {
            assert!(known.contains(spec.cpv()), "{} is not a CPV 2008 code", spec.cpv());
        }
    }

    #[test]
    fn spec_bounds_are_enforced_per_field() {
        let errors = Spec::parse(
            Category::Pc,
            &json!({"form_factor": "tablet", "os": "windows", "ram_gb": 0, "storage_gb": 65537, "screen_inches": 2}),
        )
        .unwrap_err();
        assert_eq!(field_names(&errors), ["spec.form_factor", "spec.ram_gb", "spec.storage_gb", "spec.screen_inches"]);
        let errors = Spec::parse(
            Category::Vehicle,
            &json!({"class": "van", "drive": "steam", "seats": 61, "all_wheel_drive": "yes", "colour": "red"}),
        )
        .unwrap_err();
        assert_eq!(field_names(&errors), ["spec.drive", "spec.seats", "spec.all_wheel_drive", "spec.colour"]);
        let errors = Spec::parse(Category::Printer, &json!({"format": "a4", "pages_per_minute": 201})).unwrap_err();
        assert_eq!(field_names(&errors), ["spec.color", "spec.multifunction", "spec.pages_per_minute"]);
    }

    #[test]
    fn upper_and_lower_bounds_are_accepted() {
        for (ram, storage) in [(1, 1), (1024, 65536)] {
            let spec = json!({"form_factor": "desktop", "os": "none", "ram_gb": ram, "storage_gb": storage});
            assert!(Spec::parse(Category::Pc, &spec).is_ok());
        }
        for seats in [1, 60] {
            let spec = json!({"class": "minibus", "drive": "electric", "seats": seats, "all_wheel_drive": false});
            assert!(Spec::parse(Category::Vehicle, &spec).is_ok());
        }
    }

    #[test]
    fn a_spec_must_be_an_object() {
        let errors = Spec::parse(Category::Pc, &json!("laptop")).unwrap_err();
        assert_eq!(field_names(&errors), ["spec"]);
    }

    #[test]
    fn stored_specs_round_trip() {
        for spec in [vehicle("van"), printer(true), pc("laptop")] {
            let text = serde_json::to_string(&spec).unwrap();
            assert_eq!(Spec::from_stored(spec.category(), &text), Some(spec));
        }
    }
}
