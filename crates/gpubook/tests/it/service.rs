//! The CLI against a running server, as a new user would use it: book, list, check availability, cancel,
//! create a token, apply with a dry run.

use std::process::Command;

use super::server::Server;

pub(crate) fn cli(server: &Server, token: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gpubook"))
        .args(args)
        .env("GPUBOOK_URL", &server.url)
        .env("GPUBOOK_TOKEN", token)
        .env("TZ", "Europe/Paris")
        .env_remove("GPUBOOK_CATALOG")
        .output()
        .unwrap()
}

pub(crate) fn ok_json(server: &Server, token: &str, args: &[&str]) -> serde_json::Value {
    let out = cli(server, token, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn a_booking_made_with_the_cli_shows_up_in_bookings() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::spawn(dir.path(), None);
    let admin = server.token.clone();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("admin.token")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the admin token is readable by its owner only");
    }
    let created = ok_json(
        &server,
        &admin,
        &["token", "create", "--project", "team-a", "--role", "member", "--subject", "alice", "-o", "json"],
    );
    let alice = created["token"].as_str().unwrap().to_string();
    let booked = ok_json(
        &server,
        &alice,
        &["book", "-p", "team-a", "--size", "gpu-small", "--start", "tomorrow 09:00", "--for", "4h", "-o", "json"],
    );
    let id = booked["id"].as_str().unwrap();
    // 09:00 in Paris is 08:00 UTC in winter.
    assert!(booked["start"].as_str().unwrap().ends_with("T08:00:00Z"), "{booked}");
    let list = ok_json(&server, &alice, &["bookings", "-o", "json"]);
    assert!(list.as_array().unwrap().iter().any(|b| b["id"] == id), "{list}");
    let table = cli(&server, &alice, &["bookings"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(id) && text.contains("09:00") && text.contains("CET"),
        "times show in the user's zone:\n{text}"
    );
    let avail = ok_json(
        &server,
        &alice,
        &[
            "availability",
            "-p",
            "team-a",
            "--size",
            "gpu-small",
            "--start",
            "tomorrow 09:00",
            "--for",
            "4h",
            "-o",
            "json",
        ],
    );
    assert!(avail["available"].as_u64().unwrap() > 0);
    let cancelled = ok_json(&server, &alice, &["cancel", id, "-o", "json"]);
    assert_eq!(cancelled["status"], "cancelled");
    // A refusal shows the server's reasons, and exits non-zero.
    let out = cli(
        &server,
        &alice,
        &["book", "-p", "team-a", "--shape", "H100-80GB/full", "-n", "9", "--start", "tomorrow 09:00", "--for", "1h"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("too-many-devices") || err.contains("409"), "{err}");
    // Apply with a dry run: what would change, and nothing changed.
    let file = dir.path().join("team-c.yaml");
    std::fs::write(&file, "kind: Project\nname: team-c\nquota:\n  - {model: L40S-48GB, nominal: 1}\n").unwrap();
    let dry = ok_json(&server, &admin, &["apply", "-f", file.to_str().unwrap(), "--dry-run", "-o", "json"]);
    assert_eq!(dry["changes"], serde_json::json!(["created Project team-c"]));
    let projects = ok_json(&server, &admin, &["projects", "-o", "json"]);
    assert!(!projects.to_string().contains("team-c"));
    // Without a token, the CLI says what to do.
    let out = Command::new(env!("CARGO_BIN_EXE_gpubook"))
        .args(["bookings"])
        .env("GPUBOOK_URL", &server.url)
        .env_remove("GPUBOOK_TOKEN")
        .current_dir(dir.path().parent().unwrap())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(server.terminate().code(), Some(0));
}
