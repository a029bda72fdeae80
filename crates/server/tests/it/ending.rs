//! The end of a window on the fixed test clock: an active booking's view says `ends_in`, and `ending_soon`
//! from the end warning on (15 minutes, or what the server was started with); My bookings warns of it, and
//! so does the booking's warning Event among the rendered objects.

use super::console::Browser;
use crate::{Harness, each_backend};

#[test]
fn an_active_booking_says_when_it_ends_and_warns_before_it_does() {
    each_backend(|h: Harness| {
        let alice = h.token("alice", "member", &["team-a"]);
        let (s, b) = alice.book("team-a", "size=gpu-small", 1, 1.0, 3.0, "reserved");
        assert_eq!(s, 201, "{b}");
        let id = b["id"].as_str().unwrap().to_string();
        assert!(b.get("ends_in").is_none(), "not active yet: {b}");
        let get = || alice.get(&format!("/bookings/{id}")).1;

        h.set_clock(2.0);
        let v = get();
        assert_eq!((v["status"].as_str(), v["ends_in"].as_i64()), (Some("active"), Some(3600)), "{v}");
        assert!(v.get("ending_soon").is_none(), "an hour left is not soon: {v}");
        let page = Browser::signed_in(&h, &alice.token).get("/console/bookings").2;
        assert!(!page.contains("Ending soon"), "no warning an hour before");

        // 15 minutes before the end, and after: ending soon, in the API (one booking and the list) and the console.
        h.set_clock(2.75);
        let v = get();
        assert_eq!((v["ends_in"].as_i64(), v["ending_soon"].as_bool()), (Some(900), Some(true)), "{v}");
        let listed = alice.get("/bookings").1;
        assert_eq!(listed[0]["ending_soon"], true, "{listed}");
        let page = Browser::signed_in(&h, &alice.token).get("/console/bookings").2;
        let row = page.split(&format!(r#"id="booking-{id}""#)).nth(1).expect("the booking's row");
        assert!(row.split("</tr>").next().unwrap().contains("Ending soon"), "{row}");
        let use_page = Browser::signed_in(&h, &alice.token).get(&format!("/console/bookings/{id}/use")).2;
        assert!(use_page.contains("Ending soon"), "the use page warns too");

        // Ended: neither.
        h.set_clock(3.0);
        let v = get();
        assert_eq!(v["status"], "completed", "{v}");
        assert!(v.get("ends_in").is_none() && v.get("ending_soon").is_none(), "{v}");
    });
}

/// The booking's warning Event among the objects rendered at the server's clock, if any.
fn ending_event(h: &Harness, id: &str) -> Option<serde_json::Value> {
    let (s, objects) = h.admin().get("/k8s/objects");
    assert_eq!(s, 200, "{objects}");
    let name = format!("gpubook-{id}-ending");
    objects.as_array().unwrap().iter().find(|o| o["kind"] == "Event" && o["metadata"]["name"] == name).cloned()
}

/// `--end-warning` sets both the API's `ending_soon` and when the booking's warning Event is rendered.
#[test]
fn the_end_warning_is_the_servers_to_choose() {
    let mut h = Harness::start("sqlite");
    h.k8s.end_warning_s = 3600;
    h.restart();
    let alice = h.token("alice", "member", &["team-a"]);
    let (s, b) = alice.book("team-a", "size=gpu-small", 1, 1.0, 3.0, "reserved");
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    h.set_clock(1.5);
    let v = alice.get(&format!("/bookings/{id}")).1;
    assert!(v.get("ending_soon").is_none(), "90 minutes left: {v}");
    assert!(ending_event(&h, &id).is_none(), "no Event before the lead time");
    h.set_clock(2.0);
    let v = alice.get(&format!("/bookings/{id}")).1;
    assert_eq!((v["ends_in"].as_i64(), v["ending_soon"].as_bool()), (Some(3600), Some(true)), "{v}");
    let e = ending_event(&h, &id).expect("the warning Event, an hour before the end");
    assert_eq!((e["type"].as_str(), e["reason"].as_str()), (Some("Warning"), Some("BookingEnding")), "{e}");
    assert_eq!(e["metadata"]["namespace"], "team-a");
    assert_eq!(e["regarding"]["name"], v["kubernetes"]["local_queue"], "about the queue the booking's work uses");
    assert!(e["note"].as_str().unwrap().contains(v["end"].as_str().unwrap()), "{e}");
    h.set_clock(3.0);
    assert!(ending_event(&h, &id).is_none(), "released: the Event goes");
}
