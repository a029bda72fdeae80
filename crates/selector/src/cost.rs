//! Static checks of a parsed selector: bracket nesting, unsupported functions, an upper bound on its cost,
//! and the attribute domains it names.

use std::collections::BTreeSet;

use kube_cel::cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};

use crate::SelectorError;

/// Kubernetes allows at most 32 attributes and capacities per device, which bounds any map we hand CEL.
const DEVICE_MAP_BOUND: u64 = 32;

/// The characters of `source` outside string literals, as CEL's lexer reads them: quotes `'` and `"`,
/// tripled or not, escapes inside them, and raw strings (`r'…'`, where a backslash escapes nothing). Where
/// the lexer could read a prefix either way this reads the string as raw, so the string ends no later than
/// the lexer's does: what follows is counted, never hidden.
fn code(source: &str) -> impl Iterator<Item = char> + '_ {
    let chars: Vec<char> = source.chars().collect();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < chars.len() {
            let c = chars[i];
            if c != '\'' && c != '"' {
                i += 1;
                return Some(c);
            }
            let raw = chars[i.saturating_sub(2)..i].iter().any(|p| matches!(p, 'r' | 'R'));
            let triple = chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c);
            i += if triple { 3 } else { 1 };
            // Skip to the end of the literal (or of the source, when it never closes).
            while i < chars.len() {
                if !raw && chars[i] == '\\' {
                    i += 2;
                } else if chars[i] == c && (!triple || (chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c))) {
                    i += if triple { 3 } else { 1 };
                    break;
                } else {
                    i += 1;
                }
            }
        }
        None
    })
}

/// Deepest nesting of `(`, `[` and `{` outside string literals.
pub(crate) fn nesting(source: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in code(source) {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Characters outside string literals that can each add a level to the syntax tree without a bracket:
/// member selection, indexing, and every operator character.
pub(crate) fn operators(source: &str) -> usize {
    code(source)
        .filter(|c| {
            matches!(c, '.' | '[' | '!' | '-' | '+' | '*' | '/' | '%' | '<' | '>' | '=' | '&' | '|' | '?' | ':')
        })
        .count()
}

fn children(e: &IdedExpr) -> Vec<&IdedExpr> {
    match &e.expr {
        Expr::Call(c) => c.target.iter().map(|t| t.as_ref()).chain(c.args.iter()).collect(),
        Expr::Comprehension(c) => vec![&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result],
        Expr::List(l) => l.elements.iter().collect(),
        Expr::Map(m) => m
            .entries
            .iter()
            .flat_map(|e| match &e.expr {
                EntryExpr::MapEntry(m) => vec![&m.key, &m.value],
                EntryExpr::StructField(f) => vec![&f.value],
            })
            .collect(),
        Expr::Struct(s) => s
            .entries
            .iter()
            .filter_map(|e| match &e.expr {
                EntryExpr::StructField(f) => Some(&f.value),
                EntryExpr::MapEntry(_) => None,
            })
            .collect(),
        Expr::Select(s) => vec![s.operand.as_ref()],
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => vec![],
    }
}

/// Refuses what cel-rust would get wrong rather than evaluate differently from Kubernetes.
pub(crate) fn check_supported(e: &IdedExpr) -> Result<(), SelectorError> {
    if let Expr::Call(c) = &e.expr {
        let on_cel = matches!(c.target.as_deref().map(|t| &t.expr), Some(Expr::Ident(i)) if i == "cel");
        if c.func_name == "cel.bind" || (c.func_name == "bind" && on_cel) {
            return Err(SelectorError::Unsupported {
                what: "cel.bind".into(),
                hint: "write the bound expression out where it is used".into(),
            });
        }
    }
    children(e).into_iter().try_for_each(check_supported)
}

/// An upper bound on evaluation steps: every node costs one per time it can run, and a comprehension runs
/// its body once per element of its range (list literals by their length, device maps by 32, anything else
/// by the expression's length, which bounds what a string function can produce from the literals in it).
pub(crate) fn estimate(e: &IdedExpr, unknown_bound: u64) -> u64 {
    cost(e, 1, unknown_bound)
}

fn cost(e: &IdedExpr, times: u64, unknown: u64) -> u64 {
    let own = times;
    let rest: u64 = match &e.expr {
        Expr::Comprehension(c) => {
            let n = match &c.iter_range.expr {
                Expr::List(l) => l.elements.len() as u64,
                Expr::Map(m) => m.entries.len() as u64,
                Expr::Select(_) | Expr::Call(_) if names_device(&c.iter_range) => DEVICE_MAP_BOUND,
                _ => unknown,
            };
            let inner = times.saturating_mul(n.max(1));
            cost(&c.iter_range, times, unknown)
                .saturating_add(cost(&c.accu_init, times, unknown))
                .saturating_add(cost(&c.loop_cond, inner, unknown))
                .saturating_add(cost(&c.loop_step, inner, unknown))
                .saturating_add(cost(&c.result, times, unknown))
        }
        _ => children(e).into_iter().map(|c| cost(c, times, unknown)).fold(0, u64::saturating_add),
    };
    own.saturating_add(rest)
}

fn names_device(e: &IdedExpr) -> bool {
    matches!(&e.expr, Expr::Ident(i) if i == "device") || children(e).into_iter().any(names_device)
}

/// Domains named as `device.attributes['d']` or `device.capacity['d']`.
pub(crate) fn domains(e: &IdedExpr) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    collect_domains(e, &mut out);
    out
}

fn collect_domains(e: &IdedExpr, out: &mut BTreeSet<String>) {
    if let Expr::Call(c) = &e.expr
        && c.func_name == "_[_]"
        && let [map, key] = c.args.as_slice()
        && let Expr::Literal(LiteralValue::String(domain)) = &key.expr
        && is_device_map(map)
    {
        out.insert(domain.to_string());
    }
    for c in children(e) {
        collect_domains(c, out);
    }
}

/// `device.attributes` or `device.capacity`.
fn is_device_map(e: &IdedExpr) -> bool {
    matches!(&e.expr, Expr::Select(s)
        if (s.field == "attributes" || s.field == "capacity")
            && matches!(&s.operand.expr, Expr::Ident(i) if i == "device"))
}
