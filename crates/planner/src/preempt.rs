//! Reclaim: a reserved booking within its project's nominal quota may preempt opportunistic bookings.
//! Computing the victims (here) is separate from evicting them (`Planner::book` commits the decision),
//! as in Kueue's `GetTargets` and `IssuePreemptions`.

use std::cmp::Reverse;

use model::{Booking, BookingId, Instant, Mode, Shape};

use crate::admit::{Ctx, NEW, Work};
use crate::state::Planner;
use crate::verdict::ReasonCode;

impl Planner {
    /// Opportunistic bookings that may give way to the request, in the order Kueue would pick them: not yet
    /// started before running, lowest priority, the project with the largest dominant-resource share, newest. Other
    /// projects' bookings are reclaimed when their project borrows, whatever their priority
    /// (`reclaimWithinCohort: Any`); the project's own only at a lower priority (`withinClusterQueue:
    /// LowerPriority`).
    fn candidates(&self, shape: &Shape, ctx: &Ctx, work: &Work, now: Instant) -> Vec<&Booking> {
        let pool = self.ledger.terms(&ctx.project, &shape.key.model).map(|t| t.pool.clone());
        let mut out: Vec<(&Booking, f64)> = self
            .opportunistic
            .iter()
            .map(|id| &self.bookings[id])
            .filter(|b| b.holds() && b.request.mode == Mode::Opportunistic && b.id != NEW)
            .filter(|b| b.window().overlaps(&ctx.window) && !work.victims.contains(&b.id))
            .filter(|b| b.devices.iter().any(|d| d.shape.model == shape.key.model))
            .filter_map(|b| {
                let same_pool = self.ledger.terms(&b.request.project, &shape.key.model).map(|t| t.pool.clone()) == pool;
                let own = b.request.project == ctx.project && b.priority < ctx.priority;
                let share = self.dominant_share(b, ctx, work);
                let other = b.request.project != ctx.project && same_pool && share > 0.0;
                (own || other).then_some((b, share))
            })
            .collect();
        out.sort_by(|(a, sa), (b, sb)| {
            (a.started(now), a.priority)
                .cmp(&(b.started(now), b.priority))
                .then(sb.total_cmp(sa))
                .then(Reverse((a.created, a.id)).cmp(&Reverse((b.created, b.id))))
        });
        out.into_iter().map(|(b, _)| b).collect()
    }

    /// The booking's project's dominant-resource share while both windows overlap, as Kueue's fair sharing
    /// computes it: for each GPU model the project has quota for (a resource), its peak usage beyond
    /// nominal over what its cohort pool can lend of that model, per mille; the largest of these. Usage
    /// counts the decision under way (its devices so far, the victims it reclaimed already): a project that
    /// no longer borrows once one of its bookings is reclaimed has none of its others reclaimed, as when the
    /// devices are booked one by one (invariant 4).
    fn dominant_share(&self, b: &Booking, ctx: &Ctx, work: &Work) -> f64 {
        let Ok(overlap) =
            model::Window::new(b.window().start.max(ctx.window.start), b.window().end.min(ctx.window.end))
        else {
            return 0.0;
        };
        let project = &b.request.project;
        self.ledger
            .terms_of(project)
            .map(|(m, t)| {
                let borrowed = (self.ledger.usage_peak(project, m, overlap, &work.changes) - t.nominal).max(0);
                (borrowed * 1000) as f64 / self.ledger.pool_capacity(&t.pool).max(1) as f64
            })
            .fold(0.0, f64::max)
    }

    /// `work` with the victims' devices taken off, wherever the decision has them (a victim may be a
    /// booking it moved), and their quota released.
    fn without(&self, work: &Work, victims: &[BookingId]) -> Work {
        let mut trial = work.clone();
        for v in victims {
            let b = &self.bookings[v];
            for (i, d) in b.devices.iter().enumerate() {
                let i = i as u16;
                trial.added.retain(|(_, r)| (r.booking, r.device) != (*v, i));
                trial.moves.retain(|m| (m.booking, m.device) != (*v, i));
                trial.removed.insert((*v, i));
                trial.changes.push(self.change(b, &d.shape, -1));
            }
            trial.victims.push(*v);
        }
        trial
    }

    /// One device of `shape` placed on `work` with these victims gone, if that is enough.
    fn try_with(&self, shape: &Shape, ctx: &Ctx, work: &Work, victims: &[BookingId], now: Instant) -> Option<Work> {
        let mut trial = self.without(work, victims);
        let change = Self::device_change(ctx, shape);
        let borrowing = self.ledger.check(&change, &trial.changes).ok()?;
        let found = self.find_slot(shape, ctx.window, NEW, trial.devices.len() as u16, &trial, now)?;
        self.take(&mut trial, found, change, borrowing);
        Some(trial)
    }

    /// The smallest prefix of the candidates that makes room, then pruned of victims it does not need.
    pub(crate) fn preempt(&self, shape: &Shape, ctx: &Ctx, work: &Work, now: Instant) -> Option<Work> {
        // A reserved booking beyond nominal (or its borrowing limit) is not entitled to reclaim anything.
        if let Err(r) = self.ledger.check(&Self::device_change(ctx, shape), &work.changes)
            && r.code != ReasonCode::CohortExhausted
        {
            return None;
        }
        let mut chosen: Vec<BookingId> = Vec::new();
        let mut fits = false;
        for b in self.candidates(shape, ctx, work, now) {
            chosen.push(b.id);
            if self.try_with(shape, ctx, work, &chosen, now).is_some() {
                fits = true;
                break;
            }
        }
        if !fits {
            return None;
        }
        for i in (0..chosen.len()).rev() {
            let mut fewer = chosen.clone();
            fewer.remove(i);
            if self.try_with(shape, ctx, work, &fewer, now).is_some() {
                chosen = fewer;
            }
        }
        self.try_with(shape, ctx, work, &chosen, now)
    }
}
