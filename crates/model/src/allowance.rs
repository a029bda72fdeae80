//! What a booked device brings besides itself: the cpu, memory and (optionally) ephemeral storage a pod
//! on it may request, so that the booking's Kubernetes queue admits a real pod (Kueue refuses any pod that
//! requests a resource its ClusterQueue does not cover).
//!
//! A size may set an allowance per device; otherwise a device gets the default of a whole GPU scaled to the
//! shape's share of its GPU (its memory slices over the GPU's): 8 cpu and 64 GiB per whole GPU, so an H100
//! 3g.40gb (4 of 8 slices) brings 4 cpu and 32 GiB, a 1g.10gb 1 cpu and 8 GiB.

use crate::catalog::Catalog;
use crate::shape::ShapeKey;

/// Cpu a whole GPU brings by default, in millicores.
pub const DEFAULT_CPU_MILLI_PER_GPU: u64 = 8_000;
/// Memory a whole GPU brings by default.
pub const DEFAULT_MEMORY_PER_GPU: u64 = 64 << 30;
/// The most one device may bring: 1,024 cpu, 16 TiB of memory or ephemeral storage.
pub const MAX_CPU_MILLI: u64 = 1_024_000;
pub const MAX_BYTES: u64 = 16 << 40;

const MIB: u64 = 1 << 20;

/// Companion resources per device (or, once multiplied, per booking).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Allowance {
    pub cpu_milli: u64,
    pub memory_bytes: u64,
    /// Set only when the size asks for it; a queue covers `ephemeral-storage` only then.
    pub ephemeral_bytes: Option<u64>,
}

impl Allowance {
    /// The default of one device of `shape`: a whole GPU's default times the shape's share of the GPU, cpu
    /// rounded down to the millicore and memory to the MiB (at least 1m and 1 MiB).
    pub fn default_for(catalog: &Catalog, shape: &ShapeKey) -> Option<Allowance> {
        let model = catalog.get(shape.model.as_str())?;
        let units = u64::from(model.units().max(1));
        let slices = match &shape.profile {
            None => units,
            Some(p) => {
                let g = model.mig.as_ref()?;
                u64::from(g.profile(g.find(p)?).size)
            }
        };
        Some(Allowance {
            cpu_milli: (DEFAULT_CPU_MILLI_PER_GPU * slices / units).max(1),
            memory_bytes: (DEFAULT_MEMORY_PER_GPU / MIB * slices / units).max(1) * MIB,
            ephemeral_bytes: None,
        })
    }

    /// This allowance for `n` devices.
    pub fn times(self, n: u64) -> Allowance {
        Allowance {
            cpu_milli: self.cpu_milli.saturating_mul(n),
            memory_bytes: self.memory_bytes.saturating_mul(n),
            ephemeral_bytes: self.ephemeral_bytes.map(|e| e.saturating_mul(n)),
        }
    }

    /// The sum of two allowances; ephemeral storage is set when either sets it.
    pub fn plus(self, other: Allowance) -> Allowance {
        let ephemeral = match (self.ephemeral_bytes, other.ephemeral_bytes) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        };
        Allowance {
            cpu_milli: self.cpu_milli.saturating_add(other.cpu_milli),
            memory_bytes: self.memory_bytes.saturating_add(other.memory_bytes),
            ephemeral_bytes: ephemeral,
        }
    }

    pub fn cpu(&self) -> String {
        format_milli(self.cpu_milli)
    }

    pub fn memory(&self) -> String {
        format_bytes(self.memory_bytes)
    }

    pub fn ephemeral(&self) -> Option<String> {
        self.ephemeral_bytes.map(format_bytes)
    }
}

/// A Kubernetes quantity in thousandths of its unit: `"2"` is 2000, `"500m"` 500, `"1Gi"` 1024³ × 1000.
/// Decimal numbers with an optional suffix (`m`, `k`, `M`, `G`, `T`, `P`, `Ki`, `Mi`, `Gi`, `Ti`, `Pi`);
/// exponents and negative values are refused, and so is anything past about 9.2 × 10¹⁵ units.
pub fn parse_quantity_milli(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let factor: u128 = match suffix {
        "" => 1000,
        "m" => 1,
        "k" => 1000 * 1000,
        "M" => 1000 * 1000u128.pow(2),
        "G" => 1000 * 1000u128.pow(3),
        "T" => 1000 * 1000u128.pow(4),
        "P" => 1000 * 1000u128.pow(5),
        "Ki" => 1000 << 10,
        "Mi" => 1000 << 20,
        "Gi" => 1000 << 30,
        "Ti" => 1000 << 40,
        "Pi" => 1000 << 50,
        _ => return Err(format!("{s:?} is not a quantity such as 4, 500m, 64Gi")),
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() || frac.contains('.') || whole.len() > 20 || frac.len() > 9 {
        return Err(format!("{s:?} is not a quantity such as 4, 500m, 64Gi"));
    }
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| format!("{s:?} is not a number"))? };
    let frac_value: u128 =
        if frac.is_empty() { 0 } else { frac.parse().map_err(|_| format!("{s:?} is not a number"))? };
    let scale = 10u128.pow(frac.len() as u32);
    let total = whole * factor + frac_value * factor / scale;
    u64::try_from(total).ok().filter(|v| *v < u64::MAX / 2).ok_or_else(|| format!("{s:?} is too large"))
}

/// Millicores as Kubernetes writes them: `4`, `500m`.
pub fn format_milli(v: u64) -> String {
    if v.is_multiple_of(1000) { (v / 1000).to_string() } else { format!("{v}m") }
}

/// Bytes in the largest binary unit that divides them: `64Gi`, `1536Mi`, `1000`.
pub fn format_bytes(v: u64) -> String {
    for (shift, suffix) in [(50, "Pi"), (40, "Ti"), (30, "Gi"), (20, "Mi"), (10, "Ki")] {
        if v != 0 && v.is_multiple_of(1 << shift) {
            return format!("{}{suffix}", v >> shift);
        }
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ModelKey;

    #[test]
    fn quantities_parse_and_format_as_kubernetes_writes_them() {
        assert_eq!(parse_quantity_milli("4"), Ok(4000));
        assert_eq!(parse_quantity_milli("500m"), Ok(500));
        assert_eq!(parse_quantity_milli("0.5"), Ok(500));
        assert_eq!(parse_quantity_milli("64Gi"), Ok(64_000 << 30));
        assert_eq!(parse_quantity_milli("1.5Gi"), Ok(1_536_000 << 20));
        assert_eq!(parse_quantity_milli("2k"), Ok(2_000_000));
        for bad in ["", ".", "-1", "1e3", "4 cpu", "1..2", "64GB", &"9".repeat(30)] {
            assert!(parse_quantity_milli(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_milli(4000), "4");
        assert_eq!(format_milli(666), "666m");
        assert_eq!(format_bytes(40 << 30), "40Gi");
        assert_eq!(format_bytes(1536 << 20), "1536Mi");
        assert_eq!(format_bytes(1000), "1000");
    }

    #[test]
    fn the_default_is_a_whole_gpus_scaled_to_the_shares_slices() {
        let catalog = Catalog::builtin();
        let h100 = ModelKey("H100-80GB".into());
        let whole = Allowance::default_for(&catalog, &ShapeKey::whole(&h100)).unwrap();
        assert_eq!(whole.cpu(), "8");
        let half = Allowance::default_for(&catalog, &ShapeKey::mig(&h100, "3g.40gb")).unwrap();
        assert_eq!((half.cpu_milli * 2, half.memory_bytes * 2), (whole.cpu_milli, whole.memory_bytes));
        let eighth = Allowance::default_for(&catalog, &ShapeKey::mig(&h100, "1g.10gb")).unwrap();
        assert_eq!((eighth.cpu(), eighth.memory()), ("1".to_string(), "8Gi".to_string()));
        let a30 = Allowance::default_for(&catalog, &ShapeKey::mig(&ModelKey("A30-24GB".into()), "1g.6gb")).unwrap();
        assert_eq!((a30.cpu(), a30.memory()), ("2".to_string(), "16Gi".to_string()), "4 units on an A30");
        assert_eq!(eighth.times(3).cpu(), "3");
        assert!(Allowance::default_for(&catalog, &ShapeKey::mig(&h100, "9g.1tb")).is_none());
    }
}
