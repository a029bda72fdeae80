//! A booking's view as this server shows it, in the API and the console alike: the engine's view, marked
//! `ending_soon` within the end warning, with the LocalQueue of the server's queue mode (`--k8s-queues`).

use api::rest::BookingView;
use k8s::render::QueueMode;
use k8s::render::names::project_queue;

pub(crate) fn finish(view: BookingView, opts: &k8s::Options) -> BookingView {
    let mut v = view.warn_before_end(opts.end_warning_s);
    if opts.queues == QueueMode::PerProject {
        let mode = model::Mode::parse(&v.mode);
        if let (Some(k), Some(mode)) = (v.kubernetes.as_mut(), mode) {
            k.local_queue = project_queue(&v.project, mode);
        }
    }
    v
}
