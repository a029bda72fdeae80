//! Bounded fuzzing of the two parsers that read untrusted text: manifests (YAML, then resolution, which
//! compiles and evaluates every size's CEL selector) and CEL selectors alone. Inputs are mutations of real
//! documents and soups of the tokens that matter (brackets, quotes, operators, anchors, tags). The property:
//! every input is answered — parsed or refused with an error — without a panic, a stack overflow or a hang.
//! The case count is fixed (`PROPTEST_CASES` raises it for a longer run), so CI time stays bounded.

use proptest::prelude::*;

const CEL_TOKENS: &[&str] = &[
    "device",
    ".",
    "attributes",
    "capacity",
    "['gpu.nvidia.com']",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    "==",
    "!=",
    "&&",
    "||",
    "!",
    "-",
    "+",
    "*",
    "/",
    "%",
    "<",
    ">=",
    "?",
    ":",
    "1",
    "0.5",
    "'x'",
    "\"y\"",
    "r'\\'",
    "'''",
    "'",
    "\\",
    "quantity('20Gi')",
    "compareTo",
    "isGreaterThan",
    "size()",
    "in",
    "has(",
    "all(",
    "x,",
    "true",
    "null",
    " ",
    "memory",
    "profile",
    "type",
    ".exists(",
    "b'",
    "\u{0}",
    "é",
];

const YAML_TOKENS: &[&str] = &[
    "\n",
    "  ",
    "- ",
    ": ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "---\n",
    "...\n",
    "&a ",
    "*a",
    "!!str ",
    "!tag ",
    "? ",
    "|\n",
    ">-\n",
    "#",
    "'",
    "\"",
    "\\",
    "kind",
    "Node",
    "Size",
    "Project",
    "Cohort",
    "name",
    "gpus",
    "model",
    "count",
    "selector",
    "quota",
    "nominal",
    "H100-80GB",
    "1",
    "-1",
    "1e400",
    "~",
    "null",
    "<<: *a",
    "\t",
    "\u{feff}",
];

fn soup(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(tokens), 0..max).prop_map(|t| t.concat()),
        // One token repeated: the chains and nestings that overflow recursive parsers.
        (proptest::sample::select(tokens), 1..4000usize).prop_map(|(t, n)| t.repeat(n)),
    ]
}

/// A real document with a stretch replaced by tokens.
fn mutated(base: &'static str, tokens: &'static [&'static str]) -> impl Strategy<Value = String> {
    (0..=base.len(), 0..64usize, soup(tokens, 24)).prop_map(move |(at, cut, insert)| {
        let at = (0..=at).rev().find(|i| base.is_char_boundary(*i)).unwrap_or(0);
        let end = (at..=(at + cut).min(base.len())).rev().find(|i| base.is_char_boundary(*i)).unwrap_or(at);
        format!("{}{insert}{}", &base[..at], &base[end..])
    })
}

const SELECTOR: &str = "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'mig' \
    && device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('20Gi')) >= 0";

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_cel_selectors_are_answered_without_a_panic(
        source in prop_oneof![soup(CEL_TOKENS, 200), mutated(SELECTOR, CEL_TOKENS)],
    ) {
        let _ = selector::resolve_size("fuzz", None, &source, &model::Catalog::builtin());
    }

    #[test]
    fn fuzz_manifests_are_answered_without_a_panic(
        text in prop_oneof![soup(YAML_TOKENS, 300), mutated(api::demo::MANIFEST, YAML_TOKENS)],
    ) {
        if let Ok(docs) = api::parse_manifests("fuzz.yaml", &text) {
            let _ = api::resolve(&docs, &model::Catalog::builtin());
        }
    }
}
