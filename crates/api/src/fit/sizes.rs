//! Which sizes a model fits, for the booking flow (`gpubook book --model`, the console's "What will you
//! run?"). A booking by size gets the cheapest matching shape that is free, so a size fits only when every
//! shape of the fleet it matches does; it needs as many devices as the most any of them needs.

use super::{FitOptionView, FitView};

/// One size, as the booking flow weighs it.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeFit {
    pub size: String,
    /// Every shape of the size fits.
    pub fits: bool,
    /// Devices a booking of the size needs (tensor parallelism over whole GPUs); 1 for MIG slices.
    pub devices: u32,
    /// The memory of the size's smallest shape, in GiB: sizes are ordered by it.
    pub smallest_gib: f64,
    /// The smallest shape of the size, and what it allows.
    pub smallest: FitOptionView,
    /// When it does not fit: the first shape that does not, with its reason.
    pub reason: Option<String>,
}

impl FitView {
    /// Every size that matches a shape of the fleet, smallest first (by its smallest shape, then name).
    pub fn sizes(&self) -> Vec<SizeFit> {
        let mut names: Vec<&String> = self.options.iter().flat_map(|o| &o.sizes).collect();
        names.sort();
        names.dedup();
        let mut out: Vec<SizeFit> = names.into_iter().filter_map(|n| size_fit(n, &self.options)).collect();
        out.sort_by(|a, b| a.smallest_gib.total_cmp(&b.smallest_gib).then_with(|| a.size.cmp(&b.size)));
        out
    }

    /// The smallest size that fits among `allowed` (every size when `None`).
    pub fn smallest_size(&self, allowed: Option<&[String]>) -> Option<SizeFit> {
        self.sizes().into_iter().find(|s| s.fits && allowed.is_none_or(|a| a.contains(&s.size)))
    }
}

fn size_fit(name: &str, options: &[FitOptionView]) -> Option<SizeFit> {
    let shapes: Vec<&FitOptionView> = options.iter().filter(|o| o.sizes.iter().any(|s| s == name)).collect();
    let smallest = shapes.iter().min_by(|a, b| a.memory_gib.total_cmp(&b.memory_gib))?;
    let refused = shapes.iter().find(|o| !o.fits);
    Some(SizeFit {
        size: name.to_string(),
        fits: refused.is_none(),
        devices: shapes.iter().map(|o| o.devices).max().unwrap_or(1),
        smallest_gib: smallest.memory_gib,
        smallest: (*smallest).clone(),
        reason: refused.map(|o| format!("{}: {}", o.shape, o.reason.as_deref().unwrap_or("does not fit"))),
    })
}

#[cfg(test)]
mod tests {
    use fit::{Candidate, Question};

    use super::*;
    use crate::fit::{ModelSource, ask};

    const GIB: u64 = 1 << 30;

    fn shape(name: &str, gib: u64, whole: bool, sizes: &[&str]) -> Candidate {
        Candidate {
            shape: name.into(),
            memory_bytes: gib * GIB,
            whole_gpu: whole,
            gpus_per_node: 8,
            sizes: sizes.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn fleet() -> Vec<Candidate> {
        vec![
            shape("H100-80GB/1g.10gb", 10, false, &["tiny"]),
            // `small` mixes a slice too small for an 8B model with one that holds it.
            shape("H100-80GB/1g.20gb", 20, false, &["small"]),
            shape("H100-80GB/3g.40gb", 40, false, &["small", "medium"]),
            shape("H100-80GB/full", 80, true, &["large"]),
        ]
    }

    fn view(model: &str) -> FitView {
        ask(ModelSource::Catalog(model), &Question::default(), &fleet()).unwrap()
    }

    #[test]
    fn a_size_fits_only_when_every_shape_it_matches_does() {
        let v = view("meta-llama/Llama-3.1-8B-Instruct");
        let sizes = v.sizes();
        let names: Vec<&str> = sizes.iter().map(|s| s.size.as_str()).collect();
        assert_eq!(names, ["tiny", "small", "medium", "large"], "smallest first");
        let fits: Vec<bool> = sizes.iter().map(|s| s.fits).collect();
        assert_eq!(fits, [false, false, true, true]);
        let small = &sizes[1];
        assert!(small.reason.as_deref().unwrap().starts_with("H100-80GB/1g.20gb: "), "{:?}", small.reason);
        assert_eq!(v.smallest_size(None).unwrap().size, "medium");
        assert_eq!(v.smallest_size(Some(&["tiny".into(), "large".into()])).unwrap().size, "large");
        assert!(v.smallest_size(Some(&["tiny".into()])).is_none());
    }

    #[test]
    fn a_size_needs_the_devices_its_largest_need_is() {
        // 70B in bf16 (about 131 GiB of weights) fits only on whole GPUs in tensor parallel.
        let v = view("meta-llama/Llama-3.1-70B-Instruct");
        let best = v.smallest_size(None).expect("whole GPUs combine");
        assert_eq!(best.size, "large");
        assert!(best.devices >= 2, "{best:?}");
        assert!(v.sizes().iter().filter(|s| s.size != "large").all(|s| !s.fits));
    }
}
