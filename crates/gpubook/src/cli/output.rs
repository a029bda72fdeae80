//! Output formats shared by every verb: a readable table, or JSON / YAML for scripts.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
    Yaml,
}

/// Writes `text` to standard output. A reader that closed the pipe (`gpubook … | head`) has seen enough:
/// that is not an error, and certainly not a panic as `println!` would make it.
pub(crate) fn say(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Prints `value` as JSON or YAML, or calls `table` to build the table form.
pub(crate) fn emit<T: Serialize>(format: Format, value: &T, table: impl FnOnce() -> Table) -> anyhow::Result<()> {
    match format {
        Format::Json => say(&format!("{}\n", serde_json::to_string_pretty(value)?)),
        Format::Yaml => say(&serde_yaml::to_string(value)?),
        Format::Table => say(&format!("{}\n", table())),
    }
}

pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_header(header);
    t
}
