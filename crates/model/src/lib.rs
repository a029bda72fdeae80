//! gpubook's nouns: the GPU catalog and MIG geometry, shapes, the fleet, sizes, projects and quotas.
//!
//! Pure data and pure functions: no IO, no clock, ordered maps only. Everything here is deterministic so the
//! planner built on it is too.

pub mod allowance;
pub mod booking;
pub mod catalog;
pub mod definitions;
pub mod fleet;
pub mod layout;
pub mod ledger;
pub mod names;
pub mod price;
pub mod project;
pub mod shape;
pub mod size;
pub mod time;
pub mod units;

pub use allowance::Allowance;
pub use booking::{Booking, BookingId, Device, Mode, Request, Slot, Status, Want};
pub use catalog::{
    Catalog, CatalogError, CatalogSource, Confidence, GpuModel, MigGeometry, MigProfile, ModelKey, ProfileIdx,
};
pub use definitions::Definitions;
pub use fleet::{Fleet, FleetError, Gpu, GpuId, Node, Reconfiguration};
pub use layout::{Layout, LayoutError, Placement};
pub use ledger::{Charge, PriceVersion, Prices};
pub use price::{PriceList, Rate, SliceBasis};
pub use project::{Cohort, Limits, Project, ProjectError, Quota};
pub use shape::{AttrValue, DeviceView, Shape, ShapeKey, ShapeKind};
pub use size::Size;
pub use time::{Instant, Window};
pub use units::{MiB, Slices};
