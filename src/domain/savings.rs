//! The savings estimate: extra volume discount from buying together, plus the procedures the
//! units no longer run. Transparent and configurable; integer francs throughout.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money::Chf;
use super::procedure::Procedure;
use super::settings::{CurvePoint, SavingsAssumptions, Thresholds};
use super::spec::Category;

/// One unit's share of a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub quantity: i64,
    pub value: Chf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "volume_discount_chf": 9450, "process_cost_chf": -10500,
    "assumptions": ["volume discount pc: 4.50 % at 180 pieces together, 1.50 % to 2.50 % for each unit alone (curve capped at 10.00 %)"]
}))]
pub struct SavingsBreakdown {
    /// Extra discount of the joint volume over each unit buying alone.
    pub volume_discount_chf: i64,
    /// Separate procedures avoided minus the joint one; negative when the joint procedure is
    /// the costlier kind.
    pub process_cost_chf: i64,
    pub assumptions: Vec<String>,
}

impl SavingsBreakdown {
    pub fn total(&self) -> Chf {
        Chf(self.volume_discount_chf + self.process_cost_chf)
    }
}

/// The discount, in basis points, that `quantity` pieces earn: linear between curve points,
/// flat beyond the last, never above the cap.
pub fn discount_bp(curve: &[CurvePoint], cap_bp: i64, quantity: i64) -> i64 {
    let Some(first) = curve.first() else { return 0 };
    if quantity <= first.quantity {
        return first.discount_bp.min(cap_bp);
    }
    for pair in curve.windows(2) {
        let (low, high) = (pair[0], pair[1]);
        if quantity <= high.quantity {
            let span = high.quantity - low.quantity;
            let rise = (high.discount_bp - low.discount_bp) * (quantity - low.quantity) / span;
            return (low.discount_bp + rise).min(cap_bp);
        }
    }
    curve.last().map_or(0, |last| last.discount_bp.min(cap_bp))
}

pub fn process_cost(procedure: Procedure, assumptions: &SavingsAssumptions) -> i64 {
    match procedure {
        Procedure::Direct => assumptions.process_cost_direct_chf,
        Procedure::Invitation => assumptions.process_cost_invitation_chf,
        Procedure::Open => assumptions.process_cost_open_chf,
    }
}

fn percent(bp: i64) -> String {
    format!("{}.{:02} %", bp / 100, bp % 100)
}

/// Estimates what buying `shares` together saves against each unit buying alone.
pub fn estimate(
    category: Category,
    shares: &[Share],
    thresholds: &Thresholds,
    assumptions: &SavingsAssumptions,
) -> SavingsBreakdown {
    let curve = assumptions.curve(category);
    let cap = assumptions.volume_discount_cap_bp;
    let total_quantity: i64 = shares.iter().map(|share| share.quantity).sum();
    let total_value: Chf = shares.iter().map(|share| share.value).sum();
    let joint_bp = discount_bp(curve, cap, total_quantity);
    let alone_bp: Vec<i64> = shares.iter().map(|share| discount_bp(curve, cap, share.quantity)).collect();
    // i128: value × basis points can pass i64 for very large bundles.
    let volume_discount: i128 = shares
        .iter()
        .zip(&alone_bp)
        .map(|(share, alone)| i128::from(share.value.0) * i128::from((joint_bp - alone).max(0)) / 10_000)
        .sum();

    let separate: i64 =
        shares.iter().map(|share| process_cost(Procedure::for_value(share.value, thresholds), assumptions)).sum();
    let joint_procedure = Procedure::for_value(total_value, thresholds);
    let joint = process_cost(joint_procedure, assumptions);

    let (min_alone, max_alone) =
        (alone_bp.iter().min().copied().unwrap_or(0), alone_bp.iter().max().copied().unwrap_or(0));
    let assumptions_used = vec![
        format!(
            "volume discount {category}: {} at {total_quantity} pieces together, {} to {} for each unit alone (curve capped at {})",
            percent(joint_bp), percent(min_alone), percent(max_alone), percent(cap)
        ),
        format!(
            "process cost per procedure: direct CHF {}, invitation CHF {}, open CHF {}",
            assumptions.process_cost_direct_chf, assumptions.process_cost_invitation_chf, assumptions.process_cost_open_chf
        ),
        format!(
            "without bundling each of the {} units runs its own procedure (together CHF {separate}); jointly one {joint_procedure} procedure (CHF {joint})",
            shares.len()
        ),
        "an estimate for planning, not a promise: real prices depend on the offers".to_owned(),
    ];
    SavingsBreakdown {
        volume_discount_chf: i64::try_from(volume_discount).unwrap_or(i64::MAX),
        process_cost_chf: separate - joint,
        assumptions: assumptions_used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve() -> Vec<CurvePoint> {
        SavingsAssumptions::default().volume_curve_pc
    }

    #[test]
    fn the_curve_interpolates_and_caps() {
        assert_eq!(discount_bp(&curve(), 1000, 1), 0);
        assert_eq!(discount_bp(&curve(), 1000, 10), 150);
        assert_eq!(discount_bp(&curve(), 1000, 30), 150 + 250 * 20 / 40);
        assert_eq!(discount_bp(&curve(), 1000, 5000), 1000);
        assert_eq!(discount_bp(&curve(), 600, 5000), 600, "the cap wins over the curve");
    }

    #[test]
    fn one_unit_alone_saves_no_volume_discount() {
        let shares = [Share { quantity: 50, value: Chf(70_000) }];
        let estimate = estimate(Category::Pc, &shares, &Thresholds::default(), &SavingsAssumptions::default());
        assert_eq!(estimate.volume_discount_chf, 0);
        assert_eq!(estimate.process_cost_chf, 0);
    }

    #[test]
    fn three_direct_awards_joined_into_one_open_procedure() {
        let share = Share { quantity: 60, value: Chf(90_000) };
        let estimate = estimate(Category::Pc, &[share; 3], &Thresholds::default(), &SavingsAssumptions::default());
        // 180 pieces: 400 + 300 × 130 / 150 = 660 bp together; 60 pieces alone: 400 + 300 × 10 / 150 = 420 bp.
        assert_eq!(estimate.volume_discount_chf, 3 * 90_000 * (660 - 420) / 10_000);
        assert_eq!(estimate.process_cost_chf, 3 * 1_500 - 15_000);
        assert_eq!(estimate.total(), Chf(estimate.volume_discount_chf + estimate.process_cost_chf));
        assert_eq!(estimate.assumptions.len(), 4);
    }
}
