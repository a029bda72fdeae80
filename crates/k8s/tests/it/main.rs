//! Integration tests of the k8s crate: rendered objects (snapshots, lifecycle, schemas) and the reconciler
//! against a mock API server.

mod chart;
mod fixture;
mod reconcile;
mod render;
mod schemas;
