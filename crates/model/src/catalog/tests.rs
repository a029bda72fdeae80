use super::*;

const MIG_MODELS: [&str; 11] = [
    "A30-24GB",
    "A100-40GB",
    "A100-80GB",
    "H100-80GB",
    "H100-94GB",
    "H100-96GB",
    "GH200-144GB",
    "H200-141GB",
    "B200-180GB",
    "GB200-186GB",
    "RTX-PRO-6000-Blackwell-96GB",
];

#[test]
fn builtin_catalog_has_every_mig_model_with_its_own_unit_count() {
    let catalog = Catalog::builtin();
    for key in MIG_MODELS {
        let model = catalog.get(key).unwrap_or_else(|| panic!("{key} missing"));
        assert!(model.mig.is_some(), "{key} has MIG");
    }
    let units = |k: &str| catalog.get(k).unwrap().units();
    assert_eq!(units("A30-24GB"), 4);
    assert_eq!(units("H100-80GB"), 8);
    assert_eq!(units("RTX-PRO-6000-Blackwell-96GB"), 12);
    assert_eq!(units("L40S-48GB"), 1, "a GPU without MIG is one unit, bookable whole");
    assert!(catalog.get("RTX-PRO-5000-Blackwell-48GB").unwrap().mig.is_none(), "placements unknown");
}

/// The embedded catalog's MIG tables are exactly the compiled NVIDIA tables in `../shared`, when present.
#[test]
fn builtin_geometry_matches_shared_mig_geometry_json() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/schemas/nvidia/mig-geometry/mig-geometry.json");
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} is absent (the catalog is still checked by the other tests)");
        return;
    };
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let catalog = Catalog::builtin();
    let mut compared = 0;
    for gpu in doc["gpus"].as_array().unwrap() {
        let key = gpu["key"].as_str().unwrap();
        let model = catalog.get(key).unwrap_or_else(|| panic!("{key} missing from the catalog"));
        assert_eq!(model.placement_confidence.as_str(), gpu["placementConfidence"].as_str().unwrap(), "{key}");
        let Some(units) = gpu["memorySlices"].as_u64() else {
            assert!(model.mig.is_none(), "{key}: no placements upstream, so no MIG geometry here");
            continue;
        };
        let g = model.mig.as_ref().unwrap();
        assert_eq!(u64::from(g.units), units, "{key}");
        assert_eq!(u64::from(g.compute_slices), gpu["computeSlices"].as_u64().unwrap(), "{key}");
        let profiles = gpu["profiles"].as_array().unwrap();
        assert_eq!(g.profiles.len(), profiles.len(), "{key}");
        for (ours, theirs) in g.profiles.iter().zip(profiles) {
            let n = |f: &str| theirs[f].as_u64().map(|v| v as u32);
            assert_eq!(ours.name, theirs["name"].as_str().unwrap());
            assert_eq!(Some(ours.id), n("giProfileId"), "{key} {}", ours.name);
            assert_eq!(Some(ours.compute_slices), n("computeSlices"), "{key} {}", ours.name);
            assert_eq!(Some(ours.size), n("placementSize"), "{key} {}", ours.name);
            assert_eq!(Some(ours.max), n("maxInstances"), "{key} {}", ours.name);
            assert_eq!(ours.multiprocessors, n("smCount"), "{key} {}", ours.name);
            let starts: Vec<u32> =
                theirs["placementStarts"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap() as u32).collect();
            assert_eq!(ours.starts, starts, "{key} {}", ours.name);
            compared += 1;
        }
    }
    assert!(compared > 70, "compared {compared} profiles");
}

#[test]
fn profiles_are_keyed_per_model() {
    let catalog = Catalog::builtin();
    // ID 14 is 2g.20gb on H100 but 1g.6gb on A30 and 1g.24gb on RTX PRO 6000 (reference/mig.md §0.5).
    let id = |model: &str, profile: &str| {
        let g = catalog.get(model).unwrap().mig.as_ref().unwrap();
        g.profile(g.find(profile).unwrap()).id
    };
    assert_eq!(id("H100-80GB", "2g.20gb"), 14);
    assert_eq!(id("A30-24GB", "1g.6gb"), 14);
    assert_eq!(id("RTX-PRO-6000-Blackwell-96GB", "1g.24gb"), 14);
    let g = catalog.get("H100-94GB").unwrap().mig.as_ref().unwrap();
    assert_eq!(g.profile(g.find("1g.24gb").unwrap()).size, 2);
    let r = catalog.get("RTX-PRO-6000-Blackwell-96GB").unwrap().mig.as_ref().unwrap();
    assert_eq!(r.profile(r.find("1g.24gb").unwrap()).size, 3);
}

fn source(json: &str) -> CatalogSource {
    serde_json::from_str(json).unwrap()
}

const TINY: &str = r#"{"models":[{"key":"T-4","productName":"T","architecture":"Test","cudaComputeCapability":"9.0",
  "memoryMiB":4096,"mig":{"memorySlices":4,"computeSlices":4,"profiles":[
  {"name":"1g.1gb","id":1,"computeSlices":1,"size":1,"starts":[0,1,2,3],"max":4,"memoryMiB":1024}]}}]}"#;

#[test]
fn a_catalog_file_adds_and_replaces_models() {
    let catalog = Catalog::builtin().merged(source(TINY)).unwrap();
    assert_eq!(catalog.get("T-4").unwrap().units(), 4);
    let replaced = TINY.replace("T-4", "H100-80GB");
    let catalog = Catalog::builtin().merged(source(&replaced)).unwrap();
    assert_eq!(catalog.get("H100-80GB").unwrap().units(), 4);
}

#[test]
fn bad_catalog_entries_name_the_model_and_field() {
    let cases = [
        (TINY.replace("\"starts\":[0,1,2,3]", "\"starts\":[0,4]"), "mig.profiles[0].starts", "runs past"),
        (TINY.replace("\"memorySlices\":4", "\"memorySlices\":40"), "mig.memorySlices", "between 1 and 32"),
        (TINY.replace("\"9.0\"", "\"nine\""), "cudaComputeCapability", "major.minor"),
        (TINY.replace("\"max\":4", "\"max\":0"), "mig.profiles[0].max", "positive"),
        (TINY.replace("\"computeSlices\":1", "\"computeSlices\":5"), "mig.profiles[0].computeSlices", "between"),
    ];
    for (json, field, reason) in cases {
        let e = Catalog::from_source(source(&json)).unwrap_err();
        assert_eq!((e.model.as_str(), e.field.as_str()), ("T-4", field), "{e}");
        assert!(e.reason.contains(reason), "{e}");
    }
    let model = &TINY[TINY.find("{\"key\"").unwrap()..TINY.len() - 2];
    let twice = format!("{{\"models\":[{model},{model}]}}");
    assert!(Catalog::from_source(source(&twice)).unwrap_err().reason.contains("twice"));
    assert!(serde_json::from_str::<CatalogSource>(&TINY.replace("\"key\"", "\"colour\":1,\"key\"")).is_err());
}
