//! Builders for the nouns tests need, with defaults that keep a test about what it is about.

use std::collections::BTreeMap;

use model::{
    Cohort, Definitions, Fleet, Gpu, GpuId, Layout, Limits, Mode, ModelKey, Node, Project, Quota, Reconfiguration,
    Request, ShapeKey, Size, Slices, Want, Window,
};

/// Nodes and their GPUs.
#[derive(Clone, Debug, Default)]
pub struct FleetBuilder {
    nodes: Vec<Node>,
}

/// An empty fleet.
pub fn fleet() -> FleetBuilder {
    FleetBuilder::default()
}

impl FleetBuilder {
    /// `count` GPUs of `model` in `mode`, `per_node` to a node named `<prefix>-<n>`; MIG off.
    pub fn gpus(mut self, prefix: &str, model: &str, count: u32, per_node: u32, mode: Reconfiguration) -> Self {
        for i in 0..count {
            let node = format!("{prefix}-{}", i / per_node.max(1));
            let gpu = Gpu {
                id: GpuId { node: node.clone(), index: i % per_node.max(1) },
                model: ModelKey(model.into()),
                uuid: None,
                reconfiguration: mode,
                layout: None,
            };
            self.push(gpu);
        }
        self
    }

    /// One GPU of `model` on `node` with this MIG layout (`None`: MIG off).
    pub fn gpu(mut self, node: &str, model: &str, mode: Reconfiguration, layout: Option<Layout>) -> Self {
        let index = self.nodes.iter().find(|n| n.name == node).map_or(0, |n| n.gpus.len() as u32);
        let id = GpuId { node: node.into(), index };
        self.push(Gpu { id, model: ModelKey(model.into()), uuid: None, reconfiguration: mode, layout });
        self
    }

    fn push(&mut self, gpu: Gpu) {
        match self.nodes.iter_mut().find(|n| n.name == gpu.id.node) {
            Some(n) => n.gpus.push(gpu),
            None => self.nodes.push(Node { name: gpu.id.node.clone(), gpus: vec![gpu] }),
        }
    }

    /// Panics on an invalid fleet: a test's fixture is wrong, not its input.
    pub fn build(self) -> Fleet {
        Fleet::new(self.nodes).expect("a valid test fleet")
    }
}

/// A project, its namespace named after it.
#[derive(Clone, Debug)]
pub struct ProjectBuilder(Project);

pub fn project(name: &str) -> ProjectBuilder {
    ProjectBuilder(Project {
        name: name.into(),
        namespace: name.into(),
        cohort: None,
        priority: 0,
        quotas: BTreeMap::new(),
        sizes: None,
        limits: Limits::default(),
    })
}

impl ProjectBuilder {
    pub fn cohort(mut self, cohort: &str) -> Self {
        self.0.cohort = Some(cohort.into());
        self
    }

    pub fn priority(mut self, priority: i32) -> Self {
        self.0.priority = priority;
        self
    }

    /// Quota on `model` in memory-slice units (`Slices`): nominal, borrowing and lending limits.
    pub fn quota(mut self, model: &str, nominal: u32, borrowing: Option<u32>, lending: Option<u32>) -> Self {
        let model = ModelKey(model.into());
        let quota = Quota {
            model: model.clone(),
            nominal: Slices(nominal),
            borrowing_limit: borrowing.map(Slices),
            lending_limit: lending.map(Slices),
        };
        self.0.quotas.insert(model, quota);
        self
    }

    pub fn sizes(mut self, sizes: &[&str]) -> Self {
        self.0.sizes = Some(sizes.iter().map(|s| s.to_string()).collect());
        self
    }

    pub fn limits(mut self, limits: Limits) -> Self {
        self.0.limits = limits;
        self
    }

    pub fn build(self) -> Project {
        self.0
    }
}

/// Definitions: a fleet, projects, cohorts and sizes.
#[derive(Clone, Debug, Default)]
pub struct DefinitionsBuilder(Definitions);

pub fn definitions(fleet: Fleet) -> DefinitionsBuilder {
    DefinitionsBuilder(Definitions { fleet, ..Definitions::default() })
}

impl DefinitionsBuilder {
    pub fn project(mut self, p: ProjectBuilder) -> Self {
        let p = p.build();
        self.0.projects.insert(p.name.clone(), p);
        self
    }

    /// A cohort, under `parent` when given.
    pub fn cohort(mut self, name: &str, parent: Option<&str>) -> Self {
        self.0.cohorts.insert(name.into(), Cohort { name: name.into(), parent: parent.map(Into::into) });
        self
    }

    /// A size already resolved to its shapes (resolve a CEL selector with `selector::resolve_size`).
    pub fn size(mut self, size: Size) -> Self {
        self.0.sizes.insert(size.name.clone(), size);
        self
    }

    pub fn build(self) -> Definitions {
        self.0
    }
}

/// A booking request: one device of a shape, reserved, owned by `alice`.
#[derive(Clone, Debug)]
pub struct RequestBuilder(Request);

/// `project` asks for `shape` (`MODEL/PROFILE` or `MODEL/full`) over `window`.
pub fn request(project: &str, shape: &str, window: Window) -> RequestBuilder {
    let key: ShapeKey = shape.parse().expect("a valid test shape");
    RequestBuilder(Request {
        project: project.into(),
        owner: "alice".into(),
        want: Want::Shape(key),
        count: 1,
        window,
        mode: Mode::Reserved,
        priority: None,
    })
}

impl RequestBuilder {
    pub fn size(mut self, size: &str) -> Self {
        self.0.want = Want::Size(size.into());
        self
    }

    pub fn count(mut self, count: u32) -> Self {
        self.0.count = count;
        self
    }

    pub fn opportunistic(mut self) -> Self {
        self.0.mode = Mode::Opportunistic;
        self
    }

    pub fn owner(mut self, owner: &str) -> Self {
        self.0.owner = owner.into();
        self
    }

    pub fn priority(mut self, priority: i32) -> Self {
        self.0.priority = Some(priority);
        self
    }

    pub fn build(self) -> Request {
        self.0
    }
}
