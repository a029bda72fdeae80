//! The rendered objects against the Kueue admission model (`kueue/`): a pod that asks for what a booking
//! holds is admitted in its queue; one that asks for more, or for something else, stays pending with the
//! message Kueue would give.

use k8s::{Kind, Object, Options, render};
use serde_json::{Value, json};

use crate::fixture::{at, booked};
use crate::kueue::{Cluster, Outcome};

/// A pod of `namespace` on `queue` whose one container asks for `resources` (as limits).
fn pod(namespace: &str, queue: &str, resources: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "p", "namespace": namespace, "labels": { "kueue.x-k8s.io/queue-name": queue } },
        "spec": { "containers": [{ "name": "c", "image": "busybox", "resources": { "limits": resources } }] } })
}

fn cluster(t: f64) -> (Cluster, Vec<Object>) {
    let objects = render(&booked(), at(t), &Options::default());
    (Cluster::new(&objects), objects)
}

fn pending(outcomes: &[Outcome]) -> &str {
    match outcomes {
        [Outcome::Pending(m)] => m,
        other => panic!("expected one pending workload, got {other:?}"),
    }
}

fn admitted_in(outcomes: &[Outcome]) -> &str {
    match outcomes {
        [Outcome::Admitted { cluster_queue, .. }] => cluster_queue,
        other => panic!("expected one admitted workload, got {other:?}"),
    }
}

#[test]
fn a_pod_asking_for_what_the_booking_holds_is_admitted_in_its_queue_and_a_second_one_waits() {
    let (mut c, _) = cluster(2.5);
    // b1: team-a, 2 × H100 1g.20gb, 4 cpu and 32Gi in all.
    let ask = json!({ "nvidia.com/mig-1g.20gb": 2, "cpu": "4", "memory": "32Gi" });
    let first = c.submit(&pod("team-a", "gpubook-b1", ask.clone()));
    assert_eq!(admitted_in(&first), "gpubook-b1");
    let Outcome::Admitted { flavors, .. } = &first[0] else { unreachable!() };
    assert_eq!(flavors["cpu"], "gpubook-default");
    assert_eq!(flavors["nvidia.com/mig-1g.20gb"], "gpubook-h100-80gb");
    let again =
        c.submit(&pod("team-a", "gpubook-b1", json!({ "nvidia.com/mig-1g.20gb": 1, "cpu": "1", "memory": "1Gi" })));
    assert_eq!(
        pending(&again),
        "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor gpubook-default, 1 more needed"
    );
}

#[test]
fn a_pod_asking_for_more_than_the_booking_stays_pending_with_kueues_message() {
    let (mut c, _) = cluster(2.5);
    let more_cpu =
        c.submit(&pod("team-a", "gpubook-b1", json!({ "nvidia.com/mig-1g.20gb": 1, "cpu": "5", "memory": "8Gi" })));
    assert_eq!(
        pending(&more_cpu),
        "couldn't assign flavors to pod set main: insufficient quota for cpu in flavor gpubook-default, request > maximum capacity (5 > 4)"
    );
    let more_devices =
        c.submit(&pod("team-a", "gpubook-b1", json!({ "nvidia.com/mig-1g.20gb": 3, "cpu": "1", "memory": "1Gi" })));
    assert!(pending(&more_devices).contains(
        "insufficient quota for nvidia.com/mig-1g.20gb in flavor gpubook-h100-80gb, request > maximum capacity (3 > 2)"
    ));
    let other_shape =
        c.submit(&pod("team-a", "gpubook-b1", json!({ "nvidia.com/gpu": 1, "cpu": "1", "memory": "1Gi" })));
    assert_eq!(
        pending(&other_shape),
        "couldn't assign flavors to pod set main: resource nvidia.com/gpu unavailable in ClusterQueue"
    );
}

#[test]
fn without_cpu_and_memory_in_the_queue_a_real_pod_is_never_admitted() {
    let (_, mut objects) = cluster(2.5);
    // The queue as rendered before the allowance: the device group only.
    let cq = objects.iter_mut().find(|o| o.kind == Kind::ClusterQueue && o.name == "gpubook-b1").unwrap();
    cq.body["spec"]["resourceGroups"].as_array_mut().unwrap().truncate(1);
    let mut c = Cluster::new(&objects);
    let outcome =
        c.submit(&pod("team-a", "gpubook-b1", json!({ "nvidia.com/mig-1g.20gb": 1, "cpu": "1", "memory": "1Gi" })));
    assert_eq!(pending(&outcome), "couldn't assign flavors to pod set main: resource cpu unavailable in ClusterQueue");
}

#[test]
fn queues_namespaces_node_selectors_and_stopped_queues() {
    let (mut c, _) = cluster(2.5);
    let ask = json!({ "nvidia.com/mig-1g.20gb": 1, "cpu": "1", "memory": "1Gi" });
    assert_eq!(pending(&c.submit(&pod("team-b", "gpubook-b1", ask.clone()))), "LocalQueue gpubook-b1 doesn't exist");
    let mut elsewhere = pod("team-a", "gpubook-b1", ask.clone());
    elsewhere["spec"]["nodeSelector"] = json!({ "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB" });
    assert_eq!(
        pending(&c.submit(&elsewhere)),
        "couldn't assign flavors to pod set main: flavor gpubook-h100-80gb doesn't match node affinity"
    );
    let mut unrelated_key = pod("team-a", "gpubook-b1", ask.clone());
    unrelated_key["spec"]["nodeSelector"] = json!({ "kubernetes.io/arch": "amd64" });
    assert_eq!(admitted_in(&c.submit(&unrelated_key)), "gpubook-b1", "keys no flavor uses do not count");
    let mut unlabelled = pod("team-a", "gpubook-b1", ask.clone());
    unlabelled["metadata"]["labels"] = json!({});
    assert_eq!(c.submit(&unlabelled), [Outcome::Unmanaged]);
    // b1 ended at hour 5: its queue is stopped with HoldAndDrain until the grace period ends.
    let (mut ended, _) = cluster(5.05);
    assert_eq!(pending(&ended.submit(&pod("team-a", "gpubook-b1", ask))), "ClusterQueue gpubook-b1 is inactive");
}

#[test]
fn a_dra_claim_of_the_bookings_template_is_charged_to_its_queue() {
    let (mut c, objects) = cluster(2.5);
    let mut p = pod("team-a", "gpubook-b1", json!({ "cpu": "4", "memory": "32Gi" }));
    p["spec"]["resourceClaims"] = json!([{ "name": "gpu", "resourceClaimTemplateName": "gpubook-b1" }]);
    p["spec"]["containers"][0]["resources"]["claims"] = json!([{ "name": "gpu" }]);
    let outcome = c.submit(&p);
    let Outcome::Admitted { flavors, .. } = &outcome[0] else { panic!("{outcome:?}") };
    assert_eq!(flavors["nvidia.com/mig-1g.20gb"], "gpubook-h100-80gb", "two devices, mapped by class");
    assert!(pending(&c.submit(&p)).contains("insufficient unused quota for "), "the devices and cpu are in use");
    // A template with a CEL selector, as gpubook rendered before: Kueue refuses it.
    let mut unmapped = Cluster::new(&objects);
    unmapped.mappings.clear();
    assert!(
        pending(&unmapped.submit(&p)).contains("DeviceClass mig-1g.20gb.gpubook.io is not mapped in DRA configuration")
    );
    let mut objects = objects;
    let t = objects.iter_mut().find(|o| o.kind == Kind::ResourceClaimTemplate && o.name == "gpubook-b1").unwrap();
    t.body["spec"]["spec"]["devices"]["requests"][0]["exactly"]["selectors"] =
        json!([{ "cel": { "expression": "true" } }]);
    let mut c = Cluster::new(&objects);
    assert!(pending(&c.submit(&p)).ends_with("ResourceClaimTemplate gpubook-b1: CEL selectors are not supported"));
}

#[test]
fn the_shared_queue_admits_free_capacity_and_borrows_what_bookings_leave_idle() {
    let (mut c, _) = cluster(2.5);
    let whole = json!({ "nvidia.com/gpu": 1, "cpu": "8", "memory": "64Gi" });
    let mut on_h200 = pod("team-b", "gpubook-shared", whole);
    on_h200["spec"]["nodeSelector"] = json!({ "nvidia.com/gpu.product": "NVIDIA-H200" });
    let outcome = c.submit(&on_h200);
    assert!(
        matches!(&outcome[..], [Outcome::Admitted { cluster_queue, .. }] if cluster_queue == "gpubook-shared"),
        "{outcome:?}"
    );
    // b1's two 1g.20gb are idle: the shared queue (listing them at zero) borrows them from the cohort.
    let borrow =
        c.submit(&pod("team-b", "gpubook-shared", json!({ "nvidia.com/mig-1g.20gb": 2, "cpu": "1", "memory": "1Gi" })));
    assert_eq!(admitted_in(&borrow), "gpubook-shared");
}
