//! Joint tender proposals: their life cycle, and everything the officer is told about a
//! bundle (procedure, timeline, savings, warnings).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::bundling::{Bundle, Line};
use super::closed_enum;
use super::money::Chf;
use super::procedure::{in_treaty_area, LeadTime, Procedure};
use super::savings::{estimate, SavingsBreakdown, Share};
use super::settings::ProcurementSettings;
use super::spec::{Category, Spec};
use super::validation::{integer_in, text_up_to, FieldError, Fields};

closed_enum! {
    /// `draft` → `approved` → `tendered` → `awarded`; `draft` → `rejected`;
    /// `approved`/`tendered` → `cancelled`.
    pub enum ProposalStatus {
        Draft => "draft", Approved => "approved", Tendered => "tendered", Awarded => "awarded",
        Rejected => "rejected", Cancelled => "cancelled",
    }
}

impl ProposalStatus {
    /// A live proposal holds its lines: no other live proposal may hold them too.
    pub fn is_live(self) -> bool {
        matches!(self, ProposalStatus::Draft | ProposalStatus::Approved | ProposalStatus::Tendered)
    }
}

closed_enum! {
    /// What an officer does to a proposal.
    pub enum ProposalAction {
        Approve => "approve", Reject => "reject", Tender => "tender", Award => "award", Cancel => "cancel",
    }
}

impl ProposalAction {
    pub fn target(self) -> ProposalStatus {
        match self {
            ProposalAction::Approve => ProposalStatus::Approved,
            ProposalAction::Reject => ProposalStatus::Rejected,
            ProposalAction::Tender => ProposalStatus::Tendered,
            ProposalAction::Award => ProposalStatus::Awarded,
            ProposalAction::Cancel => ProposalStatus::Cancelled,
        }
    }

    /// The status after the action, or why it is not allowed from `from`.
    pub fn apply(self, from: ProposalStatus) -> Result<ProposalStatus, String> {
        use ProposalStatus::{Approved, Draft, Tendered};
        let allowed = match self {
            ProposalAction::Approve | ProposalAction::Reject => from == Draft,
            ProposalAction::Tender => from == Approved,
            ProposalAction::Award => from == Tendered,
            ProposalAction::Cancel => matches!(from, Approved | Tendered),
        };
        if allowed {
            Ok(self.target())
        } else {
            Err(format!("a {from} proposal cannot be {}", self.target()))
        }
    }
}

/// What the officer gave with an action; `parse_decision` checks each action gets its part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    pub comment: Option<String>,
    pub reason: Option<String>,
    pub reference: Option<String>,
    pub supplier: Option<String>,
    pub awarded_value_chf: Option<i64>,
}

/// Parses the body of an action: `reject` and `cancel` need a `reason`, `tender` a
/// `reference`, `award` a `supplier` and `awarded_value_chf`; `approve` takes a `comment`.
pub fn parse_decision(action: ProposalAction, body: &Value) -> Result<Decision, Vec<FieldError>> {
    let mut fields = Fields::of(body, "").map_err(|error| vec![error])?;
    let mut decision = Decision::default();
    let allowed: &[&str] = match action {
        ProposalAction::Approve => {
            decision.comment = fields.optional("comment", text_up_to(2000)).flatten();
            &["comment"]
        }
        ProposalAction::Reject | ProposalAction::Cancel => {
            decision.reason = fields.required("reason", text_up_to(2000));
            &["reason"]
        }
        ProposalAction::Tender => {
            decision.reference = fields.required("reference", text_up_to(200));
            &["reference"]
        }
        ProposalAction::Award => {
            decision.supplier = fields.required("supplier", text_up_to(200));
            decision.awarded_value_chf = fields.required("awarded_value_chf", integer_in(1, 10_000_000_000_000));
            &["supplier", "awarded_value_chf"]
        }
    };
    fields.reject_unknown(allowed, |_| "is not a field of this action");
    fields.into_result(Some(decision))
}

/// Something the officer must know before deciding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Warning {
    /// `threshold_crossed`, `deadline_tight` or `joint_authorities`.
    #[schema(example = "threshold_crossed")]
    pub code: String,
    pub message: String,
}

/// (entity, category, budget year) → (threshold crossed, the entity's sum), from the
/// splitting check.
pub type CrossedThresholds = HashMap<(u32, Category, i32), (i64, Chf)>;

/// What the engine's caller knows about the lines besides the engine's input.
pub struct Context<'a> {
    pub lines: &'a [Line],
    /// Budget year of each line, parallel to `lines`.
    pub budget_years: &'a [i32],
    /// Unit index → the unit index of its legal entity.
    pub unit_entity: &'a [u32],
    /// Unit index → unit id.
    pub unit_ids: &'a [String],
    pub crossed: &'a CrossedThresholds,
    pub settings: &'a ProcurementSettings,
    pub today: NaiveDate,
}

/// A bundle with everything the law and the estimate say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluatedProposal {
    pub title: String,
    pub category: Category,
    pub cpv: &'static str,
    pub spec: Spec,
    pub budget_year: i32,
    pub unit_ids: Vec<String>,
    pub lead_entity_id: String,
    pub total_quantity: i64,
    pub value: Chf,
    pub procedure: Procedure,
    pub treaty_area: bool,
    pub needed_by: NaiveDate,
    pub tender_start_by: NaiveDate,
    pub savings: SavingsBreakdown,
    pub warnings: Vec<Warning>,
    /// Input indices of the lines.
    pub lines: Vec<usize>,
}

fn chf(value: i64) -> String {
    let digits = value.abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push('\'');
        }
        grouped.push(digit);
    }
    format!("CHF {}{grouped}", if value < 0 { "-" } else { "" })
}

pub fn title(spec: &Spec, units: usize) -> String {
    let what = match spec {
        Spec::Vehicle(v) => format!(
            "Vehicles: {}, {}, {} seats{}",
            v.class,
            v.drive,
            v.seats,
            if v.all_wheel_drive { ", all-wheel drive" } else { "" }
        ),
        Spec::Printer(p) => format!(
            "Printers: {}, {}{}, {} pages/min",
            p.format.as_str().to_uppercase(),
            if p.color { "colour" } else { "mono" },
            if p.multifunction { ", multifunction" } else { "" },
            p.pages_per_minute
        ),
        Spec::Pc(pc) => {
            format!("PCs: {}, {}, {} GB RAM, {} GB storage", pc.form_factor, pc.os, pc.ram_gb, pc.storage_gb)
        }
    };
    format!("{what} for {units} units")
}

pub fn evaluate(bundle: &Bundle, context: &Context) -> EvaluatedProposal {
    let settings = context.settings;
    let mut shares: BTreeMap<u32, Share> = BTreeMap::new();
    let mut by_entity: BTreeMap<&str, Chf> = BTreeMap::new();
    let mut groups: BTreeSet<(u32, i32)> = BTreeSet::new();
    for &index in &bundle.lines {
        let line = &context.lines[index];
        let share = shares.entry(line.unit).or_insert(Share { quantity: 0, value: Chf(0) });
        share.quantity += line.quantity;
        share.value = share.value + line.value();
        let entity = context.unit_entity[line.unit as usize];
        let sum = by_entity.entry(context.unit_ids[entity as usize].as_str()).or_default();
        *sum = *sum + line.value();
        groups.insert((entity, context.budget_years[index]));
    }
    // BöB Art. 16: the thresholds of the authority paying the largest share apply.
    let lead_entity_id = by_entity
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(id, _)| (*id).to_owned())
        .unwrap_or_default();

    let thresholds = &settings.thresholds;
    let procedure = Procedure::for_value(bundle.value, thresholds);
    let treaty_area = in_treaty_area(bundle.value, thresholds);
    let lead_time = LeadTime::of(procedure, treaty_area, bundle.category, &settings.lead_times);
    let tender_start_by = lead_time.tender_start_by(bundle.needed_by);
    let share_list: Vec<Share> = shares.values().copied().collect();
    let savings = estimate(bundle.category, &share_list, thresholds, &settings.savings);

    let mut warnings = Vec::new();
    for &(entity, year) in &groups {
        if let Some((threshold, total)) = context.crossed.get(&(entity, bundle.category, year)) {
            warnings.push(Warning {
                code: "threshold_crossed".to_owned(),
                message: format!(
                    "the units of {} plan {} of {} for {year}: each alone stays below {} but together they reach it; \
                     buying separately would split the contract (BöB Art. 15)",
                    context.unit_ids[entity as usize],
                    chf(total.0),
                    bundle.category,
                    chf(*threshold)
                ),
            });
        }
    }
    if tender_start_by < context.today {
        warnings.push(Warning {
            code: "deadline_tight".to_owned(),
            message: format!(
                "to deliver by {} the {procedure} procedure had to start by {tender_start_by} ({} days of lead time)",
                bundle.needed_by,
                lead_time.total_days()
            ),
        });
    }
    if by_entity.len() > 1 {
        let entities: Vec<&str> = by_entity.keys().copied().collect();
        warnings.push(Warning {
            code: "joint_authorities".to_owned(),
            message: format!(
                "a joint procurement of several contracting authorities ({}); the thresholds of {lead_entity_id}, \
                 which pays the largest share, apply (BöB Art. 16)",
                entities.join(", ")
            ),
        });
    }

    let mut unit_ids: Vec<String> = shares.keys().map(|&unit| context.unit_ids[unit as usize].clone()).collect();
    unit_ids.sort();
    let budget_year = bundle.lines.iter().map(|&index| context.budget_years[index]).min().unwrap_or_default();
    EvaluatedProposal {
        title: title(&bundle.spec, unit_ids.len()),
        category: bundle.category,
        cpv: bundle.spec.cpv(),
        spec: bundle.spec.clone(),
        budget_year,
        unit_ids,
        lead_entity_id,
        total_quantity: bundle.total_quantity,
        value: bundle.value,
        procedure,
        treaty_area,
        needed_by: bundle.needed_by,
        tender_start_by,
        savings,
        warnings,
        lines: bundle.lines.clone(),
    }
}

/// The plain-language reason for a procedure, e.g. "CHF 260'000 ≥ 250'000: open procedure".
pub fn procedure_reason(value: Chf, procedure: Procedure, settings: &ProcurementSettings) -> String {
    match procedure.threshold(&settings.thresholds) {
        Some(threshold) => format!("{} ≥ {}: {procedure} procedure", chf(value.0), chf(threshold)),
        None => format!("{} < {}: direct award", chf(value.0), chf(settings.thresholds.invitation_chf)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_life_cycle() {
        use ProposalAction::*;
        use ProposalStatus::*;
        assert_eq!(Approve.apply(Draft), Ok(Approved));
        assert!(Approve.apply(Approved).is_err());
        assert_eq!(Reject.apply(Draft), Ok(Rejected));
        assert!(Reject.apply(Approved).is_err());
        assert_eq!(Tender.apply(Approved), Ok(Tendered));
        assert_eq!(Award.apply(Tendered), Ok(Awarded));
        assert!(Award.apply(Approved).is_err());
        assert_eq!(Cancel.apply(Tendered), Ok(Cancelled));
        assert!(Cancel.apply(Draft).is_err());
        assert!(Draft.is_live() && Tendered.is_live() && !Awarded.is_live() && !Rejected.is_live());
    }

    #[test]
    fn each_action_asks_for_its_own_fields() {
        let names = |errors: Vec<FieldError>| errors.into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(names(parse_decision(ProposalAction::Reject, &serde_json::json!({})).unwrap_err()), ["reason"]);
        assert_eq!(
            names(
                parse_decision(ProposalAction::Award, &serde_json::json!({"awarded_value_chf": 0, "price": 1}))
                    .unwrap_err()
            ),
            ["supplier", "awarded_value_chf", "price"]
        );
        let approve = parse_decision(ProposalAction::Approve, &serde_json::json!({})).unwrap();
        assert_eq!(approve, Decision::default());
        let tender =
            parse_decision(ProposalAction::Tender, &serde_json::json!({"reference": "simap 1234567"})).unwrap();
        assert_eq!(tender.reference.as_deref(), Some("simap 1234567"));
    }

    #[test]
    fn money_reads_the_swiss_way() {
        assert_eq!(chf(260_000), "CHF 260'000");
        assert_eq!(chf(1_500), "CHF 1'500");
        assert_eq!(chf(999), "CHF 999");
        assert_eq!(chf(-10_500), "CHF -10'500");
        let settings = ProcurementSettings::default();
        assert_eq!(
            procedure_reason(Chf(260_000), Procedure::Open, &settings),
            "CHF 260'000 ≥ CHF 250'000: open procedure"
        );
        assert_eq!(
            procedure_reason(Chf(90_000), Procedure::Direct, &settings),
            "CHF 90'000 < CHF 150'000: direct award"
        );
    }
}
