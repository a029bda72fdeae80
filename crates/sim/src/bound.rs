//! An upper bound on the slice-hours any policy can accept: the linear-programming relaxation of
//! admission with MIG geometry, quotas and integrality dropped. Each request is accepted by a fraction, on
//! one or more of the models it can run on, using the fewest memory slices it could take there; at every
//! instant, a model's accepted slices stay within its capacity. Solved with good_lp's pure-Rust microlp.

use std::collections::{BTreeMap, BTreeSet};

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, constraint, microlp, variable};
use model::{Catalog, Definitions, ModelKey, Want};

use crate::trace::Row;

/// Traces with more requests than this get no bound (the simplex grows too slow).
pub const BOUND_MAX_REQUESTS: usize = 1500;

/// The bound in slice-hours (counted like [`crate::Report`]), or why there is none.
pub fn upper_bound(defs: &Definitions, catalog: &Catalog, rows: &[Row]) -> Result<f64, String> {
    if rows.len() > BOUND_MAX_REQUESTS {
        return Err(format!("no bound for more than {BOUND_MAX_REQUESTS} requests"));
    }
    let capacity: BTreeMap<ModelKey, f64> =
        crate::capacity(defs, catalog).into_iter().map(|(m, u)| (m, f64::from(u))).collect();
    let mut vars = ProblemVariables::new();
    // (row, model, slices per device there, the variable)
    let mut xs: Vec<(usize, ModelKey, f64, Variable)> = Vec::new();
    let mut objective = Expression::from(0.0);
    let mut per_row: Vec<Vec<Variable>> = vec![Vec::new(); rows.len()];
    for (i, r) in rows.iter().enumerate() {
        let keys: Vec<model::ShapeKey> = match &r.want {
            Want::Size(n) => defs.sizes.get(n).map(|s| s.shapes.iter().cloned().collect()).unwrap_or_default(),
            Want::Shape(k) => vec![k.clone()],
        };
        let shapes: Vec<model::Shape> =
            keys.iter().filter_map(|k| catalog.shape(k).ok()).filter(|s| capacity.contains_key(&s.key.model)).collect();
        let Some(cheapest) = shapes.iter().min_by(|a, b| a.gpu_fraction().total_cmp(&b.gpu_fraction())) else {
            continue;
        };
        let worth = f64::from(cheapest.slices.0 * r.count) * r.window.seconds() as f64 / 3600.0;
        let mut by_model: BTreeMap<ModelKey, u32> = BTreeMap::new();
        for s in &shapes {
            let e = by_model.entry(s.key.model.clone()).or_insert(s.slices.0);
            *e = (*e).min(s.slices.0);
        }
        for (m, slices) in by_model {
            let x = vars.add(variable().min(0.0).max(1.0));
            objective += worth * x;
            per_row[i].push(x);
            xs.push((i, m, f64::from(slices * r.count), x));
        }
    }
    // Capacity holds at each instant where the set of windows changes: the window starts.
    let starts: BTreeSet<i64> = rows.iter().map(|r| r.window.start.0).collect();
    let mut problem = vars.maximise(objective.clone()).using(microlp);
    for xs_row in per_row.iter().filter(|v| v.len() > 1) {
        let sum: Expression = xs_row.iter().map(|&x| Expression::from(x)).sum();
        problem = problem.with(constraint!(sum <= 1.0));
    }
    for (m, cap) in &capacity {
        for &t in &starts {
            let terms: Vec<Expression> = xs
                .iter()
                .filter(|(i, mm, _, _)| mm == m && rows[*i].window.start.0 <= t && t < rows[*i].window.end.0)
                .map(|(_, _, s, x)| *s * *x)
                .collect();
            if !terms.is_empty() {
                let used: Expression = terms.into_iter().sum();
                problem = problem.with(constraint!(used <= *cap));
            }
        }
    }
    let solution = problem.solve().map_err(|e| format!("the LP did not solve: {e}"))?;
    Ok(solution.eval(&objective))
}
