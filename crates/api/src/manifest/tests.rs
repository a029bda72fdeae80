use model::{Catalog, Reconfiguration, Slices};

use super::*;

fn defs(text: &str) -> Result<(model::Definitions, Vec<String>), ManifestError> {
    let docs = parse_manifests("fleet.yaml", text)?;
    resolve(&docs, &Catalog::builtin())
}

fn err(text: &str) -> ManifestError {
    defs(text).expect_err("should be refused")
}

const NODE: &str =
    "kind: Node\nname: node-a\ngpus:\n  - model: H100-80GB\n    count: 2\n    reconfiguration: dynamic\n";

#[test]
fn the_product_brief_example_resolves() {
    let text = format!(
        "{NODE}---\nkind: Size\nname: gpu-small\nselector: \"device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('20Gi')) >= 0\"\n\
         ---\nkind: Cohort\nname: research\n---\nkind: Project\nname: team-a\nnamespace: team-a\ncohort: research\npriority: 0\n\
         quota:\n  - {{model: H100-80GB, nominal: 1, borrowingLimit: 1, lendingLimit: 0}}\nsizes: [gpu-small]\n"
    );
    let (d, warnings) = defs(&text).unwrap();
    assert_eq!(d.fleet.gpus().count(), 2);
    assert!(d.fleet.gpus().all(|g| g.reconfiguration == Reconfiguration::Dynamic && g.layout.is_none()));
    let q = &d.projects["team-a"].quotas[&model::ModelKey("H100-80GB".into())];
    assert_eq!((q.nominal, q.borrowing_limit, q.lending_limit), (Slices(8), Some(Slices(8)), Some(Slices(0))));
    assert_eq!(d.sizes.len(), 3, "gpu-small replaced the default, medium and large stay");
    assert!(d.sizes["gpu-small"].shapes.iter().any(|s| s.to_string() == "H100-80GB/3g.40gb"));
    assert!(!d.sizes["gpu-small"].shapes.iter().any(|s| s.to_string() == "H100-80GB/2g.20gb"), "19.62 GiB < 20Gi");
    assert!(warnings.is_empty(), "memory exists on every shape, so nothing fails: {warnings:?}");
}

#[test]
fn the_demo_resolves_with_every_reconfiguration_mode() {
    let d = crate::demo::definitions(&Catalog::builtin()).unwrap();
    let modes: std::collections::BTreeSet<_> = d.fleet.gpus().map(|g| g.reconfiguration).collect();
    assert_eq!(modes.len(), 3);
    let models: std::collections::BTreeSet<_> = d.fleet.gpus().map(|g| g.model.to_string()).collect();
    assert!(models.len() >= 4, "{models:?}");
    assert!(d.sizes.contains_key("gpu-tiny") && d.sizes.contains_key("gpu-large"));
    assert_eq!(d.projects.len(), 4);
}

#[test]
fn gpu_lists_and_layouts_in_every_spelling() {
    let text = "kind: Node\nname: n\ngpus:\n  - model: H100-80GB\n    devices: [{index: 3, uuid: GPU-a}, {index: 5}]\n    layout: all-balanced\n  \
                - model: H100-80GB\n    count: 1\n    layout: \"4g.40gb@0 3g.40gb@4\"\n  \
                - model: A30-24GB\n    count: 1\n    reconfiguration: static\n    layout: [{profile: 2g.12gb, start: 2}]\n";
    let (d, _) = defs(text).unwrap();
    let ids: Vec<String> = d.fleet.gpus().map(|g| g.id.to_string()).collect();
    assert_eq!(ids, ["n/3", "n/5", "n/6", "n/7"], "count continues after the highest listed index");
    assert!(d.fleet.gpus().all(|g| g.layout.is_some()));
    assert_eq!(d.fleet.gpus().next().unwrap().uuid.as_deref(), Some("GPU-a"));
    assert_eq!(d.fleet.gpus().nth(2).unwrap().reconfiguration, Reconfiguration::PerGpu, "default for MIG GPUs");
}

fn check(text: &str, document: usize, object: Option<&str>, field: &str, reason: &str) {
    let e = err(text);
    assert_eq!(e.file, "fleet.yaml");
    assert_eq!(e.document, document, "{e}");
    assert_eq!(e.object.as_deref(), object, "{e}");
    assert_eq!(e.field, field, "{e}");
    assert!(e.reason.contains(reason), "{e}");
}

#[test]
fn bad_documents_name_the_document_field_and_reason() {
    let n = Some("Node node-a");
    check(&format!("{NODE}---\nkind: Pod\nname: x\n"), 2, None, "kind", "\"Pod\" is not one of");
    check("name: x\n", 1, None, "kind", "is missing");
    check("- a\n- b\n", 1, None, "", "must be a mapping");
    check("kind: Node\nname: n\ncolour: red\n", 1, None, "colour", "unknown field `colour`");
    check(
        "kind: Node\nname: n\ngpus:\n  - model: H100-80GB\n    count: 1\n    colour: red\n",
        1,
        None,
        "gpus[0].colour",
        "unknown field `colour`",
    );
    check(
        "kind: Node\nname: n\ngpus:\n  - model: H100-80GB\n    count: two\n",
        1,
        None,
        "gpus[0].count",
        "invalid type",
    );
    check("apiVersion: v1\nkind: Node\nname: n\n", 1, None, "apiVersion", "gpubook/v1");
    check("kind: Node\nname: n\n: :\n", 1, None, "", "not valid YAML");
    check(&NODE.replace("H100-80GB", "H100"), 1, n, "gpus[0].model", "unknown GPU model \"H100\"");
    check(
        &NODE.replace("dynamic", "sometimes"),
        1,
        n,
        "gpus[0].reconfiguration",
        "not one of dynamic, per-gpu, static",
    );
    check(&NODE.replace("count: 2", "count: 0"), 1, n, "gpus[0].count", "at least 1");
    check(&format!("{NODE}    layout: \"3g.40gb@4 1g.10gb@5\"\n"), 1, n, "gpus[0].layout", "overlap on units [5]");
    check(&format!("{NODE}    layout: \"2g.20gb@6\"\n"), 1, n, "gpus[0].layout", "cannot start at unit 6");
    check(&format!("{NODE}    layout: all-1g.18gb\n"), 1, n, "gpus[0].layout", "not a layout name");
    check(
        "kind: Node\nname: node-a\ngpus:\n  - {model: L40S-48GB, count: 1, layout: all-enabled}\n",
        1,
        n,
        "gpus[0].layout",
        "has no MIG",
    );
    check(
        "kind: Node\nname: node-a\ngpus:\n  - {model: L40S-48GB, count: 1, reconfiguration: dynamic}\n",
        1,
        n,
        "gpus[0].reconfiguration",
        "no MIG",
    );
    check(&format!("{NODE}---\n{NODE}"), 2, n, "name", "defined twice");
    check(
        "kind: Node\nname: a\ngpus: [{model: H100-80GB, devices: [{index: 0, uuid: X}]}]\n---\nkind: Node\nname: b\ngpus: [{model: H100-80GB, devices: [{index: 0, uuid: X}]}]\n",
        2,
        Some("Node b"),
        "gpus",
        "UUID X is also GPU a/0",
    );
    check("kind: Node\nname: Node_A\n", 1, Some("Node Node_A"), "name", "lowercase");
}

#[test]
fn bad_sizes_and_projects_name_the_field() {
    let s = Some("Size s");
    check("kind: Size\nname: s\nselector: \"device.driver == \"\n", 1, s, "selector", "syntax error at line 1");
    check("kind: Size\nname: s\nselector: \"cel.bind(x, 1, x == 1)\"\n", 1, s, "selector", "cel.bind is not supported");
    check("kind: Size\nname: s\nselector: \"device.driver\"\n", 1, s, "selector", "must evaluate to a bool");
    let p = Some("Project p");
    check(
        "kind: Project\nname: p\nquota: [{model: H100-80GB, nominal: 0.3}]\n",
        1,
        p,
        "quota[0].nominal",
        "whole number of memory slices",
    );
    check(
        "kind: Project\nname: p\nquota: [{model: L40S-48GB, nominal: 1, borrowingLimit: 0.5}]\n",
        1,
        p,
        "quota[0].borrowingLimit",
        "whole number",
    );
    check(
        "kind: Project\nname: p\nquota: [{model: H100-80GB, nominal: 1}, {model: H100-80GB, nominal: 2}]\n",
        1,
        p,
        "quota[1].model",
        "two quota entries",
    );
    check(
        "kind: Project\nname: p\nquota: [{model: H100-80GB, nominal: 1, lendingLimit: 2}]\n",
        1,
        p,
        "quota[H100-80GB]",
        "lendingLimit",
    );
    check("kind: Project\nname: p\ncohort: nowhere\n", 1, p, "cohort", "no cohort named \"nowhere\"");
    check("kind: Project\nname: p\nsizes: [gpu-huge]\n", 1, p, "sizes", "no size named \"gpu-huge\"");
    check("kind: Project\nname: p\nlimits: {maxDuration: forever}\n", 1, p, "limits.maxDuration", "not a duration");
    check("kind: Project\nname: p\nlimits: {maxDevices: 0}\n", 1, p, "limits.maxDevices", "at least 1");
    check(
        "kind: Cohort\nname: a\nparent: b\n---\nkind: Cohort\nname: b\nparent: a\n",
        1,
        Some("Cohort a"),
        "parent",
        "own ancestor",
    );
}

#[test]
fn errors_read_as_one_line_with_everything_in_it() {
    let e = err(&NODE.replace("H100-80GB", "H100"));
    let line = e.to_string();
    assert!(
        line.starts_with("fleet.yaml: document 1 (Node node-a): gpus[0].model: unknown GPU model \"H100\""),
        "{line}"
    );
}

#[test]
fn a_size_sets_its_allowance_per_device_within_bounds() {
    let size = |allowance: &str| {
        format!(
            "kind: Size\nname: gpu-x\nselector: \"device.attributes['gpu.nvidia.com'].type == 'gpu'\"\nallowance: {allowance}\n"
        )
    };
    let (d, _) = defs(&size("{cpu: 12, memory: 96Gi, ephemeralStorage: \"200Gi\"}")).unwrap();
    let a = d.sizes["gpu-x"].allowance.unwrap();
    assert_eq!((a.cpu(), a.memory(), a.ephemeral()), ("12".into(), "96Gi".into(), Some("200Gi".into())));
    let (d, _) = defs(&size("{cpu: \"500m\", memory: 1.5Gi}")).unwrap();
    assert_eq!(d.sizes["gpu-x"].allowance.unwrap().cpu_milli, 500);
    assert_eq!(d.sizes["gpu-small"].allowance, None, "the default sizes scale the default per shape");
    let s = Some("Size gpu-x");
    check(&size("{cpu: 0, memory: 1Gi}"), 1, s, "allowance.cpu", "more than zero");
    check(&size("{cpu: 2000, memory: 1Gi}"), 1, s, "allowance.cpu", "more than one device may bring");
    check(&size("{cpu: 2, memory: 64GB}"), 1, s, "allowance.memory", "not a quantity");
    check(&size("{cpu: 2, memory: 17Ti}"), 1, s, "allowance.memory", "more than one device may bring");
    check(&size("{cpu: 2, memory: 100m}"), 1, s, "allowance.memory", "whole number of bytes");
    check(&size("{cpu: 2, memory: 1Gi, ephemeralStorage: -1}"), 1, s, "allowance.ephemeralStorage", "quantity");
    check(&size("{cpu: 2}"), 1, None, "allowance", "missing field `memory`");
    check(&size("{cpu: 2, memory: 1Gi, gpu: 1}"), 1, None, "allowance.gpu", "unknown field `gpu`");
}

#[test]
fn the_issues_price_list_resolves_and_bad_ones_name_the_field() {
    let text = "kind: PriceList\nname: default\ncurrency: EUR\nsliceBasis: compute\nopportunisticFactor: 0.5\n\
        rates:\n  - {model: H100-80GB, gpuHour: 2.40}\n  - {model: H100-80GB, gpuHour: 3, effectiveFrom: '2026-04-01T00:00:00+02:00'}\n\
        discounts:\n  - {project: team-x, percent: 12.5}\n";
    let p = defs(text).unwrap().0.price_list.unwrap();
    assert_eq!((p.currency.as_str(), p.slice_basis, p.opportunistic_ppm), ("EUR", model::SliceBasis::Compute, 500_000));
    let h100 = model::ModelKey("H100-80GB".into());
    assert_eq!(p.rate_at(&h100, model::Instant(0)), Some(2_400_000_000));
    assert_eq!(p.rate_at(&h100, model::Instant(1_774_994_400)), Some(3_000_000_000), "2026-03-31T22:00:00Z");
    assert_eq!(p.discount_ppm("team-x"), 125_000);

    let bad = |body: &str| err(&format!("kind: PriceList\nname: p\ncurrency: EUR\n{body}"));
    let cases = [
        ("rates:\n  - {model: Z80, gpuHour: 1}\n", "rates[0].model", "unknown GPU model"),
        ("rates:\n  - {model: H100-80GB, gpuHour: -0.5}\n", "rates[0].gpuHour", "negative"),
        ("rates:\n  - {model: H100-80GB, gpuHour: 0.0000000001}\n", "rates[0].gpuHour", "nine decimals"),
        ("rates:\n  - {model: H100-80GB, gpuHour: 2000000}\n", "rates[0].gpuHour", "more than"),
        ("rates:\n  - {model: H100-80GB, gpuHour: 1, effectiveFrom: soon}\n", "rates[0].effectiveFrom", "RFC 3339"),
        (
            "rates:\n  - {model: H100-80GB, gpuHour: 1}\n  - {model: H100-80GB, gpuHour: 2}\n",
            "rates[1].effectiveFrom",
            "two",
        ),
        ("sliceBasis: power\n", "sliceBasis", "memory or compute"),
        ("opportunisticFactor: -1\n", "opportunisticFactor", "between"),
        ("discounts:\n  - {project: a, percent: 101}\n", "discounts[0].percent", "between"),
    ];
    for (body, field, reason) in cases {
        let e = bad(body);
        assert_eq!(e.field, field, "{body}: {e}");
        assert!(e.reason.contains(reason), "{body}: {e}");
    }
    let e = err("kind: PriceList\nname: p\ncurrency: Euro\n");
    assert_eq!(e.field, "currency");
    let e = err("kind: PriceList\nname: p\ncurrency: EUR\nprices: []\n");
    assert!(e.reason.contains("unknown field"), "{e}");
}
