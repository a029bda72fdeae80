//! The `device` variable, built the way Kubernetes builds it for DRA selectors
//! (`k8s.io/dynamic-resource-allocation/cel/compile.go`): `driver`, `attributes[domain][name]` with version
//! attributes as semver values, `capacity[domain][name]` as quantities, and an empty map for a domain the
//! device does not have.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use kube_cel::KubeCelExt;
use kube_cel::cel::{Context, Program, Value};
use model::{AttrValue, DeviceView};

/// A fresh root context with the Kubernetes CEL libraries registered.
pub(crate) fn context() -> Context<'static> {
    Context::default().with_all()
}

/// Builds an opaque library value (a quantity or a semver) by calling its constructor, because the
/// library's value types are not exported.
fn construct(program: &Program, arg: String) -> Value {
    let mut ctx = context();
    ctx.add_variable_from_value("arg", arg);
    program.execute(&ctx).unwrap_or(Value::Null)
}

fn quantity(n: u64) -> Value {
    static PROGRAM: OnceLock<Program> = OnceLock::new();
    construct(PROGRAM.get_or_init(|| Program::compile("quantity(arg)").expect("valid")), n.to_string())
}

fn semver(v: &str) -> Value {
    static PROGRAM: OnceLock<Program> = OnceLock::new();
    construct(PROGRAM.get_or_init(|| Program::compile("semver(arg)").expect("valid")), v.to_string())
}

fn attr(v: &AttrValue) -> Value {
    match v {
        AttrValue::Str(s) => Value::from(s.as_str()),
        AttrValue::Int(i) => Value::Int(*i),
        AttrValue::Bool(b) => Value::Bool(*b),
        AttrValue::Version(s) => semver(s),
    }
}

fn domain_map<T>(
    by_domain: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, T>>,
    extra_domains: &BTreeSet<String>,
    convert: impl Fn(&T) -> Value,
) -> Value {
    let mut out: HashMap<String, Value> = by_domain
        .iter()
        .map(|(domain, entries)| {
            let inner: HashMap<String, Value> = entries.iter().map(|(k, v)| (k.clone(), convert(v))).collect();
            (domain.clone(), Value::from(inner))
        })
        .collect();
    for d in extra_domains {
        out.entry(d.clone()).or_insert_with(|| Value::from(HashMap::<String, Value>::new()));
    }
    Value::from(out)
}

/// The `device` value for one device view.
pub(crate) fn value(device: &DeviceView, domains: &BTreeSet<String>) -> Value {
    let mut top: HashMap<String, Value> = HashMap::new();
    top.insert("driver".into(), Value::from(device.driver.as_str()));
    top.insert("attributes".into(), domain_map(&device.attributes, domains, attr));
    top.insert("capacity".into(), domain_map(&device.capacity, domains, |n| quantity(*n)));
    Value::from(top)
}
