//! Integration tests of the k8s crate: rendered objects (snapshots, lifecycle, schemas) and the reconciler
//! against a mock API server.

mod admission;
mod chart;
mod deploy;
mod discover;
mod docs;
mod fixture;
mod kueue;
mod per_project;
mod reconcile;
mod render;
mod schemas;
