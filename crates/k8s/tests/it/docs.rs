//! docs/kubernetes.md's examples are taken from tested manifests: each YAML block after a marker
//! `<!-- example: … -->` must equal what the marker names, rendered from the test fixture (`fixture.rs`):
//!
//! - `render MODE HOUR KIND NAMESPACE/NAME [POINTER]`: the object the render gives at that hour after T0, in
//!   queue mode `per-booking` or `per-project` (a JSON pointer picks a part of it);
//! - `deploy MODE BOOKING KIND MODEL [dra] [POINTER]`: the first manifest `k8s::deploy` gives for the booking;
//! - `mappings`: a Kueue `deviceClassMappings` list, each class one the render annotates with that resource.
//!
//! The same objects are the ones the admission, schema and reconciler tests check. `GPUBOOK_UPDATE_DOCS=1`
//! rewrites the blocks from the markers instead of comparing.

use std::path::Path;

use k8s::deploy::{DeployRequest, WorkloadKind};
use k8s::render::QueueMode;
use k8s::{Kind, Options, render};
use serde_json::Value;

use crate::fixture::{at, booked};

const MARKER: &str = "<!-- example: ";

fn mode(s: &str) -> QueueMode {
    QueueMode::parse(s).unwrap_or_else(|| panic!("queue mode {s:?}"))
}

fn pick(v: Value, pointer: Option<&&str>) -> Value {
    match pointer {
        Some(p) => v.pointer(p).unwrap_or_else(|| panic!("{p} is not in {v}")).clone(),
        None => v,
    }
}

/// What a marker names.
fn expected(marker: &str) -> Value {
    let words: Vec<&str> = marker.split_whitespace().collect();
    match words.as_slice() {
        ["render", queues, hour, kind, path, pointer @ ..] => {
            let opts = Options { queues: mode(queues), ..Options::default() };
            let kind = Kind::parse(kind).unwrap_or_else(|| panic!("kind {kind}"));
            let (ns, name) = path.split_once('/').map_or((None, *path), |(ns, n)| (Some(ns), n));
            let objects = render(&booked(), at(hour.parse().expect("an hour")), &opts);
            let o = objects
                .into_iter()
                .find(|o| o.kind == kind && o.namespace.as_deref() == ns && o.name == name)
                .unwrap_or_else(|| panic!("{marker}: not rendered"));
            pick(o.body, pointer.first())
        }
        ["deploy", queues, booking, kind, model, rest @ ..] => {
            let dra = rest.first() == Some(&"dra");
            let pointer = if dra { rest.get(1) } else { rest.first() };
            let (p, _, _) = crate::deploy::with_whole_gpus();
            let id = p.bookings().find(|b| b.id.to_string() == *booking).expect("the booking").id;
            let kind = WorkloadKind::parse(kind).expect("a workload kind");
            let req = DeployRequest { kind, model: model.to_string(), image: None, dra, queues: mode(queues) };
            let manifests = crate::deploy::deploy(&p, id, &req).unwrap_or_else(|e| panic!("{marker}: {e}"));
            pick(manifests[0].clone(), pointer)
        }
        ["mappings"] => Value::Null,
        _ => panic!("unknown example marker {marker:?}"),
    }
}

/// Each class of a `deviceClassMappings` list is rendered and annotated with the resource it is mapped to.
fn check_mappings(block: &Value) {
    let objects = render(&booked(), at(1.5), &Options::default());
    let mappings = block["resources"]["deviceClassMappings"].as_array().expect("resources.deviceClassMappings");
    assert!(!mappings.is_empty());
    for m in mappings {
        for class in m["deviceClassNames"].as_array().unwrap() {
            let o = objects
                .iter()
                .find(|o| o.kind == Kind::DeviceClass && o.name == class.as_str().unwrap())
                .unwrap_or_else(|| panic!("DeviceClass {class} is not rendered"));
            assert_eq!(o.body["metadata"]["annotations"]["gpubook.io/quota-resource"], m["name"], "{class}");
        }
    }
}

#[test]
fn the_examples_in_docs_kubernetes_md_are_rendered_manifests() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/kubernetes.md");
    let text = std::fs::read_to_string(&path).expect("docs/kubernetes.md");
    let update = std::env::var_os("GPUBOOK_UPDATE_DOCS").is_some();
    let mut out = String::new();
    let mut lines = text.split_inclusive('\n').peekable();
    let mut checked = 0;
    while let Some(line) = lines.next() {
        out.push_str(line);
        let Some(marker) = line.trim().strip_prefix(MARKER).and_then(|m| m.strip_suffix("-->")) else { continue };
        let fence = lines.next().expect("a block after the marker");
        assert!(fence.trim_start().starts_with("```yaml"), "{marker}: a ```yaml block follows, not {fence:?}");
        out.push_str(fence);
        let indent = &fence[..fence.len() - fence.trim_start().len()];
        let mut block = String::new();
        for l in lines.by_ref() {
            if l.trim() == "```" {
                let want = expected(marker.trim());
                if update && !want.is_null() {
                    let yaml = serde_yaml::to_string(&want).unwrap();
                    out.extend(yaml.lines().map(|y| format!("{indent}{y}\n")));
                } else {
                    out.push_str(&block);
                    let got: Value = serde_yaml::from_str(&block).unwrap_or_else(|e| panic!("{marker}: {e}"));
                    match want.is_null() {
                        true => check_mappings(&got),
                        false => assert_eq!(
                            got,
                            want,
                            "docs/kubernetes.md, {marker}: the example differs from the manifest; it is\n{}",
                            serde_yaml::to_string(&want).unwrap()
                        ),
                    }
                }
                out.push_str(l);
                checked += 1;
                break;
            }
            block.push_str(l);
        }
    }
    if update {
        std::fs::write(&path, out).expect("docs/kubernetes.md written");
    }
    assert!(checked >= 5, "only {checked} examples are marked in docs/kubernetes.md");
}
