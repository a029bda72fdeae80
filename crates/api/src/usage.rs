//! `GET /usage`: the ledger's report as JSON (docs/metering.md).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use model::Window;
use model::ledger::{By, Charge, Row};
use model::price::to_units;

/// The longest report window, in days.
pub const MAX_REPORT_DAYS: i64 = 400;

/// What a group holds and costs: `used_gpu_hours` and `idle_gpu_hours` are null until observed use is known.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct UsageFigures {
    /// Devices × hours held within the window.
    pub booked_device_hours: f64,
    /// Each device's share of its GPU × hours held within the window.
    pub booked_gpu_hours: f64,
    pub used_gpu_hours: Option<f64>,
    pub idle_gpu_hours: Option<f64>,
    /// In the report's currency; 0 without a price list.
    pub cost: f64,
}

/// One group of a report: the key it is grouped by (`project`, `booking`, `model`, `owner` or `cohort`, null
/// for projects outside any cohort), and its figures.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct UsageRow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable)]
    pub cohort: Option<Option<String>>,
    #[serde(flatten)]
    pub figures: UsageFigures,
}

/// `GET /usage`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct UsageReport {
    /// The price list's currency; null when no price list was ever applied.
    pub currency: Option<String>,
    /// RFC 3339.
    pub from: String,
    pub to: String,
    /// `project`, `booking`, `model`, `owner` or `cohort`.
    pub by: String,
    pub rows: Vec<UsageRow>,
    pub total: UsageFigures,
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

impl UsageFigures {
    pub fn of(c: &Charge) -> UsageFigures {
        UsageFigures {
            booked_device_hours: round6(c.device_hours),
            booked_gpu_hours: round6(c.gpu_hours),
            used_gpu_hours: None,
            idle_gpu_hours: None,
            cost: to_units(c.cost),
        }
    }
}

impl UsageReport {
    pub fn of(currency: Option<String>, within: Window, by: By, rows: &[Row], total: &Charge) -> UsageReport {
        let rows = rows
            .iter()
            .map(|r| {
                let mut row = UsageRow { figures: UsageFigures::of(&r.charge), ..UsageRow::default() };
                match by {
                    By::Project => row.project = r.key.clone(),
                    By::Booking => row.booking = r.key.clone(),
                    By::Model => row.model = r.key.clone(),
                    By::Owner => row.owner = r.key.clone(),
                    By::Cohort => row.cohort = Some(r.key.clone()),
                }
                row
            })
            .collect();
        UsageReport {
            currency,
            from: within.start.to_string(),
            to: within.end.to_string(),
            by: by.as_str().into(),
            rows,
            total: UsageFigures::of(total),
        }
    }
}

/// What `GET /usage` groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ByName {
    Project,
    Booking,
    Model,
    Owner,
    Cohort,
}
