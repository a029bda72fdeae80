//! Quantities as newtypes, so a count of memory slices is never mixed up with MiB or GPU counts.

use std::fmt;

/// A number of NVML memory-slice units on one GPU model (8 on H100, 4 on A30, 12 on RTX PRO 6000).
///
/// Quotas are kept in slices per GPU model, which makes "a slice counts its share of the GPU" exact:
/// an H200 2g.35gb is 2 slices of 8, that is 0.25 GPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slices(pub u32);

impl Slices {
    pub const ZERO: Slices = Slices(0);

    pub fn saturating_sub(self, other: Slices) -> Slices {
        Slices(self.0.saturating_sub(other.0))
    }

    /// This many slices expressed in GPUs of a model with `units` slices per GPU.
    pub fn as_gpus(self, units: u32) -> f64 {
        f64::from(self.0) / f64::from(units.max(1))
    }

    /// Parses a GPU count such as `1`, `0.5` or `2.25` into slices of a model with `units` slices per GPU.
    ///
    /// Refuses values that are not a whole number of slices: on an H100 (8 slices) `0.3` GPU is refused,
    /// `0.375` is 3 slices.
    pub fn from_gpus(gpus: f64, units: u32) -> Result<Slices, String> {
        if !gpus.is_finite() || gpus < 0.0 {
            return Err(format!("{gpus} is not a non-negative number of GPUs"));
        }
        let exact = gpus * f64::from(units);
        let rounded = exact.round();
        if (exact - rounded).abs() > 1e-6 {
            return Err(format!(
                "{gpus} GPU is not a whole number of memory slices (this model has {units} per GPU, so steps of {})",
                1.0 / f64::from(units)
            ));
        }
        if rounded > f64::from(u32::MAX) {
            return Err(format!("{gpus} GPUs is too large"));
        }
        Ok(Slices(rounded as u32))
    }
}

impl std::ops::Add for Slices {
    type Output = Slices;
    fn add(self, rhs: Slices) -> Slices {
        Slices(self.0.saturating_add(rhs.0))
    }
}

impl std::ops::AddAssign for Slices {
    fn add_assign(&mut self, rhs: Slices) {
        *self = *self + rhs;
    }
}

impl fmt::Display for Slices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} slices", self.0)
    }
}

/// Mebibytes (2^20 bytes), the unit NVML reports memory in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MiB(pub u64);

impl MiB {
    pub fn bytes(self) -> u64 {
        self.0.saturating_mul(1 << 20)
    }

    pub fn gib(self) -> f64 {
        self.0 as f64 / 1024.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpus_convert_to_whole_slices_only() {
        assert_eq!(Slices::from_gpus(1.0, 8), Ok(Slices(8)));
        assert_eq!(Slices::from_gpus(0.375, 8), Ok(Slices(3)));
        assert_eq!(Slices::from_gpus(0.25, 12), Ok(Slices(3)));
        assert!(Slices::from_gpus(0.3, 8).unwrap_err().contains("whole number of memory slices"));
        assert!(Slices::from_gpus(0.5, 1).is_err());
        assert!(Slices::from_gpus(-1.0, 8).is_err());
        assert!(Slices::from_gpus(f64::NAN, 8).is_err());
    }
}
