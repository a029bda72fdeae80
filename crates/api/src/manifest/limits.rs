//! Limits on manifest text, checked in one linear pass before the YAML parser sees it.
//!
//! libyaml (under `serde_yaml`) takes time quadratic in the nesting of flow collections (`[[[…]]]`: 200,000
//! brackets cost over a minute), and parses a whole document before `serde_yaml`'s recursion limit applies.
//! So the text is scanned first for an upper bound of libyaml's flow level, and refused when it could be
//! deeper than [`MAX_FLOW_DEPTH`] or hold more than [`MAX_DOCUMENTS`] documents.
//!
//! The bound is sound without tokenising YAML exactly: the scan follows every way libyaml could read each
//! character at once (a set of `(mode, level)` states, a bit per level). A quote, `#`, `|`/`>` block scalar,
//! `%` directive or `!<…>` verbatim tag may start a region that hides brackets, or may be plain text: both
//! are followed. A `[` or `{` in block context may open a flow collection or be text in a plain scalar: both
//! are followed. Only in flow context, outside such regions, is a bracket always an indicator (plain scalars
//! end at `[]{},`, anchors and non-verbatim tags cannot hold them), and there it moves the level for sure.
//! The state libyaml is really in is therefore always among those followed, and the deepest of them bounds
//! its flow level. Manifests pay only for brackets inside strings or comments that are unbalanced.

/// How deep `[…]` and `{…}` may nest in a manifest (gpubook's own manifests need 3).
pub const MAX_FLOW_DEPTH: usize = 64;

/// How many YAML documents (`---`) one manifest text may hold.
pub const MAX_DOCUMENTS: usize = 10_000;

/// One bit per flow level `0..=MAX_FLOW_DEPTH`; a bit above means too deep.
type Levels = u128;
const TOO_DEEP: Levels = !0 << (MAX_FLOW_DEPTH + 1);

/// Why a text was refused before parsing: the (1-based) document it was in, and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refused {
    pub(crate) document: usize,
    pub(crate) reason: String,
}

/// The states libyaml may be in, by mode, each a set of flow levels.
#[derive(Clone, Copy, Default)]
struct States {
    /// Tokens: indicators, plain scalars, anchors, tags.
    normal: Levels,
    /// Inside `'…'`.
    single: Levels,
    /// Just read a `'` inside `'…'` that the next `'` escapes.
    single_escape: Levels,
    /// Inside `"…"`.
    double: Levels,
    /// Just read a `\` inside `"…"`.
    double_escape: Levels,
    /// A comment or a directive, to the end of the line.
    line: Levels,
    /// Inside `!<…>`.
    verbatim: Levels,
    /// Inside a block scalar (`|` or `>`, block context only): it may end at any line start.
    block: bool,
}

/// Where a character is: at a line start, after a blank (or the line start), right after a letter or digit.
#[derive(Clone, Copy)]
struct Place {
    line_start: bool,
    after_blank: bool,
    after_word: bool,
}

/// A YAML line break: `\n`, `\r`, NEL, LS or PS. Answers its length in bytes.
fn line_break(rest: &[u8]) -> Option<usize> {
    match rest {
        [b'\n' | b'\r', ..] => Some(1),
        [0xC2, 0x85, ..] => Some(2),
        [0xE2, 0x80, 0xA8 | 0xA9, ..] => Some(3),
        _ => None,
    }
}

/// Whether `text` may go to the YAML parser: flow collections nest at most [`MAX_FLOW_DEPTH`] deep and there
/// are at most [`MAX_DOCUMENTS`] documents. Linear in the length of the text.
pub(crate) fn prescan(text: &str) -> Result<(), Refused> {
    scan(text).map(|_| ())
}

/// The bound on libyaml's flow level over `text`, or why `text` is refused.
fn scan(text: &str) -> Result<usize, Refused> {
    let mut deepest = 0;
    let bytes = text.as_bytes();
    let mut st = States { normal: 1, ..States::default() };
    // The document being read (1-based), and whether it has begun (a `---` or any text).
    let (mut document, mut begun) = (1usize, false);
    let (mut line, mut line_at) = (1usize, 0usize);
    for (i, &b) in bytes.iter().enumerate() {
        let rest = &bytes[i..];
        let line_start = i == line_at;
        if line_start && rest.starts_with(b"---") && matches!(rest.get(3), None | Some(b' ' | b'\t' | b'\n' | b'\r')) {
            if begun {
                document += 1;
            }
            if document > MAX_DOCUMENTS {
                let reason = format!("more than {MAX_DOCUMENTS} documents in one manifest");
                return Err(Refused { document, reason });
            }
        }
        begun |= !b.is_ascii_whitespace();
        let brk = line_break(rest);
        let special = brk.is_some()
            || matches!(b, b'[' | b']' | b'{' | b'}' | b'\'' | b'"' | b'\\' | b'#' | b'%' | b'|' | b'>' | b'!');
        if special {
            let prev = i.checked_sub(1).map(|p| bytes[p]);
            let at = Place {
                line_start,
                after_blank: line_start || matches!(prev, None | Some(b' ' | b'\t')),
                after_word: !line_start && prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == b'_'),
            };
            st = step(st, b, rest, at, brk.is_some());
            if st.normal & TOO_DEEP != 0 {
                let reason = format!(
                    "flow collections ([…] and {{…}}) may nest at most {MAX_FLOW_DEPTH} deep; line {line} goes deeper"
                );
                return Err(Refused { document, reason });
            }
            deepest = deepest.max((Levels::BITS - st.normal.leading_zeros()).saturating_sub(1));
        } else {
            // Nothing changes but the one-character escapes, which end here.
            st.single |= std::mem::take(&mut st.single_escape);
            st.double |= std::mem::take(&mut st.double_escape);
        }
        // `\r\n` is one break: the line starts after the `\n`.
        if let Some(len) = brk
            && !(b == b'\r' && rest.get(1) == Some(&b'\n'))
        {
            line += 1;
            line_at = i + len;
        }
    }
    Ok(deepest as usize)
}

/// The states after byte `b` (a special one; `rest` starts with it).
fn step(st: States, b: u8, rest: &[u8], at: Place, brk: bool) -> States {
    let Place { line_start, after_blank, after_word } = at;
    let n = st.normal;
    let mut next = States { block: st.block, ..States::default() };
    // Tokens. Right after a letter or digit a character continues a plain scalar (anything else that ends
    // in one, an anchor or alias, must be followed by a blank, and a tag takes quotes as URI characters);
    // after a blank or the line start a `#` always starts a comment.
    let fork = if after_word { 0 } else { n };
    match b {
        // In block context text or a flow start; in flow context always one level deeper.
        b'[' | b'{' => next.normal |= ((n & !1) << 1) | (n & 1) | ((fork & 1) << 1),
        // In flow context always one level up; in block context nothing.
        b']' | b'}' => next.normal |= (n >> 1) | (n & 1),
        b'\'' => {
            next.normal |= n;
            next.single |= fork;
        }
        b'"' => {
            next.normal |= n;
            next.double |= fork;
        }
        b'#' if after_blank => next.line |= n,
        b'#' => {
            next.normal |= n;
            next.line |= fork;
        }
        b'%' if after_blank && line_start => {
            next.normal |= n;
            next.line |= n;
        }
        b'|' | b'>' => {
            next.normal |= n;
            next.block |= n & 1 != 0;
        }
        b'!' if rest.get(1) == Some(&b'<') => {
            next.normal |= n;
            next.verbatim |= n;
        }
        _ => next.normal |= n,
    }
    // Single-quoted: `''` is a quote, a lone `'` ends it.
    next.single |= st.single_escape;
    if b == b'\'' {
        if rest.get(1) == Some(&b'\'') {
            next.single_escape |= st.single;
        } else {
            next.normal |= st.single;
        }
    } else {
        next.single |= st.single;
    }
    // Double-quoted: `\` escapes the next character, `"` ends it.
    next.double |= st.double_escape;
    match b {
        b'\\' => next.double_escape |= st.double,
        b'"' => next.normal |= st.double,
        _ => next.double |= st.double,
    }
    // Comments and directives end at the line break.
    if brk {
        next.normal |= st.line;
    } else {
        next.line |= st.line;
    }
    // A verbatim tag ends at `>`.
    if b == b'>' {
        next.normal |= st.verbatim;
    } else {
        next.verbatim |= st.verbatim;
    }
    // A block scalar may end at any line start, in block context.
    if brk && st.block {
        next.normal |= 1;
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str) -> bool {
        prescan(text).is_ok()
    }

    #[test]
    fn deep_flow_nesting_is_refused_in_one_pass() {
        let n = 200_000;
        let text = format!("kind: Size\nname: x\nselector: {}{}\n", "[".repeat(n), "]".repeat(n));
        let e = prescan(&text).unwrap_err();
        assert_eq!(e.document, 1);
        assert!(e.reason.contains("at most 64 deep") && e.reason.contains("line 3"), "{}", e.reason);
        let json = format!("{}{}", "{\"a\":".repeat(n), "}".repeat(n));
        assert!(!depth_ok(&json));
    }

    #[test]
    fn the_limit_is_64_levels() {
        assert!(depth_ok(&format!("a: {}{}\n", "[".repeat(64), "]".repeat(64))));
        assert!(!depth_ok(&format!("a: {}{}\n", "[".repeat(65), "]".repeat(65))));
        assert!(depth_ok(&format!("a: {}\n", "[1], {b: [2]}, ".repeat(10_000))), "wide is fine, only deep is not");
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count_when_balanced() {
        let selector = "selector: \"device.attributes['gpu.nvidia.com'].productName == 'NVIDIA [H100]'\"\n";
        let comment = "# see [1] and {2}; it's fine\n";
        let text = format!("{}{}", selector.repeat(200), comment.repeat(200));
        assert!(depth_ok(&text));
        assert!(depth_ok(crate::demo::MANIFEST));
        assert!(depth_ok("description: |\n  [[[[ a block scalar\n  ]]]]\nname: x\n"));
    }

    #[test]
    fn what_could_hide_a_closing_bracket_does_not_lower_the_bound() {
        let n = 1_000;
        // A closing bracket in quotes is not one: libyaml nests 2 per group.
        assert!(!depth_ok(&format!("a: {}\n", "[ \"]\", [ ']', ".repeat(n))));
        // An apostrophe in a plain scalar opens no string: the brackets after it still count.
        assert!(!depth_ok(&format!("a: it's\n{}{} '\n", "[".repeat(n), "]".repeat(n))));
        assert!(!depth_ok(&format!("a: x\n 'y\nb: {}{} '\n", "[".repeat(n), "]".repeat(n))));
        // A `#` in a plain scalar starts no comment; a NEL ends a comment.
        assert!(!depth_ok(&format!("a: [x#y, {}{}]\n", "[".repeat(n), "]".repeat(n))));
        assert!(!depth_ok(&format!("# c\u{85}{}{}\n", "[".repeat(n), "]".repeat(n))));
        // A block scalar may end at the next line.
        assert!(!depth_ok(&format!("a: |\nb: {}{}\n", "[".repeat(n), "]".repeat(n))));
    }

    #[test]
    fn big_real_manifests_pass() {
        let demo = crate::demo::MANIFEST;
        prescan(&format!("{demo}\n---\n").repeat(300)).unwrap();
        let docs = crate::parse_manifests("demo.yaml", demo).unwrap();
        let stored: String = docs.iter().map(|l| format!("---\n{}", l.doc.to_yaml())).collect();
        prescan(&stored.repeat(300)).unwrap();
        let size = "kind: Size\nname: s\ndescription: it's [beta] {really}, don't use it # or do: it's [\n\
                    selector: \"device.attributes['gpu.nvidia.com'].productName == 'NVIDIA [H100]'\"\n\
                    ---\nkind: Size\nname: t\ndescription: 'it''s [beta], \"quoted\"'\n\
                    selector: device.attributes['gpu.nvidia.com'].type == 'mig' # a [comment\n---\n\
                    {\"kind\": \"Project\", \"name\": \"p\", \"quota\": [{\"model\": \"H100-80GB\", \"nominal\": 1}]}\n---\n";
        prescan(&size.repeat(2_000)).unwrap();
    }

    /// The nesting of a parsed value.
    fn nesting(v: &serde_yaml::Value) -> usize {
        match v {
            serde_yaml::Value::Sequence(s) => 1 + s.iter().map(nesting).max().unwrap_or(0),
            serde_yaml::Value::Mapping(m) => 1 + m.iter().map(|(k, v)| nesting(k).max(nesting(v))).max().unwrap_or(0),
            serde_yaml::Value::Tagged(t) => nesting(&t.value),
            _ => 0,
        }
    }

    /// Random texts of flow collections after `x: `: whatever libyaml makes of them, the bound is at least
    /// the nesting it parsed, less the two block mappings that `x: ` and an indented line can make.
    #[test]
    fn the_bound_holds_libyamls_nesting_on_random_texts() {
        const PIECES: [&str; 24] = [
            "[", "]", "{", "}", "[", "]", "'", "\"", "#", " ", "\n ", "a", "b'", ",", ": ", "|", "\\", "!<", ">", "%",
            "\u{85}", "''", " #", "&x ",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut parsed = 0;
        for _ in 0..30_000 {
            let mut text = String::from("x: ");
            for _ in 0..(seed % 24 + 4) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
            }
            let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(&text) else { continue };
            parsed += 1;
            let bound = scan(&text).unwrap();
            assert!(bound + 2 >= nesting(&value), "{text:?}: bound {bound}, parsed {value:?}");
        }
        assert!(parsed > 1_000, "only {parsed} texts parsed");
    }

    #[test]
    fn too_many_documents() {
        assert!(depth_ok(&"kind: Cohort\nname: c\n---\n".repeat(MAX_DOCUMENTS - 1)));
        let e = prescan(&"kind: Cohort\nname: c\n---\n".repeat(MAX_DOCUMENTS + 1)).unwrap_err();
        assert!(e.reason.contains("more than 10000 documents"), "{}", e.reason);
    }
}
