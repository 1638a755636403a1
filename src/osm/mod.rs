//! Inputs derived from OpenStreetMap features: learning sites from tags and names
//! (`sites`), a resident grid from residential floor area (`buildings`), and the
//! polygon/line geometry both assemble from OSM elements (`geometry`). Imports
//! everything below it (`base` … `export`); used by `app` only.

pub mod buildings;
pub mod geometry;
pub mod sites;
