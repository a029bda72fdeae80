use model::{Catalog, ShapeKey};

use super::*;

fn shapes_matching(expr: &str) -> Vec<String> {
    let r = resolve_size("t", None, expr, &Catalog::builtin()).unwrap_or_else(|e| panic!("{expr}: {e}"));
    r.size.shapes.iter().map(ShapeKey::to_string).collect()
}

fn eval(expr: &str, shape: &str) -> Outcome {
    let catalog = Catalog::builtin();
    let shape = catalog.shape(&shape.parse().unwrap()).unwrap();
    Selector::compile(expr).unwrap().evaluate(&shape.device)
}

const GPU_CLASS: &str = "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'";
const MIG_CLASS: &str = "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'mig'";

#[test]
fn nvidia_device_classes_split_whole_gpus_from_mig_slices() {
    let catalog = Catalog::builtin();
    let gpus = shapes_matching(GPU_CLASS);
    let migs = shapes_matching(MIG_CLASS);
    assert_eq!(gpus.len(), catalog.models().count());
    assert!(gpus.iter().all(|s| s.ends_with("/full")));
    assert!(migs.iter().all(|s| !s.ends_with("/full")));
    assert_eq!(gpus.len() + migs.len(), catalog.shapes().len());
    // The compute-domain classes select another driver: no GPU shape matches, nothing fails.
    let cd = "device.driver == 'compute-domain.nvidia.com' && device.attributes['compute-domain.nvidia.com'].type == 'daemon'";
    let r = resolve_size("cd", None, cd, &catalog).unwrap();
    assert!(r.size.shapes.is_empty());
    assert_eq!(r.warnings, ["the selector matches no shape of the catalog"]);
}

/// Every selector in the NVIDIA DRA driver's DeviceClasses in `../shared` compiles and never fails on a shape.
#[test]
fn shared_device_class_selectors_evaluate_on_every_shape() {
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/schemas/nvidia/dra-driver-nvidia-gpu/deviceclasses.yaml");
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} is absent (the inline copies above still run)");
        return;
    };
    let mut seen = 0;
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let v: serde_yaml::Value = <serde_yaml::Value as serde::Deserialize>::deserialize(doc).unwrap();
        for sel in v["spec"]["selectors"].as_sequence().into_iter().flatten() {
            let expr = sel["cel"]["expression"].as_str().unwrap();
            let s = Selector::compile(expr).unwrap();
            for shape in Catalog::builtin().shapes() {
                assert!(matches!(s.evaluate(&shape.device), Outcome::Match(_)), "{expr} on {}", shape.key);
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 5);
}

#[test]
fn dra_driver_claim_examples_select_the_slices_they_describe() {
    // example-gpu-simple-mig-by-capacity.yaml, under the mig.nvidia.com class.
    let by_capacity = format!(
        "{MIG_CLASS} && device.capacity['gpu.nvidia.com'].multiprocessors.isGreaterThan(quantity(\"10\")) \
         && device.capacity['gpu.nvidia.com'].memory.isGreaterThan(quantity(\"10Gi\"))"
    );
    let m = shapes_matching(&by_capacity);
    assert!(m.contains(&"H100-80GB/1g.20gb".to_string()));
    assert!(!m.contains(&"H100-80GB/1g.10gb".to_string()), "9.75 GiB is not more than 10Gi");
    assert!(m.contains(&"H100-94GB/1g.12gb".to_string()), "10.62 GiB is");
    // example-gpu-test4-mig-by-profile.yaml.
    assert_eq!(
        shapes_matching(&format!("{MIG_CLASS} && device.attributes['gpu.nvidia.com'].profile == '3g.20gb'")),
        ["A100-40GB/3g.20gb"]
    );
    // example-extended-resource-mig-1g-12gb.yaml.
    assert_eq!(
        shapes_matching(
            "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'mig' && device.attributes['gpu.nvidia.com'].profile == '1g.12gb'"
        ),
        ["H100-94GB/1g.12gb", "H100-96GB/1g.12gb"]
    );
}

#[test]
fn profile_selector_without_type_guard_warns_like_kubernetes_would_fail() {
    let r = resolve_size("s", None, "device.attributes['gpu.nvidia.com'].profile == '2g.35gb'", &Catalog::builtin())
        .unwrap();
    let keys: Vec<String> = r.size.shapes.iter().map(ShapeKey::to_string).collect();
    assert_eq!(keys, ["H200-141GB/2g.35gb"]);
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].contains("/full"), "{}", r.warnings[0]);
    assert!(r.warnings[0].contains("has(...)"));
}

#[test]
fn quantities_and_versions_compare_as_in_kubernetes() {
    let big = shapes_matching(&format!(
        "{GPU_CLASS} && device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('100Gi')) >= 0"
    ));
    assert!(big.contains(&"H200-141GB/full".to_string()) && !big.contains(&"H100-80GB/full".to_string()));
    let hopper_up = shapes_matching(&format!(
        "{GPU_CLASS} && device.attributes['gpu.nvidia.com'].cudaComputeCapability.compareTo(semver('9.0.0')) >= 0"
    ));
    assert!(hopper_up.contains(&"H100-80GB/full".to_string()) && !hopper_up.contains(&"A100-80GB/full".to_string()));
    let h100 = shapes_matching(&format!(
        "{GPU_CLASS} && device.attributes['gpu.nvidia.com'].productName.lowerAscii().matches('^.*h100.*$')"
    ));
    assert_eq!(h100, ["H100-80GB/full", "H100-94GB/full"]);
    assert_eq!(
        eval("device.capacity['gpu.nvidia.com'].memory.asInteger() == 85520809984", "H100-80GB/full"),
        Outcome::Match(true)
    );
}

#[test]
fn default_sizes_match_the_slices_they_are_named_for() {
    let catalog = Catalog::builtin();
    let of = |name: &str| {
        let (_, _, expr) = model::size::DEFAULT_SIZES.iter().find(|(n, _, _)| *n == name).unwrap();
        let r = resolve_size(name, None, expr, &catalog).unwrap();
        assert!(r.warnings.is_empty(), "{name}: {:?}", r.warnings);
        r.size.shapes.iter().map(ShapeKey::to_string).collect::<Vec<_>>()
    };
    let small = of("gpu-small");
    for s in ["H100-80GB/2g.20gb", "H100-80GB/1g.20gb", "H200-141GB/2g.35gb", "RTX-PRO-6000-Blackwell-96GB/1g.24gb"] {
        assert!(small.contains(&s.to_string()), "{s}");
    }
    for s in ["H100-80GB/1g.10gb", "H200-141GB/1g.18gb", "H100-80GB/full"] {
        assert!(!small.contains(&s.to_string()), "{s}");
    }
    let medium = of("gpu-medium");
    assert!(medium.contains(&"H100-80GB/3g.40gb".to_string()) && !medium.contains(&"H100-80GB/2g.20gb".to_string()));
    let large = of("gpu-large");
    assert!(large.contains(&"H100-80GB/full".to_string()) && large.contains(&"A100-80GB/full".to_string()));
    assert!(!large.contains(&"L40S-48GB/full".to_string()) && large.iter().all(|s| s.ends_with("/full")));
}

#[test]
fn an_unknown_domain_is_an_empty_map_as_in_kubernetes() {
    assert_eq!(eval("!has(device.attributes['example.com'].color)", "H100-80GB/full"), Outcome::Match(true));
    assert_eq!(eval("size(device.capacity['example.com']) == 0", "H100-80GB/full"), Outcome::Match(true));
    let e =
        resolve_size("x", None, "device.attributes['example.com'].color == 'red'", &Catalog::builtin()).unwrap_err();
    assert!(matches!(&e, SelectorError::FailsEverywhere { message, .. } if message.contains("color")), "{e}");
}

#[test]
fn bad_selectors_are_refused_with_position_and_reason() {
    let e = Selector::compile("device.driver == ").unwrap_err();
    assert!(matches!(e, SelectorError::Syntax { line: 1, .. }), "{e}");
    let e = Selector::compile("device.driver ==\n  'x' &&& true").unwrap_err();
    assert!(matches!(e, SelectorError::Syntax { line: 2, .. }), "{e}");
    let e = resolve_size("x", None, "device.driver", &Catalog::builtin()).unwrap_err();
    assert!(matches!(e, SelectorError::NotBool { .. }), "{e}");
    let long = format!("true{}", " && true".repeat(2000));
    assert!(matches!(Selector::compile(&long).unwrap_err(), SelectorError::TooLong { .. }));
    let deep = format!("{}true{}", "(".repeat(100), ")".repeat(100));
    assert!(matches!(Selector::compile(&deep).unwrap_err(), SelectorError::TooDeep { depth: 100, .. }));
    assert!(
        Selector::compile("'((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((' != ''").is_ok()
    );
}

#[test]
fn costs_are_bounded_before_evaluation() {
    let list: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let l = format!("[{}]", list.join(","));
    let cubic = format!("{l}.all(a, {l}.all(b, {l}.all(c, a + b + c >= 0)))");
    assert!(matches!(Selector::compile(&cubic).unwrap_err(), SelectorError::TooCostly { .. }));
    let linear = format!("{l}.all(a, a >= 0)");
    assert!(Selector::compile(&linear).is_ok());
    assert_eq!(eval(&linear, "H100-80GB/full"), Outcome::Match(true));
}

/// Known differences from Kubernetes (reference/dependencies.md §4). If one of these starts failing the
/// engine changed: update the list in lib.rs and the docs.
#[test]
fn known_gaps_against_kubernetes_are_as_documented() {
    let e = Selector::compile("cel.bind(x, 1, x + 1) == 2").unwrap_err();
    assert!(matches!(&e, SelectorError::Unsupported { what, .. } if what == "cel.bind"), "{e}");
    let e = Selector::compile("{'a': 1}[?'b'].orValue(5) == 5").unwrap_err();
    assert!(e.to_string().contains("optional field and index syntax"), "{e}");
    // Kubernetes counts code points (5); cel-rust 0.13 counts bytes.
    assert_eq!(eval("size('héllo') == 6", "H100-80GB/full"), Outcome::Match(true));
}

#[test]
fn chains_without_brackets_are_bounded_before_parsing() {
    // Each of these once overflowed the parser's stack and aborted the process.
    let members = format!("device{} == 1", ".a".repeat(2800));
    let unary = format!("{}true", "!".repeat(5000));
    let binary = format!("1{} == 1", " + 1".repeat(2000));
    for source in [members, unary, binary] {
        let err = Selector::compile(&source).unwrap_err();
        assert!(matches!(err, SelectorError::TooManyOperators { .. }), "{err}");
    }
    // Strings hide nothing: a raw string's backslash does not escape its quote, and a triple-quoted string
    // may hold single quotes; brackets hidden behind a string are still counted.
    let hidden = format!("r'\\' == ''{}'", "(".repeat(100));
    assert!(Selector::compile(&hidden).is_err());
    let offset = format!("{}true{}", "(')'".repeat(100), ")".repeat(100));
    assert!(matches!(Selector::compile(&offset).unwrap_err(), SelectorError::TooDeep { .. }));
    let quoted = Selector::compile("'a.b.c' != '' && \"it's\" != '' && r'\\d' != ''");
    assert!(quoted.is_ok(), "{quoted:?}");
}

#[test]
fn the_deepest_accepted_trees_resolve_on_the_known_stack() {
    let most = crate::MAX_OPERATORS;
    let deepest = [
        format!("device{} == 1", ".a".repeat(most / 2 - 1)),
        format!("device.driver == 'x'{}", " || device.driver == 'x'".repeat(most / 5 - 1)),
        format!("{}true", "!".repeat(most)),
        format!("1{} > 0", " +1".repeat(most - 1)),
        format!("{}true{}", "(".repeat(crate::MAX_NESTING), ")".repeat(crate::MAX_NESTING)),
        format!("{}1{}.size() > 0", "[".repeat(crate::MAX_NESTING), "]".repeat(crate::MAX_NESTING)),
    ];
    // Called from a thread with a small stack: the work itself runs on the known one.
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            for source in deepest {
                assert!(crate::cost::operators(&source) <= most, "{source}");
                let _ = resolve_size("deep", None, &source, &Catalog::builtin());
            }
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
}
