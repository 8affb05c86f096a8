//! Whole Swiss francs, excluding VAT. Money is never a float.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Chf(pub i64);

impl Chf {
    /// Quantity × unit price; saturates instead of wrapping (the bounds on both keep real
    /// values far below `i64::MAX`, saturation only guards against a future bound change).
    pub fn times(self, quantity: i64) -> Chf {
        Chf(self.0.saturating_mul(quantity))
    }
}

impl std::ops::Add for Chf {
    type Output = Chf;
    fn add(self, other: Chf) -> Chf {
        Chf(self.0.saturating_add(other.0))
    }
}

impl std::iter::Sum for Chf {
    fn sum<I: Iterator<Item = Chf>>(iter: I) -> Chf {
        iter.fold(Chf(0), |total, value| total + value)
    }
}
