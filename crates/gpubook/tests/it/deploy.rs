//! `gpubook deploy` against a real server: the YAML parses into the workload on the booking's queue in the
//! project's namespace; an unknown model, an unknown kind and another project's booking are clear errors.

use serde_json::Value;

use super::server::Server;
use super::service::{cli, ok_json};

fn documents(yaml: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(yaml);
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("YAML: {e}\n{text}")))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

#[test]
fn deploy_prints_manifests_on_the_bookings_queue_and_refuses_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::spawn(dir.path(), None);
    let token = |subject: &str, project: &str| {
        let args = ["token", "create", "--project", project, "--role", "member", "--subject", subject, "-o", "json"];
        ok_json(&server, &server.token, &args)["token"].as_str().unwrap().to_string()
    };
    let (alice, bob) = (token("alice", "team-a"), token("bob", "team-b"));
    let booked = ok_json(
        &server,
        &alice,
        &["book", "-p", "team-a", "--size", "gpu-small", "--start", "tomorrow 09:00", "--for", "4h", "-o", "json"],
    );
    let id = booked["id"].as_str().unwrap().to_string();
    let queue = format!("gpubook-{id}");
    let model = "meta-llama/Llama-3.2-1B-Instruct";

    let out = cli(&server, &alice, &["deploy", &id, "--model", model, "-o", "yaml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let docs = documents(&out.stdout);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Deployment", "Service"]);
    let deployment = &docs[0];
    assert_eq!(deployment["metadata"]["namespace"], "team-a");
    assert_eq!(deployment["metadata"]["labels"]["kueue.x-k8s.io/queue-name"], queue.as_str());
    assert_eq!(deployment["spec"]["template"]["metadata"]["labels"]["kueue.x-k8s.io/queue-name"], queue.as_str());
    let args = deployment["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
    assert!(args.contains(model) && args.contains("--max-model-len"), "vLLM serves the model: {args}");

    let out = cli(&server, &alice, &["deploy", &id, "--model", model, "--kind", "job", "--dra", "-o", "yaml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let job = &documents(&out.stdout)[0];
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"], queue.as_str());
    assert_eq!(job["spec"]["template"]["spec"]["resourceClaims"][0]["resourceClaimTemplateName"], queue.as_str());

    let refused = |token: &str, args: &[&str]| {
        let out = cli(&server, token, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout to apply by mistake");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = refused(&alice, &["deploy", &id, "--model", "acme/nothing"]);
    assert!(e.contains("model: \"acme/nothing\" is not in the model catalog"), "{e}");
    let e = refused(&alice, &["deploy", &id, "--model", model, "--kind", "pod"]);
    assert!(e.contains("'pod'") && e.contains("--kind"), "{e}");
    let e = refused(&bob, &["deploy", &id, "--model", model]);
    assert!(e.contains(&format!("no booking {id}")), "another project's booking is not there for bob: {e}");
    let e = refused(&alice, &["deploy", "b999", "--model", model]);
    assert!(e.contains("no booking b999"), "{e}");
}
