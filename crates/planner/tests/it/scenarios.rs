//! Runs every `tests/data/*.scenario` and fails with the lines whose expectation did not hold.

#[test]
fn every_scenario_holds() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.retain(|p| p.extension().is_some_and(|e| e == "scenario"));
    names.sort();
    assert!(names.len() >= 8, "scenario files found: {names:?}");
    let mut failures = Vec::new();
    for path in &names {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        match planner::scenario::run(&text, &crate::catalog()) {
            Ok(out) => {
                if !out.failures.is_empty() {
                    failures.push(format!(
                        "{name}:\n  {}\n  transcript:\n    {}",
                        out.failures.join("\n  "),
                        out.transcript.join("\n    ")
                    ));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
