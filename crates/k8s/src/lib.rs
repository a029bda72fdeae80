//! gpubook on Kubernetes: [`render`] turns the committed state at an instant into Kueue, DRA, OpenShift AI
//! and MIG-manager objects (pure, deterministic), and [`reconcile`] makes a cluster match them with
//! server-side apply under one field manager, deleting the owned objects no longer rendered.

pub mod connect;
pub mod deploy;
pub mod discover;
pub mod listing;
pub mod object;
pub mod reconcile;
pub mod render;

pub use object::{Kind, Object, to_yaml_stream};
pub use reconcile::{Backoff, Reconciler, Report};
pub use render::{Options, Snapshot, render};
