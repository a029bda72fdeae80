//! "What will you run?" in the booking form: pick a model (and a context), and the tiers that fit it are
//! marked, the smallest preselected. The same answer as `GET /api/v1/fit` (`api::fit::ask` on the fleet's
//! `fit::candidates`); a size fits when every shape it matches does (`FitView::sizes`). Widgets only.

use std::collections::BTreeMap;

use maud::{Markup, html};

use api::fit::{FitView, ModelSource, ask, models};
use fit::{Candidate, Question};

use super::tiers::Tier;

/// How one tier fares for the model asked.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mark {
    pub(crate) fits: bool,
    /// Words after the tier's name: "fits, 18 sequences of 8192 tokens" or "too small".
    pub(crate) words: String,
}

/// The marks of every tier gpubook has an answer for, and the one to preselect.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Marks {
    pub(crate) model: String,
    pub(crate) context: u32,
    pub(crate) by_tier: BTreeMap<String, Mark>,
    /// The smallest size that fits, else the smallest shape that fits.
    pub(crate) best: Option<String>,
    /// `vllm serve` arguments on the preselected tier's smallest shape.
    pub(crate) vllm_args: Vec<String>,
}

/// Marks `tiers` for `model` at `context` (the model's default when empty); an error is the question's
/// fault, in words naming the field.
pub(crate) fn marks(candidates: &[Candidate], tiers: &[Tier], model: &str, context: &str) -> Result<Marks, String> {
    let context = match context.trim() {
        "" => None,
        c => Some(c.parse::<u64>().map_err(|_| format!("context: {c:?} is not a whole number of tokens"))?),
    };
    let question = Question { context, ..Question::default() };
    let view = ask(ModelSource::Catalog(model), &question, candidates).map_err(|e| e.to_string())?;
    Ok(mark(&view, tiers))
}

fn mark(view: &FitView, tiers: &[Tier]) -> Marks {
    let mut by_tier = BTreeMap::new();
    let sizes = view.sizes();
    let mut best: Option<(String, Vec<String>)> = None;
    for size in &sizes {
        let key = format!("size:{}", size.size);
        if !tiers.iter().any(|t| t.key == key) {
            continue;
        }
        let o = &size.smallest;
        let words = if !size.fits {
            "too small".to_string()
        } else if size.devices > 1 {
            format!("fits on {} devices", size.devices)
        } else {
            format!("fits, {} × {} tokens", o.max_num_seqs, view.context)
        };
        if size.fits && best.is_none() {
            best = Some((key.clone(), o.vllm_args.clone()));
        }
        by_tier.insert(key, Mark { fits: size.fits, words });
    }
    let mut best_shape = None;
    for o in &view.options {
        let key = format!("shape:{}", o.shape);
        if !tiers.iter().any(|t| t.key == key) {
            continue;
        }
        let words = match (o.fits, o.devices) {
            (false, _) => "too small".to_string(),
            (true, 1) => format!("fits, {} × {} tokens", o.max_num_seqs, view.context),
            (true, n) => format!("fits on {n} devices"),
        };
        if o.fits && best_shape.is_none() {
            best_shape = Some((key.clone(), o.vllm_args.clone()));
        }
        by_tier.insert(key, Mark { fits: o.fits, words });
    }
    let (best, vllm_args) = match best.or(best_shape) {
        Some((k, a)) => (Some(k), a),
        None => (None, Vec::new()),
    };
    Marks { model: view.model.id.clone(), context: view.context, by_tier, best, vllm_args }
}

/// The "What will you run?" fields: a catalog model and a context. Changing either asks `/console/fit` for
/// the tier picker again.
pub(crate) fn run_fields(model: Option<&str>, context: Option<&str>) -> Markup {
    html! {
        fieldset.run {
            legend { "What will you run?" }
            label for="f-model" { "Model" }
            select #f-model name="model" hx-post="/console/fit" hx-target="#tier-pick" hx-swap="outerHTML"
                aria-describedby="run-help" {
                option value="" selected[model.is_none_or(str::is_empty)] { "Nothing in particular" }
                @for m in models().models() {
                    option value=(m.spec.id) selected[model == Some(m.spec.id.as_str())] { (m.spec.id) }
                }
            }
            label for="f-context" { "Context (tokens per sequence)" }
            input #f-context type="number" name="context" min="1" step="1" placeholder="8192" value=[context]
                inputmode="numeric" hx-post="/console/fit" hx-target="#tier-pick" hx-swap="outerHTML"
                hx-trigger="change, keyup changed delay:600ms";
            p.help #run-help { "Sizes that fit it are marked and the smallest is picked; the estimate is for vLLM." }
        }
    }
}

/// The tier picker: each tier with its mark when a model was asked, the smallest that fits preselected, and
/// a note saying what was chosen (or why nothing was).
pub(crate) fn tier_pick(tiers: &[Tier], selected: Option<&str>, marks: Option<&Result<Marks, String>>) -> Markup {
    let ok = marks.and_then(|m| m.as_ref().ok());
    let selected = ok.and_then(|m| m.best.as_deref()).or(selected);
    html! {
        div #tier-pick {
            label for="f-tier" { "Size or shape" }
            select #f-tier name="tier" aria-describedby="fit-note" {
                @for t in tiers {
                    @let mark = ok.and_then(|m| m.by_tier.get(&t.key));
                    option value=(t.key) selected[selected == Some(t.key.as_str())]
                        data-fits=[mark.map(|m| m.fits.to_string())] {
                        @match mark {
                            // The mark first, where a narrow select still shows it.
                            Some(m) => { (t.short) " · " (if m.fits { "✓ " } else { "✗ " }) (m.words) }
                            None => (t.label),
                        }
                    }
                }
            }
            p #fit-note .fit-note aria-live="polite" { (note(marks)) }
        }
    }
}

fn note(marks: Option<&Result<Marks, String>>) -> Markup {
    match marks {
        None => html! {},
        Some(Err(e)) => html! { span.bad { (e) } },
        Some(Ok(m)) => match &m.best {
            None => html! {
                span.bad { "Nothing this project may book fits " (m.model) " with " (m.context) " tokens." }
            },
            Some(_) => html! {
                span.good { "Picked the smallest that fits " (m.model) " (" (m.context) " tokens)." }
                " " "vLLM: " code { (m.vllm_args.join(" ")) }
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(key: &str) -> Tier {
        Tier {
            key: key.into(),
            label: key.into(),
            short: key.into(),
            want: super::super::tiers::Tier::parse(key).unwrap(),
        }
    }

    fn candidate(shape: &str, gib: u64, sizes: &[&str]) -> Candidate {
        Candidate {
            shape: shape.into(),
            memory_bytes: gib << 30,
            whole_gpu: shape.ends_with("/full"),
            gpus_per_node: 4,
            sizes: sizes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_smallest_size_that_fits_is_picked_and_each_tier_marked() {
        let candidates = [
            candidate("H100-80GB/1g.20gb", 20, &["gpu-small"]),
            candidate("H100-80GB/3g.40gb", 40, &["gpu-small", "gpu-medium"]),
            candidate("H100-80GB/full", 80, &["gpu-large"]),
        ];
        let tiers = ["size:gpu-small", "size:gpu-medium", "size:gpu-large", "shape:H100-80GB/1g.20gb"].map(tier);
        let m = marks(&candidates, &tiers, "meta-llama/Llama-3.1-8B-Instruct", "").unwrap();
        assert_eq!(m.best.as_deref(), Some("size:gpu-medium"));
        assert!(!m.by_tier["size:gpu-small"].fits && !m.by_tier["shape:H100-80GB/1g.20gb"].fits);
        assert!(m.by_tier["size:gpu-large"].fits);
        assert!(m.vllm_args.contains(&"--max-model-len".to_string()));
        let html = tier_pick(&tiers, Some("size:gpu-small"), Some(&Ok(m))).into_string();
        assert!(html.contains(r#"<option value="size:gpu-medium" selected data-fits="true">"#), "{html}");
        assert!(!html.contains(r#"value="size:gpu-small" selected"#), "the fitting tier wins: {html}");
        // A context the model cannot take and an unknown model are said, naming the field.
        let e = marks(&candidates, &tiers, "meta-llama/Llama-3.1-8B-Instruct", "a lot").unwrap_err();
        assert!(e.starts_with("context: "), "{e}");
        let e = marks(&candidates, &tiers, "meta-llama/Llama-3.1-8B-Instruct", "999999999").unwrap_err();
        assert!(e.starts_with("context: "), "{e}");
        let e = marks(&candidates, &tiers, "nobody/nothing", "").unwrap_err();
        assert!(e.starts_with("model: "), "{e}");
    }
}
