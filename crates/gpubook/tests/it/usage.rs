//! `gpubook usage` against a real server: a price list applied with `gpubook apply`, a booking, and the
//! report as JSON, CSV and a table; bad input is a clear error naming the flag or parameter.

use super::server::Server;
use super::service::{cli, ok_json};

#[test]
fn usage_reports_the_booking_at_its_price_as_json_csv_and_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::spawn(dir.path(), None);
    let prices = dir.path().join("prices.yaml");
    std::fs::write(
        &prices,
        "kind: PriceList\nname: default\ncurrency: EUR\nrates:\n  - {model: H100-80GB, gpuHour: 2.40}\n",
    )
    .unwrap();
    ok_json(&server, &server.token, &["apply", "-f", prices.to_str().unwrap(), "-o", "json"]);
    let args = ["token", "create", "--project", "team-a", "--role", "member", "--subject", "alice", "-o", "json"];
    let alice = ok_json(&server, &server.token, &args)["token"].as_str().unwrap().to_string();
    let booked = ok_json(
        &server,
        &alice,
        &[
            "book",
            "-p",
            "team-a",
            "--shape",
            "H100-80GB/3g.40gb",
            "--start",
            "tomorrow 09:00",
            "--for",
            "8h",
            "-o",
            "json",
        ],
    );
    let id = booked["id"].as_str().unwrap().to_string();
    let now = jiff::Timestamp::now();
    let from = now.checked_sub(jiff::SignedDuration::from_hours(24)).unwrap().to_string();
    let to = now.checked_add(jiff::SignedDuration::from_hours(24 * 4)).unwrap().to_string();
    let window = ["usage", "--from", from.as_str(), "--to", to.as_str()];

    let report = ok_json(&server, &alice, &[&window[..], &["--by", "booking", "-o", "json"]].concat());
    assert_eq!(report["currency"], "EUR");
    assert_eq!(report["rows"][0]["booking"], id.as_str(), "{report}");
    assert_eq!(report["rows"][0]["booked_gpu_hours"].as_f64(), Some(4.0), "{report}");
    assert_eq!(report["rows"][0]["cost"].as_f64(), Some(9.6), "4/8 × 2.40 × 8 h: {report}");

    let out = cli(&server, &alice, &[&window[..], &["-p", "team-a", "-o", "csv"]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "project,booked_device_hours,booked_gpu_hours,used_gpu_hours,idle_gpu_hours,cost,currency");
    assert_eq!(lines[1], "team-a,8,4,,,9.6,EUR");
    assert_eq!(lines[2], "total,8,4,,,9.6,EUR");

    let out = cli(&server, &alice, &window);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("team-a") && table.contains("9.60") && table.contains("cost EUR"), "{table}");

    let refused = |args: &[&str]| {
        let out = cli(&server, &alice, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = refused(&[&window[..], &["--by", "colour"]].concat());
    assert!(e.contains("by") && e.contains("colour"), "{e}");
    let e = refused(&["usage", "--from", to.as_str(), "--to", from.as_str()]);
    assert!(e.contains("from"), "{e}");
    let e = refused(&["usage", "--from", "someday", "--to", to.as_str()]);
    assert!(e.contains("--from"), "{e}");
    let e = refused(&[&window[..], &["-p", "team-b"]].concat());
    assert!(e.contains("team-b"), "{e}");
}
