//! The render: snapshots of the YAML, and the lifecycle of a booking's objects.

use k8s::{Kind, Object, Options, render, to_yaml_stream};
use serde_json::Value;

use crate::fixture::{HOUR, T0, at, booked};

fn find<'a>(objects: &'a [Object], kind: Kind, name: &str) -> Option<&'a Object> {
    objects.iter().find(|o| o.kind == kind && o.name == name)
}

fn booking_objects(objects: &[Object], id: &str) -> Vec<Kind> {
    objects.iter().filter(|o| o.body["metadata"]["labels"]["gpubook.io/booking"] == id).map(|o| o.kind).collect()
}

#[test]
fn snapshots_at_three_instants() {
    let p = booked();
    let opts = Options::default();
    insta::assert_snapshot!("hour-1.5", to_yaml_stream(&render(&p, at(1.5), &opts)));
    insta::assert_snapshot!("hour-2.05", to_yaml_stream(&render(&p, at(2.05), &opts)));
    insta::assert_snapshot!("hour-7", to_yaml_stream(&render(&p, at(7.0), &opts)));
}

#[test]
fn the_same_state_renders_the_same_objects_in_apply_order() {
    let p = booked();
    let a = render(&p, at(1.5), &Options::default());
    assert_eq!(a, render(&booked(), at(1.5), &Options::default()));
    let keys: Vec<_> = a.iter().map(Object::key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "sorted by kind, namespace, name, without duplicates");
    for o in a.iter().filter(|o| o.kind.owned()) {
        assert_eq!(o.body["metadata"]["labels"]["app.kubernetes.io/managed-by"], "gpubook", "{}", o.name);
    }
}

#[test]
fn a_bookings_objects_appear_at_its_start_drain_at_its_end_and_go_after_the_grace() {
    let p = booked();
    let opts = Options::default();
    let all = [Kind::ClusterQueue, Kind::LocalQueue, Kind::ResourceClaimTemplate, Kind::HardwareProfile];
    assert!(booking_objects(&render(&p, at(0.99), &opts), "b1").is_empty());
    let active = render(&p, at(1.0), &opts);
    assert_eq!(booking_objects(&active, "b1"), all);
    let cq = find(&active, Kind::ClusterQueue, "gpubook-b1").unwrap();
    assert_eq!(cq.body["spec"]["stopPolicy"], "None");
    assert_eq!(cq.body["spec"]["preemption"]["reclaimWithinCohort"], "Any");
    assert_eq!(cq.body["spec"]["cohortName"], "gpubook-research");
    assert_eq!(cq.body["spec"]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], "team-a");
    let quota: u64 = cq.body["spec"]["resourceGroups"][0]["flavors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["resources"].as_array().unwrap())
        .map(|r| r["nominalQuota"].as_u64().unwrap())
        .sum();
    assert_eq!(quota, 2, "nominal quota is the booked count");

    let ended = render(&p, at(5.0), &opts);
    assert_eq!(booking_objects(&ended, "b1"), all);
    assert_eq!(find(&ended, Kind::ClusterQueue, "gpubook-b1").unwrap().body["spec"]["stopPolicy"], "HoldAndDrain");
    let after_grace = render(&p, model::Instant(at(5.0).0 + opts.grace_s), &opts);
    assert!(booking_objects(&after_grace, "b1").is_empty());
}

#[test]
fn a_cancelled_booking_drains_from_when_it_was_cancelled() {
    let p = booked();
    let opts = Options { grace_s: 300, ..Options::default() };
    let cq = |t: model::Instant| {
        render(&p, t, &opts).into_iter().find(|o| o.name == "gpubook-b5" && o.kind == Kind::ClusterQueue)
    };
    assert_eq!(cq(at(1.5)).unwrap().body["spec"]["stopPolicy"], "None");
    assert_eq!(cq(at(2.0)).unwrap().body["spec"]["stopPolicy"], "HoldAndDrain");
    assert!(cq(model::Instant(T0 + 2 * HOUR + 300)).is_none());
}

#[test]
fn opportunistic_bookings_reclaim_from_lower_priorities_only_and_no_booking_borrows() {
    let objects = render(&booked(), at(1.5), &Options::default());
    let cq = find(&objects, Kind::ClusterQueue, "gpubook-b3").unwrap();
    assert_eq!(cq.body["spec"]["preemption"]["reclaimWithinCohort"], "LowerPriority");
    for o in objects.iter().filter(|o| o.kind == Kind::ClusterQueue && o.name != "gpubook-shared") {
        for f in o.body["spec"]["resourceGroups"][0]["flavors"].as_array().unwrap() {
            for r in f["resources"].as_array().unwrap() {
                assert_eq!(r["borrowingLimit"], 0, "{} may not borrow", o.name);
            }
        }
    }
}

/// Per flavor and resource: the shared queue's quota plus the active bookings' is every instance that exists.
#[test]
fn the_shared_queue_holds_exactly_what_no_active_booking_holds() {
    let objects = render(&booked(), at(1.5), &Options::default());
    let quota = |o: &Object, flavor: &str, resource: &str| -> u64 {
        let flavors = o.body["spec"]["resourceGroups"][0]["flavors"].as_array().cloned().unwrap_or_default();
        flavors
            .iter()
            .filter(|f| f["name"] == flavor)
            .flat_map(|f| f["resources"].as_array().cloned().unwrap_or_default())
            .filter(|r| r["name"] == resource)
            .map(|r| r["nominalQuota"].as_u64().unwrap())
            .sum()
    };
    let total = |flavor: &str, resource: &str| -> u64 {
        objects.iter().filter(|o| o.kind == Kind::ClusterQueue).map(|o| quota(o, flavor, resource)).sum()
    };
    // Two static A100s of 7 × 1g.10gb; b4 holds one of them.
    let shared = find(&objects, Kind::ClusterQueue, "gpubook-shared").unwrap();
    assert_eq!(quota(shared, "gpubook-a100-80gb", "nvidia.com/mig-1g.10gb"), 13);
    assert_eq!(total("gpubook-a100-80gb", "nvidia.com/mig-1g.10gb"), 14);
    // Four L40S whole GPUs, none booked.
    assert_eq!(quota(shared, "gpubook-l40s-48gb", "nvidia.com/gpu"), 4);
    // Four dynamic H100s: whole and shared when nothing is held on them; b3 holds one whole.
    let p = booked();
    let busy: std::collections::BTreeSet<_> = p
        .bookings()
        .filter(|b| b.holds() && b.window().contains(at(1.5)))
        .flat_map(|b| b.devices.iter().filter(|d| d.gpu.node == "dgx-h100-a").map(|d| d.gpu.clone()))
        .collect();
    assert_eq!(quota(shared, "gpubook-h100-80gb", "nvidia.com/gpu"), 4 - busy.len() as u64);
    assert_eq!(total("gpubook-h100-80gb", "nvidia.com/gpu"), 4 - busy.len() as u64 + 1);
}

#[test]
fn per_gpu_layouts_are_labelled_ahead_of_the_window_that_needs_them() {
    let p = booked();
    let b2 = p.booking(model::BookingId(2)).unwrap();
    let gpu = b2.devices[0].gpu.clone();
    let config_of = |t: model::Instant| -> Value {
        let objects = render(&p, t, &Options::default());
        let node = find(&objects, Kind::Node, &gpu.node).expect("the node is labelled");
        let name = node.body["metadata"]["labels"]["nvidia.com/mig.config"].as_str().unwrap().to_string();
        let map = find(&objects, Kind::ConfigMap, "gpubook-mig-parted-config").unwrap();
        let file: Value = serde_yaml::from_str(map.body["data"]["config.yaml"].as_str().unwrap()).unwrap();
        let entries = file["mig-configs"][&name].as_array().unwrap().clone();
        entries.into_iter().find(|e| e["devices"][0] == gpu.index).unwrap()
    };
    // Hour 1.5: b2 starts at hour 2 and the GPU is idle, so its layout is already the epoch's.
    for t in [at(1.5), at(3.0)] {
        let e = config_of(t);
        assert_eq!(e["mig-enabled"], true);
        assert!(e["mig-devices"]["3g.71gb"].as_u64().unwrap() >= 1, "{e}");
    }
}

#[test]
fn skipped_kinds_are_not_rendered() {
    let opts = Options { skip: [Kind::HardwareProfile, Kind::Node].into(), ..Options::default() };
    let objects = render(&booked(), at(1.5), &opts);
    assert!(objects.iter().all(|o| o.kind != Kind::HardwareProfile && o.kind != Kind::Node));
    assert!(objects.iter().any(|o| o.kind == Kind::ConfigMap));
}

/// Bookings that need more 3g.71gb instances than the declared layouts have: the plan gives each GPU its
/// epoch's layout ahead of the window and the declared one again once the last epoch is over.
#[test]
fn a_per_gpu_gpu_is_reconfigured_for_its_epoch_and_back_after() {
    let mut p = booked();
    let id = crate::fixture::book(&mut p, "inference", "H200-141GB/3g.71gb", 2, 3.0, 6.0, model::Mode::Reserved);
    let entry = |t: model::Instant, gpu: &model::GpuId| -> Value {
        let objects = render(&p, t, &Options::default());
        let node = find(&objects, Kind::Node, &gpu.node).unwrap();
        let name = node.body["metadata"]["labels"]["nvidia.com/mig.config"].as_str().unwrap().to_string();
        let map = find(&objects, Kind::ConfigMap, "gpubook-mig-parted-config").unwrap();
        let file: Value = serde_yaml::from_str(map.body["data"]["config.yaml"].as_str().unwrap()).unwrap();
        file["mig-configs"][&name].as_array().unwrap().iter().find(|e| e["devices"][0] == gpu.index).unwrap().clone()
    };
    let gpus: std::collections::BTreeSet<_> = p.booking(id).unwrap().devices.iter().map(|d| d.gpu.clone()).collect();
    let mut changed = false;
    for gpu in &gpus {
        let needed = p
            .bookings()
            .filter(|b| b.holds() && b.window().overlaps(&model::Window::new(at(3.0), at(6.0)).unwrap()))
            .flat_map(|b| &b.devices)
            .filter(|d| &d.gpu == gpu && d.shape.profile.as_deref() == Some("3g.71gb"))
            .count() as u64;
        for t in [at(1.0), at(3.0), at(5.9)] {
            let e = entry(t, gpu);
            assert_eq!(e["mig-enabled"], true, "at {t}");
            assert!(e["mig-devices"]["3g.71gb"].as_u64().unwrap() >= needed, "{gpu} at {t}: {e}");
        }
        let declared = p.definitions().fleet.gpu(gpu).unwrap().layout.clone();
        let after = entry(at(6.0), gpu);
        assert_eq!(after["mig-enabled"], declared.is_some());
        changed |= after != entry(at(3.0), gpu);
    }
    assert!(changed, "some GPU runs another layout than its declared one for the epoch");
}

/// Each quota-resource DeviceClass selects, by the planner's own CEL evaluation over the catalog's shapes,
/// exactly the shapes whose extended resource it is annotated with; and every claim request uses one.
#[test]
fn resource_classes_select_exactly_their_resource() {
    let p = booked();
    let objects = render(&p, at(1.5), &Options::default());
    let classes: Vec<&Object> =
        objects.iter().filter(|o| o.kind == Kind::DeviceClass && o.name.ends_with(".gpubook.io")).collect();
    assert!(classes.len() > 10, "{}", classes.len());
    let models: std::collections::BTreeSet<_> = p.definitions().fleet.gpus().map(|g| g.model.clone()).collect();
    for c in &classes {
        let resource = c.body["metadata"]["annotations"]["gpubook.io/quota-resource"].as_str().unwrap();
        let expr = c.body["spec"]["selectors"][0]["cel"]["expression"].as_str().unwrap();
        let matched = selector::resolve_size("class", None, expr, p.catalog()).unwrap().size.shapes;
        let expected: std::collections::BTreeSet<model::ShapeKey> = p
            .catalog()
            .shapes()
            .into_iter()
            .map(|s| s.key)
            .filter(|k| {
                let r = k
                    .profile
                    .as_ref()
                    .map_or("nvidia.com/gpu".to_string(), |p| format!("nvidia.com/mig-{}", p.replace('+', ".")));
                r == resource
            })
            .collect();
        assert_eq!(matched, expected, "{}", c.name);
        assert!(matched.iter().any(|k| models.contains(&k.model)), "{} is a resource of the fleet", c.name);
    }
    let names: std::collections::BTreeSet<&str> = classes.iter().map(|c| c.name.as_str()).collect();
    for rct in objects.iter().filter(|o| o.kind == Kind::ResourceClaimTemplate) {
        for r in rct.body["spec"]["spec"]["devices"]["requests"].as_array().unwrap() {
            assert!(names.contains(r["exactly"]["deviceClassName"].as_str().unwrap()), "{r}");
        }
    }
}

/// The resource group of a ClusterQueue that covers `resource`, as (flavor, nominal) pairs.
fn quota_of(cq: &Object, resource: &str) -> Vec<(String, String)> {
    let groups = cq.body["spec"]["resourceGroups"].as_array().unwrap();
    let group = groups.iter().find(|g| g["coveredResources"].as_array().unwrap().iter().any(|r| r == resource));
    let Some(group) = group else { return Vec::new() };
    group["flavors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            f["resources"].as_array().unwrap().iter().filter(|r| r["name"] == resource).map(|r| {
                let q = &r["nominalQuota"];
                (f["name"].as_str().unwrap().to_string(), q.as_str().map_or_else(|| q.to_string(), str::to_string))
            })
        })
        .collect()
}

#[test]
fn a_bookings_queue_covers_the_cpu_and_memory_its_devices_bring() {
    let objects = render(&booked(), at(2.5), &Options::default());
    let cq = |name: &str| find(&objects, Kind::ClusterQueue, name).unwrap();
    // b1: 2 × gpu-small placed as H100 1g.20gb (2 of 8 slices): 2 × (2 cpu, 16Gi) by default.
    assert_eq!(quota_of(cq("gpubook-b1"), "cpu"), [("gpubook-default".to_string(), "4".to_string())]);
    assert_eq!(quota_of(cq("gpubook-b1"), "memory"), [("gpubook-default".to_string(), "32Gi".to_string())]);
    assert!(quota_of(cq("gpubook-b1"), "ephemeral-storage").is_empty(), "covered only when a size sets it");
    // b3: a whole H100, opportunistic: 8 cpu, 64Gi.
    assert_eq!(quota_of(cq("gpubook-b3"), "cpu"), [("gpubook-default".to_string(), "8".to_string())]);
    let flavor = find(&objects, Kind::ResourceFlavor, "gpubook-default").unwrap();
    assert_eq!(flavor.body["spec"], serde_json::json!({}), "no node labels: cpu and memory match every node");
    let shared = cq("gpubook-shared");
    assert_eq!(quota_of(shared, "cpu").len(), 1, "the shared queue covers cpu too");
    let hp = find(&objects, Kind::HardwareProfile, "gpubook-b1").unwrap();
    let ids: Vec<(&str, &str)> = hp.body["spec"]["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["resourceType"] != "Accelerator")
        .map(|i| (i["resourceType"].as_str().unwrap(), i["maxCount"].as_str().unwrap()))
        .collect();
    assert_eq!(ids, [("CPU", "4"), ("Memory", "32Gi")]);
}

#[test]
fn a_sizes_own_allowance_is_multiplied_by_the_booked_devices() {
    let mut p = booked();
    let id = crate::fixture::book(&mut p, "team-b", "gpu-roomy", 2, 1.0, 2.0, model::Mode::Opportunistic);
    let objects = render(&p, at(1.5), &Options::default());
    let cq = find(&objects, Kind::ClusterQueue, &id.object_name()).unwrap();
    let flavor = |q: &str| vec![("gpubook-default".to_string(), q.to_string())];
    assert_eq!(quota_of(cq, "cpu"), flavor("24"));
    assert_eq!(quota_of(cq, "memory"), flavor("400Gi"));
    assert_eq!(quota_of(cq, "ephemeral-storage"), flavor("200Gi"));
    let shared = find(&objects, Kind::ClusterQueue, "gpubook-shared").unwrap();
    assert_eq!(quota_of(shared, "ephemeral-storage"), flavor("0"), "listed so the shared queue may borrow it");
}

/// Every object of a booking carries its window (`gpubook.io/window-start`, `gpubook.io/window-end`), as the
/// deploy manifests do.
#[test]
fn a_bookings_objects_carry_its_window() {
    let objects = render(&booked(), at(4.9), &Options::default());
    let of_b1: Vec<&Object> =
        objects.iter().filter(|o| o.body["metadata"]["labels"]["gpubook.io/booking"] == "b1").collect();
    let kinds: Vec<Kind> = of_b1.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [Kind::ClusterQueue, Kind::LocalQueue, Kind::ResourceClaimTemplate, Kind::HardwareProfile, Kind::Event]
    );
    for o in of_b1 {
        let a = &o.body["metadata"]["annotations"];
        assert_eq!(
            (a["gpubook.io/window-start"].as_str(), a["gpubook.io/window-end"].as_str()),
            (Some("2026-12-07T01:00:00Z"), Some("2026-12-07T05:00:00Z")),
            "{} {}",
            o.kind,
            o.name
        );
    }
}

fn events(objects: &[Object]) -> Vec<&Object> {
    objects.iter().filter(|o| o.kind == Kind::Event).collect()
}

/// Inside the lead time before b1's end (hour 5, 15 minutes): its warning Event, in both queue modes; the
/// full render at that instant is snapshotted too (the other snapshots are outside every lead time).
#[test]
fn snapshots_inside_the_lead_time_have_the_warning_event() {
    let p = booked();
    let per_booking = render(&p, at(4.9), &Options::default());
    insta::assert_snapshot!("hour-4.9", to_yaml_stream(&per_booking));
    let opts = Options { queues: k8s::render::QueueMode::PerProject, ..Options::default() };
    let per_project = render(&p, at(4.9), &opts);
    insta::assert_snapshot!("per-project-hour-4.9", to_yaml_stream(&per_project));
    for (objects, queue) in [(&per_booking, "gpubook-b1"), (&per_project, "gpubook-team-a-reserved")] {
        let [e] = events(objects)[..] else { panic!("one Event: {:?}", events(objects)) };
        assert_eq!((e.name.as_str(), e.namespace.as_deref()), ("gpubook-b1-ending", Some("team-a")));
        let b = &e.body;
        assert_eq!((b["type"].as_str(), b["reason"].as_str()), (Some("Warning"), Some("BookingEnding")));
        assert_eq!(b["eventTime"], "2026-12-07T04:45:00.000000Z", "from the end less the lead");
        assert_eq!(b["regarding"]["kind"], "LocalQueue");
        assert_eq!(
            (b["regarding"]["namespace"].as_str(), b["regarding"]["name"].as_str()),
            (Some("team-a"), Some(queue))
        );
        let note = b["note"].as_str().unwrap();
        assert!(
            note.starts_with(
                "Booking b1 (2 × gpu-small, project team-a, owner team-a-owner) ends at 2026-12-07T05:00:00Z: then "
            ),
            "{note}"
        );
        assert!(note.contains(queue), "{note}");
    }
    assert!(per_booking[..].iter().any(|o| o.kind == Kind::ClusterQueue && o.name == "gpubook-b1"));
}

/// The Event exists from `end_warning_s` before the release until the release, never before the booking's
/// start, not at all with no lead, and not when skipped.
#[test]
fn the_warning_event_lives_from_the_lead_time_to_the_release() {
    let p = booked();
    let names = |t: model::Instant, opts: &Options| -> Vec<String> {
        events(&render(&p, t, opts)).iter().map(|e| e.name.clone()).collect()
    };
    let opts = Options::default();
    let b1_end = at(5.0).0;
    assert!(names(model::Instant(b1_end - 901), &opts).is_empty(), "outside the lead time");
    assert_eq!(names(model::Instant(b1_end - 900), &opts), ["gpubook-b1-ending"]);
    assert_eq!(names(model::Instant(b1_end - 1), &opts), ["gpubook-b1-ending"]);
    assert!(names(model::Instant(b1_end), &opts).is_empty(), "released: the ClusterQueue drains, the Event goes");
    // b3 (hours 1–3) with a 3-hour lead: from its start, and its time is its start.
    let long = Options { end_warning_s: 3 * HOUR, ..Options::default() };
    let objects = render(&p, at(1.0), &long);
    let b3 = events(&objects).into_iter().find(|e| e.name == "gpubook-b3-ending").expect("from the start");
    assert_eq!(b3.body["eventTime"], "2026-12-07T01:00:00.000000Z");
    assert!(!names(at(0.99), &long).contains(&"gpubook-b3-ending".to_string()), "not before the start");
    let off = Options { end_warning_s: 0, ..Options::default() };
    assert!(names(model::Instant(b1_end - 1), &off).is_empty(), "no lead, no Event");
    let skipped = Options { skip: [Kind::Event].into(), ..Options::default() };
    assert!(names(model::Instant(b1_end - 1), &skipped).is_empty());
}
