//! Metering over HTTP: a PriceList through apply, PUT and GET; bad ones refused naming the field; the usage
//! report with the issue's figures, per caller's projects; a later price change that leaves a closed period
//! as it was, across a restart; the metering counters.

use serde_json::Value;

use crate::harness::Api;
use crate::{Harness, at, each_backend};

const PRICES: &str = "kind: PriceList\nname: default\ncurrency: EUR\nsliceBasis: memory\nopportunisticFactor: 0.5\n\
rates:\n  - {model: H100-80GB, gpuHour: 2.40}\ndiscounts:\n  - {project: team-b, percent: 10}\n";

fn apply(api: &Api, yaml: &str) -> (u16, Value) {
    api.post_raw("/apply", yaml, "application/yaml")
}

fn usage(api: &Api, query: &str) -> (u16, Value) {
    api.get(&format!("/usage?{query}"))
}

fn day(by: &str) -> String {
    format!("from={}&to={}&by={by}", at(0.0), at(24.0))
}

#[test]
fn bad_price_lists_are_refused_naming_the_field() {
    let h = Harness::start("sqlite");
    let admin = h.admin();
    let cases = [
        ("H100-80GB, gpuHour: 2.40", "nope", "rates[0].model"),
        ("H100-80GB, gpuHour: -1", "", "rates[0].gpuHour"),
        ("H100-80GB, gpuHour: 2.40, effectiveFrom: yesterday", "", "rates[0].effectiveFrom"),
    ];
    for (rate, model, field) in cases {
        let rate = if model.is_empty() { rate.to_string() } else { rate.replace("H100-80GB", model) };
        let yaml = format!("kind: PriceList\nname: p\ncurrency: EUR\nrates:\n  - {{model: {rate}}}\n");
        let (s, b) = apply(&admin, &yaml);
        assert_eq!(s, 422, "{yaml}: {b}");
        assert!(b["error"]["message"].as_str().unwrap().contains(field), "{field}: {b}");
    }
    let (s, b) = apply(&admin, "kind: PriceList\nname: p\ncurrency: euro\nrates: []\n");
    assert!(s == 422 && b["error"]["message"].as_str().unwrap().contains("currency"), "{b}");
    let (s, b) = apply(&admin, &format!("{PRICES}---\n{}", PRICES.replace("name: default", "name: other")));
    assert!(s == 422 && b["error"]["message"].as_str().unwrap().contains("second PriceList"), "{b}");
    // Only an admin sets prices.
    let alice = h.token("alice", "member", &["team-a"]);
    assert_eq!(apply(&alice, PRICES).0, 403);
}

#[test]
fn usage_reports_booked_hours_and_cost_at_the_prices_in_force() {
    each_backend(|mut h: Harness| {
        let admin = h.admin();
        let (s, b) = apply(&admin, PRICES);
        assert_eq!(s, 200, "{b}");
        let (s, lists) = admin.get("/price-lists");
        assert_eq!((s, lists[0]["rates"][0]["gpuHour"].as_f64()), (200, Some(2.4)), "{lists}");

        // The issue's figure: a 3g.40gb on an H100 for 8 hours at 2.40 under memory share is 9.60.
        let alice = h.token("alice", "member", &["team-a"]);
        let (s, b) = alice.book("team-a", "shape=H100-80GB/3g.40gb", 1, 1.0, 9.0, "reserved");
        assert_eq!(s, 201, "{b}");
        // team-b: a whole H100 for 2 hours, cancelled after one; 10% off.
        let bob = h.token("bob", "member", &["team-b"]);
        let (s, b) = bob.book("team-b", "shape=H100-80GB/full", 1, 2.0, 4.0, "reserved");
        assert_eq!(s, 201, "{b}");
        let bobs = b["id"].as_str().unwrap().to_string();
        h.set_clock(3.0);
        assert_eq!(bob.delete(&format!("/bookings/{bobs}")).0, 200);

        let (s, r) = usage(&alice, &day("project"));
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["currency"], "EUR");
        assert_eq!(r["rows"].as_array().unwrap().len(), 1, "alice sees only team-a: {r}");
        let row = &r["rows"][0];
        assert_eq!((row["project"].as_str(), row["booked_gpu_hours"].as_f64()), (Some("team-a"), Some(4.0)));
        assert_eq!(row["cost"].as_f64(), Some(9.6), "{r}");
        assert!(row["used_gpu_hours"].is_null() && row["idle_gpu_hours"].is_null(), "{r}");

        let (_, all) = usage(&admin, &day("project"));
        let costs: Vec<(String, f64)> = all["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["project"].as_str().unwrap().to_string(), r["cost"].as_f64().unwrap()))
            .collect();
        // team-b: 1 GPU × 1 hour × 2.40 × 0.9.
        assert_eq!(costs, vec![("team-a".to_string(), 9.6), ("team-b".to_string(), 2.16)], "{all}");
        assert_eq!(all["total"]["cost"].as_f64(), Some(11.76), "{all}");
        let (_, by_cohort) = usage(&admin, &day("cohort"));
        assert_eq!(by_cohort["rows"][0]["cohort"], "research", "{by_cohort}");
        let (_, by_model) = usage(&admin, &day("model"));
        assert_eq!(by_model["rows"][0]["model"], "H100-80GB", "{by_model}");
        assert_eq!(usage(&alice, &format!("{}&project=team-b", day("project"))).0, 403);

        // Bad questions name the parameter.
        let (s, b) = usage(&alice, &format!("from={}&to={}", at(5.0), at(1.0)));
        assert!(s == 422 && b["error"]["message"].as_str().unwrap().starts_with("from"), "{b}");
        let (s, b) = usage(&alice, &day("colour"));
        assert!(s == 422 && b["error"]["message"].as_str().unwrap().starts_with("by"), "{b}");
        let (s, b) = usage(&alice, &format!("from={}&to={}", at(0.0), at(24.0 * 500.0)));
        assert!(s == 422 && b["error"]["message"].as_str().unwrap().starts_with("to"), "{b}");

        // A day later the rate goes up, even "since always": the closed day keeps its price, after a restart too.
        h.set_clock(30.0);
        let (s, b) = apply(&admin, &PRICES.replace("2.40", "5.00"));
        assert_eq!(s, 200, "{b}");
        let (s, b) = apply(&admin, &PRICES.replace("EUR", "USD"));
        assert!(s == 422 && b["error"]["message"].as_str().unwrap().contains("currency"), "{b}");
        assert_eq!(usage(&alice, &day("project")).1["rows"][0]["cost"].as_f64(), Some(9.6));
        h.restart();
        let alice = h.api(&alice.token);
        assert_eq!(usage(&alice, &day("project")).1["rows"][0]["cost"].as_f64(), Some(9.6));
        // A booking after the change pays the new rate: a whole H100 for an hour.
        let (s, b) = alice.book("team-a", "shape=H100-80GB/full", 1, 31.0, 32.0, "opportunistic");
        assert_eq!(s, 201, "{b}");
        let (_, r) = usage(&alice, &format!("from={}&to={}&by=booking", at(30.0), at(40.0)));
        assert_eq!(r["rows"][0]["cost"].as_f64(), Some(2.5), "5.00 × 0.5: {r}");

        h.set_clock(40.0);
        let (_, metrics) = h.admin().root_get("/metrics");
        assert!(
            metrics.contains(r#"gpubook_booked_gpu_hours_total{project="team-a",model="H100-80GB",mode="reserved"} 4"#),
            "{metrics}"
        );
        assert!(
            metrics.contains(
                r#"gpubook_booked_cost_total{project="team-a",model="H100-80GB",mode="opportunistic",currency="EUR"} 2.5"#
            ),
            "{metrics}"
        );
    });
}
