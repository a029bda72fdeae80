//! The warning a booking gets before it is released (its window's end, when its ClusterQueue is stopped with
//! `HoldAndDrain`): an `events.k8s.io/v1` Event of type `Warning`, reason `BookingEnding`, in the project's
//! namespace, regarding the LocalQueue its workloads use. It is rendered from `end_warning_s` before the
//! release (the same lead as the API's `ending_soon`, `gpubook serve --end-warning`) until the release, so
//! `kubectl get events`, `kubectl describe localqueue` and dashboards show it while there is time to act.
//!
//! The Event is an object like the others: applied by server-side apply and deleted once no longer
//! rendered. Its `eventTime` is when the warning began, not when it was applied, so the render stays a pure
//! function of the state and the instant; the API server refuses changes to an Event's note, time and
//! reference, so a changed one is replaced (`Kind::immutable`).

use serde_json::json;

use super::names::{self, QueueMode, manifest, meta};
use super::{Live, Snapshot};
use crate::object::{Kind, Object};

/// The Event's `reason`.
pub const REASON: &str = "BookingEnding";
/// Its `reportingController`: a qualified name, as the API server requires.
pub const REPORTING_CONTROLLER: &str = "gpubook.io/reconciler";

/// The Event of a booking within the lead time of its release, if it is.
pub(super) fn ending(s: &Snapshot, l: &Live<'_>) -> Option<Object> {
    let b = l.booking;
    let released = b.released_at();
    let lead = s.opts.end_warning_s;
    if l.draining || lead <= 0 || s.at < released.plus(-lead) {
        return None;
    }
    let since = b.window().start.max(released.plus(-lead));
    let queue = names::local_queue(b, s.opts.queues);
    let ns = l.namespace();
    let what = format!("{} × {}", b.request.count, b.request.want);
    let then = match s.opts.queues {
        QueueMode::PerBooking => format!(
            "its ClusterQueue {queue} is stopped with HoldAndDrain, which evicts the workloads still running on it"
        ),
        QueueMode::PerProject => format!(
            "its devices leave the quota of ClusterQueue {queue}; workloads still running on them borrow, and \
             are evicted as soon as another queue reclaims the capacity"
        ),
    };
    let note = format!(
        "Booking {} ({what}, project {}, owner {}) ends at {released}: then {then}. Save their work before \
         then.",
        b.id, b.request.project, b.request.owner
    );
    let name = names::ending_event(b.id);
    let body = manifest(
        Kind::Event,
        meta(&name, Some(ns), Some(b)),
        json!({
            "eventTime": micro_time(since),
            "type": "Warning",
            "reason": REASON,
            "action": "HoldAndDrain",
            "note": note,
            "regarding": {
                "apiVersion": Kind::LocalQueue.api_version(),
                "kind": Kind::LocalQueue.name(),
                "namespace": ns,
                "name": queue,
            },
            "reportingController": REPORTING_CONTROLLER,
            "reportingInstance": names::PREFIX,
        }),
    );
    Some(Object { kind: Kind::Event, namespace: Some(ns.to_string()), name, body })
}

/// RFC 3339 with microseconds, as the API server's `MicroTime` is written: `2026-12-07T04:45:00.000000Z`.
fn micro_time(t: model::Instant) -> String {
    let whole = t.to_string();
    match whole.strip_suffix('Z') {
        Some(stem) => format!("{stem}.000000Z"),
        None => whole,
    }
}
