//! Availability: how many devices a project can book for a window, per window or per slot of a range, and
//! the earliest window where a request fits.

use model::{Instant, Mode, Request, Want, Window};

use crate::admit::Work;
use crate::state::Planner;
use crate::verdict::{Reason, ReasonCode};

/// Availability is counted up to this many devices.
pub const MAX_COUNTED: u32 = 1024;

impl Planner {
    /// How many devices of what `req` asks for (its count aside) could be booked for its whole window:
    /// booking that many succeeds and one more fails (PRODUCT.md invariant 4), at once or one device at a
    /// time, because all take the same single-device steps and each step on the overlay decides what it
    /// would once the earlier devices were booked (`docs/design/0001-planner.md`). Counted no further than
    /// the project's maximum devices per request.
    pub fn availability(&self, req: &Request, now: Instant) -> Result<u32, Vec<Reason>> {
        self.availability_up_to(req, now, MAX_COUNTED)
    }

    /// [`Self::availability`], counting no further than `cap` (a calendar that shows "50+" need not count
    /// a thousand free slices): at most `cap` + 1 single-device steps, each bounded as admitting one device
    /// is.
    pub fn availability_up_to(&self, req: &Request, now: Instant, cap: u32) -> Result<u32, Vec<Reason>> {
        let ctx = self.context(&Request { count: 1, ..req.clone() }, now)?;
        let cap = self.defs.projects[&req.project].limits.max_devices.unwrap_or(MAX_COUNTED).min(MAX_COUNTED).min(cap);
        let mut work = Work::default();
        let mut k = 0;
        while k < cap && self.place_one(&ctx, &mut work, now).is_ok() {
            k += 1;
        }
        Ok(k)
    }

    /// Availability for each `step_s`-long slot of `range` (slots already over count as 0).
    pub fn availability_slots(
        &self,
        project: &str,
        want: &Want,
        range: Window,
        step_s: i64,
        mode: Mode,
        now: Instant,
    ) -> Result<Vec<(Window, u32)>, Vec<Reason>> {
        self.availability_slots_up_to(project, want, range, (step_s, MAX_COUNTED), mode, now)
    }

    /// [`Self::availability_slots`] with `(step_s, cap)`: each slot counted no further than `cap`.
    pub fn availability_slots_up_to(
        &self,
        project: &str,
        want: &Want,
        range: Window,
        (step_s, cap): (i64, u32),
        mode: Mode,
        now: Instant,
    ) -> Result<Vec<(Window, u32)>, Vec<Reason>> {
        let q = self.config.quantum_s;
        if step_s <= 0 || step_s % q != 0 {
            return Err(vec![Reason::new(
                ReasonCode::BadStep,
                format!("the step must be a multiple of {} minutes", q / 60),
            )]);
        }
        let mut out = Vec::new();
        let mut t = range.start;
        while t < range.end {
            let slot = Window { start: t, end: t.plus(step_s).min(range.end) };
            let n = if slot.end <= now.floor(q) {
                0
            } else {
                let window = Window { start: slot.start.max(now.floor(q)), end: slot.end };
                let req = Request {
                    project: project.into(),
                    owner: String::new(),
                    want: want.clone(),
                    count: 1,
                    window,
                    mode,
                    priority: None,
                };
                self.availability_up_to(&req, now, cap).unwrap_or(0)
            };
            out.push((slot, n));
            t = t.plus(step_s);
        }
        Ok(out)
    }

    /// The first window of the request's duration, at or after its start, where it fits: "the first 4-hour
    /// window in the next 7 days where 2 × gpu-medium fit for team-a".
    pub fn earliest_window(&self, req: &Request, now: Instant) -> Result<Option<Window>, Vec<Reason>> {
        let ctx = self.context(req, now)?;
        if self.place_all(&ctx, req.count, now).is_ok() {
            return Ok(Some(req.window));
        }
        Ok(self.earliest_start(&ctx, req.count, now).map(|t| req.window.moved_to(t)))
    }
}
