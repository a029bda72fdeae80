pub struct Backoff;
pub struct Reconciler;
pub struct Report;
