//! Fixtures shared by the tests and benches of every crate (a dev-dependency only; nothing ships with it):
//! one day-0 instant, one seeded generator, and builders for fleets, projects, definitions and requests in
//! the style of Kueue's test wrappers (`MakeClusterQueue("cq").Cohort("c").Obj()`): start from a name,
//! chain what differs from the defaults, finish with `build()`.

mod build;

pub use build::{
    DefinitionsBuilder, FleetBuilder, ProjectBuilder, RequestBuilder, definitions, fleet, project, request,
};

use model::Instant;

/// Day 0 of every test calendar: Monday 2026-01-05T00:00:00Z.
pub const DAY0: Instant = Instant(1_767_571_200);
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

/// `hours` after [`DAY0`] (quarter hours are exact).
pub fn at(hours: f64) -> Instant {
    Instant(DAY0.0 + (hours * HOUR as f64).round() as i64)
}

/// xorshift64*: small, fast and the same on every machine, so a seed names a run.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced: xorshift would stay at 0 for ever).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform enough in `0..n` for tests (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests;
