//! `--k8s-queues per-project`: one ClusterQueue and LocalQueue per project and mode, whose quota follows the
//! project's active bookings. Each deploy manifest is admitted on its project's queue by the Kueue model, and
//! a second copy waits; the quota moves at window boundaries.

use k8s::deploy::{DeployRequest, WorkloadKind};
use k8s::render::QueueMode;
use k8s::render::names::{booking_objects, local_queue, project_queue};
use k8s::{Kind, Options, render};
use model::{BookingId, Mode};
use serde_json::Value;

use crate::deploy::{BIG, MID, SMALL, admitted, deploy, with_whole_gpus};
use crate::fixture::at;
use crate::kueue::{Cluster, Outcome};

fn per_project() -> Options {
    Options { queues: QueueMode::PerProject, ..Options::default() }
}

/// A ClusterQueue's nominal quota of `resource`, summed over its flavors.
fn nominal(objects: &[k8s::Object], queue: &str, resource: &str) -> u64 {
    let cq = objects.iter().find(|o| o.kind == Kind::ClusterQueue && o.name == queue).expect("the queue");
    let groups = cq.body["spec"]["resourceGroups"].as_array().unwrap();
    let quotas =
        groups.iter().flat_map(|g| g["flavors"].as_array().unwrap()).flat_map(|f| f["resources"].as_array().unwrap());
    quotas.filter(|r| r["name"] == resource).map(|r| r["nominalQuota"].as_u64().unwrap_or(0)).sum()
}

#[test]
fn queues_are_per_project_and_mode_not_per_booking() {
    let (p, _, _) = with_whole_gpus();
    let objects = render(&p, at(0.5), &per_project());
    let of = |k: Kind| -> Vec<&str> { objects.iter().filter(|o| o.kind == k).map(|o| o.name.as_str()).collect() };
    let projects = p.definitions().projects.len();
    assert_eq!(of(Kind::ClusterQueue).len(), 2 * projects + 1, "{:?}", of(Kind::ClusterQueue));
    assert!(!of(Kind::ClusterQueue).iter().chain(&of(Kind::LocalQueue)).any(|n| n.starts_with("gpubook-b")));
    assert!(of(Kind::ClusterQueue).contains(&"gpubook-inference-reserved"));
    assert!(of(Kind::ClusterQueue).contains(&"gpubook-team-b-opportunistic"));
    // Claim templates and HardwareProfiles are per project (and mode) and shape: no object is a booking's.
    assert!(objects.iter().all(|o| !o.name.starts_with("gpubook-b")), "{:?}", of(Kind::HardwareProfile));
    let hp = objects
        .iter()
        .find(|o| o.kind == Kind::HardwareProfile && o.name == "gpubook-inference-reserved-a100-80gb-1g-10gb")
        .unwrap();
    assert_eq!(hp.namespace.as_deref(), Some("inference"));
    assert_eq!(hp.body["spec"]["scheduling"]["kueue"]["localQueueName"], "gpubook-inference-reserved");
    let ids = hp.body["spec"]["identifiers"].as_array().unwrap();
    assert_eq!((ids[0]["identifier"].as_str(), ids[0]["maxCount"].as_u64()), (Some("nvidia.com/mig-1g.10gb"), Some(1)));
    // The two whole H200 and two whole L40S of inference, one profile per model, up to both devices.
    for name in ["gpubook-inference-reserved-h200-141gb-full", "gpubook-inference-reserved-l40s-48gb-full"] {
        let hp = objects.iter().find(|o| o.kind == Kind::HardwareProfile && o.name == name).expect(name);
        let accelerator = &hp.body["spec"]["identifiers"][0];
        assert_eq!((accelerator["defaultCount"].as_u64(), accelerator["maxCount"].as_u64()), (Some(1), Some(2)));
    }
    let rct = objects
        .iter()
        .find(|o| o.kind == Kind::ResourceClaimTemplate && o.name == "gpubook-inference-h200-141gb-full")
        .unwrap();
    let requests = rct.body["spec"]["spec"]["devices"]["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "one device: a pod lists a claim per device");
    assert_eq!(requests[0]["exactly"]["count"], 1);
    assert_eq!(requests[0]["exactly"]["deviceClassName"], "gpu.gpubook.io");
}

/// More bookings of a project's mode and shape change quotas and counts, not the number of objects (but
/// for each booking's Event before its end); per booking, every booking adds four.
#[test]
fn objects_do_not_grow_with_bookings() {
    let counted = |p: &planner::Planner, opts: &Options| {
        render(p, at(2.5), opts).iter().filter(|o| o.kind != Kind::Event).count()
    };
    let p = crate::fixture::booked();
    let mut more = crate::fixture::booked();
    for _ in 0..3 {
        crate::fixture::book(&mut more, "inference", "A100-80GB/1g.10gb", 1, 2.0, 4.0, Mode::Reserved);
    }
    assert_eq!(counted(&more, &per_project()), counted(&p, &per_project()));
    assert_eq!(counted(&more, &Options::default()), counted(&p, &Options::default()) + 3 * 4);
    let objects = render(&more, at(2.5), &per_project());
    let hp = objects
        .iter()
        .find(|o| o.kind == Kind::HardwareProfile && o.name == "gpubook-inference-reserved-a100-80gb-1g-10gb")
        .unwrap();
    assert_eq!(hp.body["spec"]["identifiers"][0]["maxCount"], 4, "b4 and the three more");
    assert_eq!(hp.body["metadata"]["annotations"]["gpubook.io/bookings"], "b4,b6,b7,b8");
}

#[test]
fn the_quota_follows_the_projects_active_bookings() {
    let (p, _, _) = with_whole_gpus();
    let q = project_queue("inference", Mode::Reserved);
    // 0.5 h: b4 (A100 1g.10gb, 0–4 h) and the two H200 and two L40S (0–1 h); 2.5 h: b4 and an H200 3g.71gb.
    let early = render(&p, at(0.5), &per_project());
    assert_eq!(nominal(&early, &q, "nvidia.com/gpu"), 4);
    assert_eq!(nominal(&early, &q, "nvidia.com/mig-1g.10gb"), 1);
    let later = render(&p, at(2.5), &per_project());
    assert_eq!(nominal(&later, &q, "nvidia.com/gpu"), 0, "the whole GPUs' window is over");
    assert_eq!((nominal(&later, &q, "nvidia.com/mig-1g.10gb"), nominal(&later, &q, "nvidia.com/mig-3g.71gb")), (1, 1));
    let cpu = |objects: &[k8s::Object]| {
        let cq = objects.iter().find(|o| o.kind == Kind::ClusterQueue && o.name == q).unwrap();
        let groups = cq.body["spec"]["resourceGroups"].as_array().unwrap();
        groups.last().unwrap()["flavors"][0]["resources"][0].clone()
    };
    let (before, after) = (cpu(&early), cpu(&later));
    assert_eq!((before["name"].as_str(), after["name"].as_str()), (Some("cpu"), Some("cpu")));
    assert_ne!(before["nominalQuota"], after["nominalQuota"], "cpu follows the devices");
    let stopped = later.iter().filter(|o| o.body["spec"]["stopPolicy"] == "HoldAndDrain");
    assert!(
        stopped.clone().all(|o| o.name.starts_with("gpubook-b") || o.kind != Kind::ClusterQueue),
        "no project queue stops"
    );
}

#[test]
fn each_kind_is_admitted_on_the_projects_queue_and_a_second_copy_waits() {
    let (p, h200, l40s) = with_whole_gpus();
    let objects = render(&p, at(0.5), &per_project());
    let b4 = BookingId(4);
    // Per project, a DRA pod lists one claim per device, so the L40S pair runs as two pods with --dra too.
    let cases = [
        (b4, SMALL, false),
        (b4, SMALL, true),
        (h200, BIG, false),
        (h200, BIG, true),
        (l40s, MID, false),
        (l40s, MID, true),
    ];
    for (id, model, dra) in cases {
        let names = booking_objects(p.booking(id).unwrap(), QueueMode::PerProject);
        let queue = local_queue(p.booking(id).unwrap(), QueueMode::PerProject);
        assert_eq!(queue, "gpubook-inference-reserved");
        assert_eq!(names.local_queue, queue);
        for kind in [WorkloadKind::Vllm, WorkloadKind::Job, WorkloadKind::InferenceService] {
            if dra && kind == WorkloadKind::InferenceService {
                continue;
            }
            let req = DeployRequest { kind, model: model.into(), image: None, dra, queues: QueueMode::PerProject };
            let ms = deploy(&p, id, &req).unwrap_or_else(|e| panic!("{id} {model}: {e}"));
            let workload: &Value = &ms[0];
            assert_eq!(workload["metadata"]["labels"]["kueue.x-k8s.io/queue-name"], queue.as_str());
            let pinned = match kind {
                WorkloadKind::InferenceService => &workload["spec"]["predictor"]["nodeSelector"],
                _ => &workload["spec"]["template"]["spec"]["nodeSelector"],
            };
            assert!(pinned["nvidia.com/gpu.product"].is_string(), "pinned to the booked model: {workload}");
            match kind {
                WorkloadKind::InferenceService => assert_eq!(
                    workload["metadata"]["annotations"]["opendatahub.io/hardware-profile-name"],
                    names.hardware_profile.as_str()
                ),
                _ if dra => {
                    let spec = &workload["spec"]["template"]["spec"];
                    let claims = spec["resourceClaims"].as_array().unwrap();
                    let devices = p.booking(id).unwrap().devices.len() / workload_pods(workload) as usize;
                    assert_eq!(claims.len(), devices, "a claim per device of a pod: {spec}");
                    for c in claims {
                        assert_eq!(c["resourceClaimTemplateName"], names.claim_template.as_str());
                    }
                    assert!(objects.iter().any(|o| o.kind == Kind::ResourceClaimTemplate
                        && o.name == names.claim_template
                        && o.namespace.as_deref() == Some("inference")));
                }
                _ => {}
            }
            let mut c = Cluster::new(&objects);
            admitted(&mut c, workload, &queue);
            let again = c.submit(workload);
            assert!(again.iter().all(|o| matches!(o, Outcome::Pending(_))), "{kind:?} on {id}: {again:?}");
        }
    }
}

/// Pods a workload runs.
fn workload_pods(w: &Value) -> u64 {
    match w["kind"].as_str() {
        Some("Job") => w["spec"]["parallelism"].as_u64().unwrap(),
        Some("Deployment") => w["spec"]["replicas"].as_u64().unwrap(),
        _ => w["spec"]["predictor"]["minReplicas"].as_u64().unwrap(),
    }
}

/// A pod on a project's queue that asks for more than the project's active bookings of the mode hold stays
/// pending with Kueue's message: more devices, more cpu, or claims for more devices than booked.
#[test]
fn a_pod_asking_for_more_than_the_projects_bookings_stays_pending_with_kueues_message() {
    let objects = render(&crate::fixture::booked(), at(2.5), &per_project());
    let queue = "gpubook-inference-reserved";
    // inference, reserved, at 2.5 h: b4 (A100 1g.10gb: 1 cpu, 8Gi) and b2 (H200 3g.71gb: 4 cpu, 32Gi).
    assert_eq!(nominal(&objects, queue, "nvidia.com/mig-1g.10gb"), 1);
    // Pinned to the booked model, as the deploy manifests are.
    let pod = |resources: Value| {
        serde_json::json!({ "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": "p", "namespace": "inference", "labels": { "kueue.x-k8s.io/queue-name": queue } },
            "spec": { "nodeSelector": { "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB" },
                      "containers": [{ "name": "c", "image": "busybox", "resources": { "limits": resources } }] } })
    };
    let no_h200 = "flavor gpubook-h200-141gb doesn't match node affinity";
    let pending = |outcomes: Vec<Outcome>| match &outcomes[..] {
        [Outcome::Pending(m)] => m.clone(),
        other => panic!("expected one pending workload, got {other:?}"),
    };
    let mut c = Cluster::new(&objects);
    let fits = c.submit(&pod(serde_json::json!({ "nvidia.com/mig-1g.10gb": 1, "cpu": "1", "memory": "8Gi" })));
    assert!(matches!(&fits[..], [Outcome::Admitted { cluster_queue, .. }] if cluster_queue == queue), "{fits:?}");
    let mut c = Cluster::new(&objects);
    assert_eq!(
        pending(c.submit(&pod(serde_json::json!({ "nvidia.com/mig-1g.10gb": 2, "cpu": "1", "memory": "1Gi" })))),
        format!(
            "couldn't assign flavors to pod set main: {no_h200}, insufficient quota for nvidia.com/mig-1g.10gb in \
             flavor gpubook-a100-80gb, request > maximum capacity (2 > 1)"
        )
    );
    assert_eq!(
        pending(c.submit(&pod(serde_json::json!({ "nvidia.com/mig-1g.10gb": 1, "cpu": "6", "memory": "1Gi" })))),
        "couldn't assign flavors to pod set main: insufficient quota for cpu in flavor gpubook-default, request > \
         maximum capacity (6 > 5)"
    );
    let mut two_claims = pod(serde_json::json!({ "cpu": "1", "memory": "1Gi" }));
    let template = "gpubook-inference-a100-80gb-1g-10gb";
    two_claims["spec"]["resourceClaims"] = serde_json::json!([
        { "name": "gpu-0", "resourceClaimTemplateName": template },
        { "name": "gpu-1", "resourceClaimTemplateName": template },
    ]);
    two_claims["spec"]["containers"][0]["resources"]["claims"] =
        serde_json::json!([{ "name": "gpu-0" }, { "name": "gpu-1" }]);
    assert_eq!(
        pending(c.submit(&two_claims)),
        format!(
            "couldn't assign flavors to pod set main: {no_h200}, insufficient quota for nvidia.com/mig-1g.10gb in \
             flavor gpubook-a100-80gb, request > maximum capacity (2 > 1)"
        )
    );
}
