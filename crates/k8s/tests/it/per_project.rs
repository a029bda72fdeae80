//! `--k8s-queues per-project`: one ClusterQueue and LocalQueue per project and mode, whose quota follows the
//! project's active bookings. Each deploy manifest is admitted on its project's queue by the Kueue model, and
//! a second copy waits; the quota moves at window boundaries.

use k8s::deploy::{DeployRequest, WorkloadKind};
use k8s::render::QueueMode;
use k8s::render::names::{local_queue, project_queue};
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
    // The HardwareProfile of a booking puts its workloads on the project's queue.
    let hp = objects.iter().find(|o| o.kind == Kind::HardwareProfile && o.name == "gpubook-b4").unwrap();
    assert_eq!(hp.body["spec"]["scheduling"]["kueue"]["localQueueName"], "gpubook-inference-reserved");
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
    for (id, model, dra) in
        [(b4, SMALL, false), (b4, SMALL, true), (h200, BIG, false), (h200, BIG, true), (l40s, MID, false)]
    {
        let queue = local_queue(p.booking(id).unwrap(), QueueMode::PerProject);
        assert_eq!(queue, "gpubook-inference-reserved");
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
            let mut c = Cluster::new(&objects);
            admitted(&mut c, workload, &queue);
            let again = c.submit(workload);
            assert!(again.iter().all(|o| matches!(o, Outcome::Pending(_))), "{kind:?} on {id}: {again:?}");
        }
    }
}
