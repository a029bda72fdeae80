//! Idempotent booking: a retry is answered from the stored outcome (the booking it made, the verdict, the
//! reasons, what it preempted), rendered again, also after a restart.

use crate::{at, each_backend};

#[test]
fn a_replay_renders_the_stored_outcome_again_also_after_a_restart() {
    each_backend(|mut h| {
        let alice = h.token("alice", "member", &["team-a"]);
        let bob = h.token("bob", "member", &["team-b"]);
        let borrow = serde_json::json!({"project": "team-b", "shape": "H100-80GB/full", "count": 2,
            "start": at(2.0), "end": at(4.0), "mode": "opportunistic"});
        let (s, borrowed) = bob.post_with("/bookings", &borrow, Some("k-b"));
        assert_eq!((s, &borrowed["verdict"]), (201, &serde_json::json!("fits-by-borrowing")), "{borrowed}");
        assert!(!borrowed["reasons"].as_array().unwrap().is_empty(), "borrowing says why: {borrowed}");
        let claim = serde_json::json!({"project": "team-a", "shape": "H100-80GB/full", "count": 2,
            "start": at(2.0), "end": at(4.0), "mode": "reserved"});
        let (s, claimed) = alice.post_with("/bookings", &claim, Some("k-a"));
        assert_eq!((s, &claimed["verdict"]), (201, &serde_json::json!("fits-after-preempting")), "{claimed}");
        assert_eq!(claimed["preempted"], serde_json::json!([borrowed["id"]]));
        assert_eq!(alice.post_with("/bookings", &claim, Some("k-a")), (201, claimed.clone()), "the same answer");
        h.restart();
        let (alice, bob) = (h.api(&alice.token), h.api(&bob.token));
        assert_eq!(alice.post_with("/bookings", &claim, Some("k-a")), (201, claimed.clone()), "after a restart");
        // The booking is shown as it is now: bob's was preempted since; what the request did is as it was.
        let (s, again) = bob.post_with("/bookings", &borrow, Some("k-b"));
        assert_eq!(s, 201, "{again}");
        for field in ["id", "verdict", "reasons", "preempted", "moved", "placements", "start", "end"] {
            assert_eq!(again[field], borrowed[field], "{field}: {again}");
        }
        assert_eq!((&borrowed["status"], &again["status"]), (&"confirmed".into(), &"preempted".into()));
        assert_eq!(alice.get("/bookings").1.as_array().unwrap().len(), 1, "no retry booked anew");
    });
}
