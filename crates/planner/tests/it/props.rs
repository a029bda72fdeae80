//! Property tests: random fleets and request sequences keep PRODUCT.md invariants 1–4.
