//! Planner scenarios as small text files: a fleet, sizes, cohorts and projects, then requests with the
//! answer expected. Tests walk `tests/data/*.scenario`; `gpubook plan --dry-run FILE` runs one, so a user's
//! report can become a test.
//!
//! ```text
//! # 7 × 1g.10gb fit on an H100 and an 8th does not
//! node n1 H100-80GB x1 dynamic
//! project a quota=H100-80GB:1
//! book a H100-80GB/1g.10gb x7 09:00-10:00 => fits
//! book a H100-80GB/1g.10gb x1 09:00-10:00 => not-before 10:00 [no-capacity]
//! ```
//!
//! Lines: `now TIME`, `gap DURATION`, `node NAME MODEL xN MODE [layout=NAME|p@s,p@s]` (naming a node again
//! adds GPUs to it, numbered on), `size NAME CEL`,
//! `cohort NAME [parent=P]`, `project NAME [cohort=C] [prio=N] [quota=MODEL:NOMINAL[/BORROW[/LEND]]]…
//! [sizes=A,B] [max-devices=N]`, `book PROJECT SIZE|MODEL/PROFILE xN WINDOW [reserved|opportunistic]
//! [prio=N] => EXPECT`, `availability PROJECT WANT WINDOW [MODE] => N`, `earliest PROJECT WANT xN Nh from
//! TIME [MODE] => TIME|none` (the first window of that length where the request fits), `cancel bN`, `check`.
//! Times are `HH:MM` on day 0 (2026-01-05, UTC) or `dN/HH:MM`; windows are `TIME-TIME`. Expectations
//! are a verdict code (`fits`, `fits-by-borrowing`, `fits-after-preempting b2 b3`, `not-before TIME`,
//! `never`), optionally `@GPU` (every device on that GPU), `moved=N` (devices of other bookings re-placed)
//! and `[code]` (a reason with that code).
//! Bookings are numbered b1, b2, … in order.

mod parse;
mod run;

pub use run::{Outcome, run};
