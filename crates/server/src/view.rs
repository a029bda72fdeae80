//! A booking's view as this server shows it, in the API and the console alike: the engine's view, marked
//! `ending_soon` within the end warning, with the Kubernetes objects of the server's queue mode
//! (`--k8s-queues`): per project, the project's queue of the booking's mode and its claim template and
//! HardwareProfile of the booking's shape (of its first device, for a booking that holds several).

use api::rest::BookingView;
use k8s::render::QueueMode;
use k8s::render::names::{project_claim_template, project_hardware_profile, project_queue};

pub(crate) fn finish(view: BookingView, opts: &k8s::Options) -> BookingView {
    let mut v = view.warn_before_end(opts.end_warning_s);
    if opts.queues == QueueMode::PerProject {
        let mode = model::Mode::parse(&v.mode);
        let shape =
            v.placements.first().and_then(|p| format!("{}/{}", p.model, p.profile).parse::<model::ShapeKey>().ok());
        if let (Some(k), Some(mode)) = (v.kubernetes.as_mut(), mode) {
            k.local_queue = project_queue(&v.project, mode);
            if let Some(shape) = shape {
                k.resource_claim_template = project_claim_template(&v.project, &shape);
                k.hardware_profile = project_hardware_profile(&v.project, mode, &shape);
            }
        }
    }
    v
}
