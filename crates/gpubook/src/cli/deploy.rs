//! `gpubook deploy BOOKING --model M`: the workload manifests of a booking from the server
//! (`GET /bookings/{id}/manifests`), as YAML ready for `kubectl apply -f -`.

use clap::Args;

use api::deploy::ManifestsView;

use super::client::Client;
use super::output::{Format, say, table};

#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    /// The booking, such as b17.
    booking: String,
    /// A model of the fit catalog, such as meta-llama/Llama-3.1-8B-Instruct (`gpubook fit` lists them).
    #[arg(long)]
    model: String,
    /// What to deploy: a vLLM Deployment and Service, a KServe InferenceService, or a batch Job.
    #[arg(long, default_value = "vllm", value_parser = ["vllm", "inferenceservice", "job"])]
    kind: String,
    /// The container image (default: vLLM's OpenAI-compatible server).
    #[arg(long)]
    image: Option<String>,
    /// Claim the devices through the booking's ResourceClaimTemplate (DRA; with `serve --k8s-queues
    /// per-project`, the project's template of the booked shape, one claim per device).
    #[arg(long)]
    dra: bool,
    /// yaml: the manifests as one stream; json: them as a JSON array; table: a summary.
    #[arg(short, long, value_enum, default_value_t = Format::Yaml)]
    output: Format,
}

pub(crate) fn run(client: &Client, args: DeployArgs) -> anyhow::Result<()> {
    let mut query = vec![("model", args.model.clone()), ("kind", args.kind.clone())];
    if let Some(image) = &args.image {
        query.push(("image", image.clone()));
    }
    if args.dra {
        query.push(("dra", "true".to_string()));
    }
    let path = format!("/bookings/{}/manifests", args.booking);
    let view: ManifestsView = client.get(&path, &query)?;
    match args.output {
        Format::Yaml => say(&view.yaml),
        Format::Json => say(&format!("{}\n", serde_json::to_string_pretty(&view.manifests)?)),
        Format::Table => {
            let mut t = table(&["kind", "namespace", "name"]);
            for m in &view.manifests {
                let cell = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
                t.add_row(vec![cell(&m["kind"]), cell(&m["metadata"]["namespace"]), cell(&m["metadata"]["name"])]);
            }
            say(&format!("{t}\n"))
        }
    }
}
