//! Reading scenario lines into definitions and steps.

use std::collections::{BTreeMap, BTreeSet};

use model::{
    Catalog, Cohort, Definitions, Fleet, Gpu, GpuId, Instant, Layout, Limits, Mode, ModelKey, Node, Project, Quota,
    Reconfiguration, Slices, Want, Window,
};

/// Day 0 of scenarios: 2026-01-05T00:00:00Z, a Monday.
pub(crate) const DAY0: i64 = 1_767_571_200;

#[derive(Clone, Debug)]
pub(crate) enum Step {
    Now(Instant),
    Book {
        line: usize,
        text: String,
        project: String,
        want: Want,
        count: u32,
        window: Window,
        mode: Mode,
        priority: Option<i32>,
        expect: Expect,
    },
    Availability {
        line: usize,
        text: String,
        project: String,
        want: Want,
        window: Window,
        mode: Mode,
        expect: u32,
    },
    Earliest {
        line: usize,
        text: String,
        request: model::Request,
        expect: Option<Instant>,
    },
    Cancel {
        line: usize,
        id: u64,
    },
    Check {
        line: usize,
    },
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Expect {
    pub(crate) verdict: String,
    pub(crate) args: Vec<String>,
    pub(crate) on_gpu: Option<String>,
    pub(crate) reasons: Vec<String>,
    pub(crate) moved: Option<usize>,
}

pub(crate) struct Parsed {
    pub(crate) defs: Definitions,
    pub(crate) gap_s: i64,
    pub(crate) steps: Vec<Step>,
}

type Result<T> = std::result::Result<T, String>;

pub(crate) fn time(s: &str) -> Result<Instant> {
    let (day, hm) = match s.split_once('/') {
        Some((d, hm)) => {
            (d.strip_prefix('d').and_then(|d| d.parse::<i64>().ok()).ok_or(format!("bad day in {s:?}"))?, hm)
        }
        None => (0, s),
    };
    let (h, m) = hm.split_once(':').ok_or(format!("{s:?} is not HH:MM or dN/HH:MM"))?;
    let (h, m): (i64, i64) =
        (h.parse().map_err(|_| format!("bad hour in {s:?}"))?, m.parse().map_err(|_| format!("bad minute in {s:?}"))?);
    if !(0..=24).contains(&h) || !(0..60).contains(&m) {
        return Err(format!("{s:?} is not a time of day"));
    }
    Ok(Instant(DAY0 + day * 86_400 + h * 3600 + m * 60))
}

pub(crate) fn show_time(t: Instant) -> String {
    let rel = t.0 - DAY0;
    let (day, rest) = (rel.div_euclid(86_400), rel.rem_euclid(86_400));
    let hm = format!("{:02}:{:02}", rest / 3600, rest % 3600 / 60);
    if day == 0 { hm } else { format!("d{day}/{hm}") }
}

fn window(s: &str) -> Result<Window> {
    let (a, b) = s.split_once('-').ok_or(format!("{s:?} is not START-END"))?;
    Window::new(time(a)?, time(b)?)
}

fn want(s: &str) -> Result<Want> {
    Ok(if s.contains('/') { Want::Shape(s.parse()?) } else { Want::Size(s.into()) })
}

fn options<'a>(words: &[&'a str]) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for w in words {
        if let Some((k, v)) = w.split_once('=') {
            out.entry(k).or_default().push(v);
        }
    }
    out
}

fn expect(s: &str) -> Expect {
    let mut e = Expect::default();
    for w in s.split_whitespace() {
        if let Some(code) = w.strip_prefix('[').and_then(|w| w.strip_suffix(']')) {
            e.reasons.push(code.into());
        } else if let Some(n) = w.strip_prefix("moved=").and_then(|n| n.parse().ok()) {
            e.moved = Some(n);
        } else if let Some(gpu) = w.strip_prefix('@') {
            e.on_gpu = Some(gpu.into());
        } else if e.verdict.is_empty() {
            e.verdict = w.into();
        } else {
            e.args.push(w.into());
        }
    }
    e
}

fn node(words: &[&str], catalog: &Catalog) -> Result<Node> {
    let [name, model, count, mode, rest @ ..] = words else {
        return Err("node NAME MODEL xN MODE [layout=…]".into());
    };
    let m = catalog.get(model).ok_or(format!("unknown GPU model {model}"))?;
    let count: u32 = count.strip_prefix('x').and_then(|c| c.parse().ok()).ok_or("count is xN")?;
    let reconfiguration = Reconfiguration::parse(mode).ok_or(format!("{mode:?} is not dynamic, per-gpu or static"))?;
    let layout = match options(rest).get("layout").and_then(|v| v.first()) {
        None => None,
        Some(l) => {
            let g = m.mig.as_ref().ok_or(format!("{model} has no MIG"))?;
            let layout = if l.contains('@') {
                let items: Result<Vec<_>> = l
                    .split(',')
                    .map(|i| {
                        let (p, s) = i.split_once('@').ok_or(format!("{i:?} is not profile@start"))?;
                        g.placement(p, s.parse().map_err(|_| format!("bad start in {i:?}"))?).map_err(|e| e.to_string())
                    })
                    .collect();
                Layout::new(items?)
            } else {
                g.layout_named(l).ok_or(format!("{l:?} is not a layout of {model}"))?
            };
            g.validate(&layout).map_err(|e| e.to_string())?;
            Some(layout)
        }
    };
    let gpus = (0..count)
        .map(|index| Gpu {
            id: GpuId { node: name.to_string(), index },
            model: m.key.clone(),
            uuid: None,
            reconfiguration,
            layout: layout.clone(),
        })
        .collect();
    Ok(Node { name: name.to_string(), gpus })
}

fn project(words: &[&str], catalog: &Catalog) -> Result<Project> {
    let [name, rest @ ..] = words else { return Err("project NAME …".into()) };
    let opts = options(rest);
    let first = |k: &str| opts.get(k).and_then(|v| v.first()).copied();
    let mut quotas = BTreeMap::new();
    for q in opts.get("quota").into_iter().flatten() {
        let (model, terms) = q.split_once(':').ok_or(format!("quota {q:?} is MODEL:NOMINAL[/BORROW[/LEND]]"))?;
        let m = catalog.get(model).ok_or(format!("unknown GPU model {model}"))?;
        let mut parts = terms.split('/');
        let slices = |s: &str| -> Result<Slices> {
            Slices::from_gpus(s.parse::<f64>().map_err(|_| format!("bad number {s:?}"))?, m.units())
        };
        let nominal = slices(parts.next().unwrap_or("0"))?;
        let limit = |p: Option<&str>| -> Result<Option<Slices>> { p.filter(|s| *s != "-").map(slices).transpose() };
        let borrowing_limit = limit(parts.next())?;
        let lending_limit = limit(parts.next())?;
        quotas.insert(m.key.clone(), Quota { model: ModelKey(model.into()), nominal, borrowing_limit, lending_limit });
    }
    Ok(Project {
        name: name.to_string(),
        namespace: name.to_string(),
        cohort: first("cohort").map(str::to_string),
        priority: first("prio").map(|p| p.parse().map_err(|_| format!("bad priority {p:?}"))).transpose()?.unwrap_or(0),
        quotas,
        sizes: first("sizes").map(|s| s.split(',').map(str::to_string).collect::<BTreeSet<_>>()),
        limits: Limits { max_devices: first("max-devices").and_then(|n| n.parse().ok()), ..Limits::default() },
    })
}

fn book(line: usize, text: &str, words: &[&str], after: &str) -> Result<Step> {
    let [project, w, count, win, rest @ ..] = words else {
        return Err("book PROJECT WANT xN WINDOW [MODE] => EXPECT".into());
    };
    let count = count.strip_prefix('x').and_then(|c| c.parse().ok()).ok_or("count is xN")?;
    let mode = if rest.contains(&"opportunistic") { Mode::Opportunistic } else { Mode::Reserved };
    let priority =
        options(rest).get("prio").and_then(|v| v.first()).map(|p| p.parse().map_err(|_| "bad prio")).transpose()?;
    Ok(Step::Book {
        line,
        text: text.into(),
        project: project.to_string(),
        want: want(w)?,
        count,
        window: window(win)?,
        mode,
        priority,
        expect: expect(after),
    })
}

/// Parses a scenario; errors name the line.
pub(crate) fn parse(text: &str, catalog: &Catalog) -> Result<Parsed> {
    let mut nodes = Vec::new();
    let mut defs = Definitions::default();
    for (name, desc, sel) in model::size::DEFAULT_SIZES {
        let r = selector::resolve_size(name, Some(desc.to_string()), sel, catalog).map_err(|e| e.to_string())?;
        defs.sizes.insert(name.to_string(), r.size);
    }
    let mut steps = Vec::new();
    let mut gap_s = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let (before, after) = content.split_once("=>").map_or((content, ""), |(a, b)| (a.trim(), b.trim()));
        let words: Vec<&str> = before.split_whitespace().collect();
        let err = |e: String| format!("line {line}: {e}");
        match words[0] {
            "now" => {
                steps.push(Step::Now(time(words.get(1).ok_or("now TIME").map_err(|e| err(e.into()))?).map_err(err)?))
            }
            "gap" => {
                gap_s = words
                    .get(1)
                    .and_then(|g| g.strip_suffix('m'))
                    .and_then(|m| m.parse::<i64>().ok())
                    .ok_or_else(|| err("gap Nm".into()))?
                    * 60
            }
            "node" => {
                let n = node(&words[1..], catalog).map_err(err)?;
                // A node named again gains more GPUs, numbered after those it has: one node may hold GPUs
                // of different modes or layouts.
                match nodes.iter_mut().find(|m: &&mut Node| m.name == n.name) {
                    Some(m) => {
                        let base = m.gpus.len() as u32;
                        m.gpus.extend(n.gpus.into_iter().map(|mut g| {
                            g.id.index += base;
                            g
                        }));
                    }
                    None => nodes.push(n),
                }
            }
            "size" => {
                let name = words.get(1).ok_or_else(|| err("size NAME CEL".into()))?;
                let cel = before.splitn(3, ' ').nth(2).ok_or_else(|| err("size NAME CEL".into()))?;
                let r = selector::resolve_size(name, None, cel, catalog).map_err(|e| err(e.to_string()))?;
                defs.sizes.insert(name.to_string(), r.size);
            }
            "cohort" => {
                let name = words.get(1).ok_or_else(|| err("cohort NAME".into()))?.to_string();
                let parent = options(&words[2..]).get("parent").and_then(|v| v.first()).map(|p| p.to_string());
                defs.cohorts.insert(name.clone(), Cohort { name, parent });
            }
            "project" => {
                let p = project(&words[1..], catalog).map_err(err)?;
                defs.projects.insert(p.name.clone(), p);
            }
            "book" => steps.push(book(line, before, &words[1..], after).map_err(err)?),
            "availability" => {
                let [_, project, w, win, rest @ ..] = words.as_slice() else {
                    return Err(err("availability PROJECT WANT WINDOW [MODE] => N".into()));
                };
                let mode = if rest.contains(&"opportunistic") { Mode::Opportunistic } else { Mode::Reserved };
                let expect = after.parse().map_err(|_| err("availability expects => N".into()))?;
                steps.push(Step::Availability {
                    line,
                    text: before.into(),
                    project: project.to_string(),
                    want: want(w).map_err(err)?,
                    window: window(win).map_err(err)?,
                    mode,
                    expect,
                });
            }
            "earliest" => {
                // earliest PROJECT WANT xN DURATION from TIME [MODE] => TIME|none
                let [_, project, w, count, hours, "from", from, rest @ ..] = words.as_slice() else {
                    return Err(err("earliest PROJECT WANT xN Nh from TIME [MODE] => TIME|none".into()));
                };
                let count =
                    count.strip_prefix('x').and_then(|c| c.parse().ok()).ok_or_else(|| err("count is xN".into()))?;
                let hours: i64 =
                    hours.strip_suffix('h').and_then(|h| h.parse().ok()).ok_or_else(|| err("duration is Nh".into()))?;
                let start = time(from).map_err(err)?;
                let mode = if rest.contains(&"opportunistic") { Mode::Opportunistic } else { Mode::Reserved };
                let request = model::Request {
                    project: project.to_string(),
                    owner: "scenario".into(),
                    want: want(w).map_err(err)?,
                    count,
                    window: Window::new(start, start.plus(hours * 3600)).map_err(err)?,
                    mode,
                    priority: None,
                };
                let expect = if after == "none" { None } else { Some(time(after).map_err(err)?) };
                steps.push(Step::Earliest { line, text: before.into(), request, expect });
            }
            "cancel" => {
                let id = words
                    .get(1)
                    .and_then(|b| b.strip_prefix('b'))
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| err("cancel bN".into()))?;
                steps.push(Step::Cancel { line, id });
            }
            "check" => steps.push(Step::Check { line }),
            other => return Err(err(format!("unknown line kind {other:?}"))),
        }
    }
    defs.fleet = Fleet::new(nodes).map_err(|e| e.to_string())?;
    defs.check().map_err(|e| e.to_string())?;
    Ok(Parsed { defs, gap_s, steps })
}
