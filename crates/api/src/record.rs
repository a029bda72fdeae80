//! How a booking is stored: a JSON document the server writes on every change and reads back at start.
//! Unlike [`crate::rest::BookingView`], it keeps everything needed to restore the planner exactly.

use serde::{Deserialize, Serialize};

use model::{
    Booking, BookingId, Catalog, Device, GpuId, Instant, Mode, ModelKey, Request, ShapeKey, Slot, Status, Want, Window,
};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct BookingRecord {
    pub id: u64,
    pub project: String,
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
    pub count: u32,
    pub start: i64,
    pub end: i64,
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_priority: Option<i32>,
    pub priority: i32,
    pub devices: Vec<DeviceRecord>,
    pub created: i64,
    /// `None` while holding; `cancelled` or `preempted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preempted_by: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it was cancelled or preempted (Unix seconds); absent in records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct DeviceRecord {
    pub node: String,
    pub gpu: u32,
    pub model: String,
    /// `None` for the whole GPU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default)]
    pub start: u32,
}

impl BookingRecord {
    pub fn of(b: &Booking, catalog: &Catalog) -> BookingRecord {
        let (size, shape) = crate::rest::want_parts(&b.request.want);
        let (ended, preempted_by, reason) = match &b.ended {
            None => (None, None, None),
            Some(Status::Preempted { by, reason }) => (Some("preempted".into()), by.map(|b| b.0), Some(reason.clone())),
            Some(s) => (Some(s.as_str().to_string()), None, None),
        };
        BookingRecord {
            id: b.id.0,
            project: b.request.project.clone(),
            owner: b.request.owner.clone(),
            size,
            shape,
            count: b.request.count,
            start: b.window().start.0,
            end: b.window().end.0,
            mode: b.request.mode.as_str().into(),
            requested_priority: b.request.priority,
            priority: b.priority,
            devices: b.devices.iter().map(|d| device(d, catalog)).collect(),
            created: b.created.0,
            ended,
            preempted_by,
            reason,
            ended_at: b.ended_at.map(|t| t.0),
        }
    }

    /// Back to the planner's booking; `Err` says what no longer matches the catalog.
    pub fn to_booking(&self, catalog: &Catalog) -> Result<Booking, String> {
        let want = match (&self.size, &self.shape) {
            (Some(s), _) => Want::Size(s.clone()),
            (None, Some(s)) => Want::Shape(s.parse()?),
            (None, None) => return Err(format!("booking {}: neither size nor shape", self.id)),
        };
        let mode = Mode::parse(&self.mode).ok_or_else(|| format!("booking {}: mode {:?}", self.id, self.mode))?;
        let window = Window::new(Instant(self.start), Instant(self.end))?;
        let ended = match self.ended.as_deref() {
            None => None,
            Some("cancelled") => Some(Status::Cancelled),
            Some("preempted") => Some(Status::Preempted {
                by: self.preempted_by.map(BookingId),
                reason: self.reason.clone().unwrap_or_default(),
            }),
            Some(other) => return Err(format!("booking {}: ended {other:?}", self.id)),
        };
        let devices = self.devices.iter().map(|d| d.to_device(catalog)).collect::<Result<_, _>>()?;
        Ok(Booking {
            id: BookingId(self.id),
            request: Request {
                project: self.project.clone(),
                owner: self.owner.clone(),
                want,
                count: self.count,
                window,
                mode,
                priority: self.requested_priority,
            },
            priority: self.priority,
            devices,
            created: Instant(self.created),
            ended,
            ended_at: self.ended_at.map(Instant),
        })
    }
}

fn device(d: &Device, catalog: &Catalog) -> DeviceRecord {
    let (profile, start) = crate::rest::slot_parts(d, catalog);
    DeviceRecord { node: d.gpu.node.clone(), gpu: d.gpu.index, model: d.shape.model.to_string(), profile, start }
}

impl DeviceRecord {
    fn to_device(&self, catalog: &Catalog) -> Result<Device, String> {
        let model = ModelKey(self.model.clone());
        let gpu = GpuId { node: self.node.clone(), index: self.gpu };
        let (shape, slot) = match &self.profile {
            None => (ShapeKey::whole(&model), Slot::Whole),
            Some(p) => {
                let geo = catalog
                    .get(&self.model)
                    .and_then(|m| m.mig.as_ref())
                    .ok_or_else(|| format!("{}: model {} has no MIG profiles", gpu, self.model))?;
                let idx = geo.find(p).ok_or_else(|| format!("{gpu}: model {} has no profile {p}", self.model))?;
                (ShapeKey::mig(&model, p), Slot::Mig { profile: idx, start: self.start })
            }
        };
        Ok(Device { gpu, shape, slot })
    }
}
