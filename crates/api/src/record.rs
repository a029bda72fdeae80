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

/// Why a stored record is not a booking: the catalog no longer has its GPU model's MIG profiles or its
/// profile, or the record itself is malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("{reason}")]
    Shape { booking: u64, reason: String },
    #[error("booking {0}: neither size nor shape")]
    NoWant(u64),
    #[error("booking {booking}: mode {mode:?}")]
    Mode { booking: u64, mode: String },
    #[error("{reason}")]
    Window { booking: u64, reason: String },
    #[error("booking {booking}: ended {ended:?}")]
    Ended { booking: u64, ended: String },
    /// A device of a GPU model the catalog gives no MIG profiles (any more).
    #[error("{gpu}: model {model} has no MIG profiles")]
    NoMig { gpu: GpuId, model: String },
    /// A device of a MIG profile the catalog's GPU model does not have (any more).
    #[error("{gpu}: model {model} has no profile {profile}")]
    NoProfile { gpu: GpuId, model: String, profile: String },
}

impl RecordError {
    /// The record is well formed but names a MIG profile the catalog does not have: the catalog changed
    /// under stored bookings, rather than the record being damaged.
    pub fn is_catalog_mismatch(&self) -> bool {
        matches!(self, RecordError::NoMig { .. } | RecordError::NoProfile { .. })
    }
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

    /// Back to the planner's booking; `Err` says what no longer matches the catalog
    /// ([`RecordError::is_catalog_mismatch`]) or what in the record is malformed.
    pub fn to_booking(&self, catalog: &Catalog) -> Result<Booking, RecordError> {
        let want = match (&self.size, &self.shape) {
            (Some(s), _) => Want::Size(s.clone()),
            (None, Some(s)) => {
                Want::Shape(s.parse().map_err(|reason| RecordError::Shape { booking: self.id, reason })?)
            }
            (None, None) => return Err(RecordError::NoWant(self.id)),
        };
        let mode =
            Mode::parse(&self.mode).ok_or_else(|| RecordError::Mode { booking: self.id, mode: self.mode.clone() })?;
        let window = Window::new(Instant(self.start), Instant(self.end))
            .map_err(|reason| RecordError::Window { booking: self.id, reason })?;
        let ended = match self.ended.as_deref() {
            None => None,
            Some("cancelled") => Some(Status::Cancelled),
            Some("preempted") => Some(Status::Preempted {
                by: self.preempted_by.map(BookingId),
                reason: self.reason.clone().unwrap_or_default(),
            }),
            Some(other) => return Err(RecordError::Ended { booking: self.id, ended: other.to_string() }),
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
    fn to_device(&self, catalog: &Catalog) -> Result<Device, RecordError> {
        let model = ModelKey(self.model.clone());
        let gpu = GpuId { node: self.node.clone(), index: self.gpu };
        let (shape, slot) = match &self.profile {
            None => (ShapeKey::whole(&model), Slot::Whole),
            Some(p) => {
                let geo = catalog
                    .get(&self.model)
                    .and_then(|m| m.mig.as_ref())
                    .ok_or_else(|| RecordError::NoMig { gpu: gpu.clone(), model: self.model.clone() })?;
                let idx = geo.find(p).ok_or_else(|| RecordError::NoProfile {
                    gpu: gpu.clone(),
                    model: self.model.clone(),
                    profile: p.clone(),
                })?;
                (ShapeKey::mig(&model, p), Slot::Mig { profile: idx, start: self.start })
            }
        };
        Ok(Device { gpu, shape, slot })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> BookingRecord {
        BookingRecord {
            id: 3,
            project: "p".into(),
            owner: "o".into(),
            size: None,
            shape: Some("H100-80GB/1g.10gb".into()),
            count: 1,
            start: 0,
            end: 3600,
            mode: "reserved".into(),
            requested_priority: None,
            priority: 0,
            devices: vec![DeviceRecord {
                node: "n".into(),
                gpu: 0,
                model: "H100-80GB".into(),
                profile: Some("1g.10gb".into()),
                start: 0,
            }],
            created: 0,
            ended: None,
            preempted_by: None,
            reason: None,
            ended_at: None,
        }
    }

    #[test]
    fn a_record_the_catalog_no_longer_matches_is_told_from_a_malformed_one() {
        let catalog = Catalog::builtin();
        let booking = record().to_booking(&catalog).unwrap();
        assert_eq!(BookingRecord::of(&booking, &catalog), record());
        let mut gone = record();
        gone.devices[0].profile = Some("9g.99gb".into());
        let e = gone.to_booking(&catalog).unwrap_err();
        assert!(e.is_catalog_mismatch(), "{e}");
        assert!(e.to_string().ends_with(": model H100-80GB has no profile 9g.99gb"), "{e}");
        let mut bad = record();
        bad.ended = Some("weird".into());
        let e = bad.to_booking(&catalog).unwrap_err();
        assert!(!e.is_catalog_mismatch());
        assert_eq!(e.to_string(), r#"booking 3: ended "weird""#);
        bad = record();
        bad.mode = "x".into();
        assert_eq!(bad.to_booking(&catalog).unwrap_err(), RecordError::Mode { booking: 3, mode: "x".into() });
    }
}
