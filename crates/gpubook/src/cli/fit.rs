//! `gpubook fit`: will a model serve on each shape of the fleet, and with which vLLM arguments. Reads the
//! fleet from -f files or --demo locally, or asks the server's `GET /fit`.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use api::fit::{FitView, ModelSource, SizeFit, ask};
use clap::Args;
use fit::{Dtype, KvDtype, MAX_CONFIG_BYTES, Question};
use model::Catalog;

use super::ManifestArgs;
use super::output::{Format, emit, say, table};

#[derive(Debug, Args)]
pub(crate) struct FitArgs {
    /// A Hugging Face id from the model catalog, such as meta-llama/Llama-3.1-8B-Instruct (with
    /// --model-config: the name to show).
    model: Option<String>,
    /// Tokens per sequence (vLLM's --max-model-len); default 8192, or the model's own limit if shorter.
    #[arg(long)]
    context: Option<u64>,
    /// Sequences served at once, each of --context tokens; default 1.
    #[arg(long)]
    concurrency: Option<u64>,
    /// Weight dtype: bf16, fp16, fp8, int8, int4-awq, int4-gptq, mxfp4; default the published weights'.
    #[arg(long, value_parser = parse_dtype)]
    dtype: Option<Dtype>,
    /// KV cache dtype: auto (the model's 16 bits) or fp8.
    #[arg(long, value_parser = parse_kv, default_value = "auto")]
    kv_dtype: KvDtype,
    /// A Hugging Face config.json, read offline, for a model the catalog does not have.
    #[arg(long)]
    model_config: Option<PathBuf>,
    #[command(flatten)]
    manifests: ManifestArgs,
}

fn parse_dtype(s: &str) -> Result<Dtype, String> {
    Dtype::parse(s).ok_or_else(|| format!("{s:?} is not one of bf16, fp16, fp8, int8, int4-awq, int4-gptq, mxfp4"))
}

fn parse_kv(s: &str) -> Result<KvDtype, String> {
    KvDtype::parse(s).ok_or_else(|| format!("{s:?} is not auto or fp8"))
}

pub(crate) fn run(catalog: &Catalog, args: FitArgs, server: &super::client::ServerArgs) -> anyhow::Result<()> {
    let question =
        Question { context: args.context, concurrency: args.concurrency, dtype: args.dtype, kv_dtype: args.kv_dtype };
    let local = args.manifests.demo || !args.manifests.files.is_empty();
    let view: FitView = if local {
        let (defs, _) = super::definitions::load(catalog, &args.manifests)?;
        let candidates = fit::candidates(catalog, &defs);
        match &args.model_config {
            Some(path) => {
                let text = read_config(path)?;
                let name = args.model.clone().unwrap_or_else(|| path.display().to_string());
                ask(ModelSource::Config { name: &name, text: &text }, &question, &candidates)?
            }
            None => {
                let Some(id) = &args.model else { bail!("give a model id (or --model-config FILE)") };
                ask(ModelSource::Catalog(id), &question, &candidates)?
            }
        }
    } else {
        if args.model_config.is_some() {
            bail!(
                "--model-config is read here, against a fleet from -f files or --demo; the server's /fit takes catalog ids"
            );
        }
        let Some(id) = &args.model else { bail!("give a model id (or --model-config FILE with -f or --demo)") };
        let mut query = vec![("model", id.clone()), ("kv_dtype", args.kv_dtype.to_string())];
        query.extend(args.context.map(|c| ("context", c.to_string())));
        query.extend(args.concurrency.map(|c| ("concurrency", c.to_string())));
        query.extend(args.dtype.map(|d| ("dtype", d.to_string())));
        super::client::Client::new(server)?.get("/fit", &query)?
    };
    if args.manifests.output == Format::Table {
        say(&summary(&view))?;
    }
    emit(args.manifests.output, &view, || render(&view))
}

fn read_config(path: &PathBuf) -> anyhow::Result<String> {
    let len = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
    if len > MAX_CONFIG_BYTES as u64 {
        bail!("{}: {len} bytes; a config.json is read up to {MAX_CONFIG_BYTES}", path.display());
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn render(v: &FitView) -> comfy_table::Table {
    let mut t = table(&[
        "shape",
        "sizes",
        "devices",
        "fits",
        "KV cache",
        "max-model-len",
        "max-num-seqs",
        "vLLM arguments / why not",
    ]);
    for o in &v.options {
        let why = match &o.reason {
            Some(r) => r.clone(),
            None => o.vllm_args.join(" "),
        };
        t.add_row(vec![
            o.shape.clone(),
            o.sizes.join(", "),
            o.devices.to_string(),
            if o.fits { "yes".into() } else { "no".into() },
            format!("{:.1} GiB, {} tokens", o.kv_cache_gib.max(0.0), o.kv_tokens),
            o.max_model_len.to_string(),
            o.max_num_seqs.to_string(),
            why,
        ]);
    }
    t
}

fn summary(v: &FitView) -> String {
    let mut out = format!(
        "{} ({} parameters, {}): weights {:.2} GiB, KV cache {:.4} GiB per 1k tokens; {} × {} tokens, KV {}\n",
        v.model.id,
        v.model.params,
        v.dtype,
        v.weights_gib,
        v.kv_gib_per_1k_tokens,
        v.concurrency,
        v.context,
        v.kv_dtype
    );
    for n in &v.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// The size `gpubook book --model` books: `size` when given and it fits, else the smallest size `project`
/// may book that fits the model (every shape of it does: a booking by size gets any of them).
pub(crate) fn choose_size(
    client: &super::client::Client,
    project: &str,
    model: &str,
    context: Option<u64>,
    size: Option<&str>,
) -> anyhow::Result<SizeFit> {
    let mut query = vec![("model", model.to_string())];
    query.extend(context.map(|c| ("context", c.to_string())));
    let view: FitView = client.get("/fit", &query)?;
    let sizes = view.sizes();
    let what = format!("{model} ({} tokens per sequence)", view.context);
    if let Some(size) = size {
        return match sizes.into_iter().find(|s| s.size == size) {
            Some(s) if s.fits => Ok(s),
            Some(s) => bail!("{size} does not fit {what}: {}", s.reason.unwrap_or_default()),
            None => bail!("{size} matches no shape of the fleet, so it cannot fit {what}"),
        };
    }
    let projects: Vec<api::manifest::ProjectDoc> = client.get("/projects", &[])?;
    let allowed = projects.into_iter().find(|p| p.name == project).and_then(|p| p.sizes);
    if let Some(best) = view.smallest_size(allowed.as_deref()) {
        return Ok(best);
    }
    let mut why = format!("no size {project} may book fits {what}");
    for s in sizes.iter().filter(|s| allowed.as_ref().is_none_or(|a| a.contains(&s.size))) {
        why.push_str(&format!("\n  {}: {}", s.size, s.reason.as_deref().unwrap_or("fits")));
    }
    let shapes: Vec<&str> = view.options.iter().filter(|o| o.fits).map(|o| o.shape.as_str()).collect();
    if !shapes.is_empty() {
        why.push_str(&format!("\nshapes that fit it (book one with --shape): {}", shapes.join(", ")));
    }
    bail!(why)
}

/// What `gpubook book --model` says about the size it chose.
pub(crate) fn chosen_note(model: &str, s: &SizeFit, count: u32, asked: bool) -> String {
    let o = &s.smallest;
    let why = if asked { "fits" } else { "is the smallest size that fits" };
    let mut note = format!(
        "{} {why} {model}: on its smallest shape, {}, the KV cache holds {} tokens (up to {} sequences of the \
         asked context)",
        s.size, o.shape, o.kv_tokens, o.max_num_seqs
    );
    if s.devices > 1 {
        note.push_str(&format!("; it needs {} devices on one node (tensor parallel), booking {count}", s.devices));
    }
    note.push_str(&format!("\nvllm serve {model} {}", o.vllm_args.join(" ")));
    note
}
