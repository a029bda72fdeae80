//! The service end to end over HTTP: every test runs on SQLite and on PostgreSQL (when `GPUBOOK_TEST_PG`
//! is set; `.ci/run` sets it).

mod authz;
mod bookings;
mod browser;
mod browser_fit;
mod browser_use;
mod console;
mod console_use;
mod definitions;
mod ending;
mod faults;
mod fit;
mod harness;
mod idempotency;
mod kubernetes;
mod listener;
mod manifests;
mod openapi;
mod queues;
mod race;
mod usage;

pub(crate) use harness::{Harness, at};

/// Runs `test` once per backend.
pub(crate) fn each_backend(test: impl Fn(Harness)) {
    for backend in store::scratch::backends() {
        test(Harness::start(backend));
    }
}
