//! The common path of vector population layers (GeoPackage, shapefile): attribute
//! columns → population and elderly counts, the HSY privacy mask, centroids, WGS84,
//! clipping.
//!
//! Inputs: features as read by [`crate::input::gpkg`] or [`crate::input::shapefile`]
//! (geometry in the source CRS, attribute values by column), a [`Reprojector`] for
//! the source CRS, and [`VectorOptions`].
//! Output: [`RawCell`]s (centroid and polygon in WGS84), [`Rejected`] rows, and a
//! [`VectorReport`] in which cells + rejected + clipped out = file total.
//!
//! # Centroids
//! The representative point of a polygon cell is its area centroid computed in a
//! metric CRS: in the source CRS when it is projected (EPSG:3879, 3067 are metres),
//! else in a transverse Mercator centred on the cell (for EPSG:4326 layers); it is
//! then reprojected to WGS84. (The centroid of the lon/lat polygon would be off by a
//! fraction of a metre at 60° N for a 250 m cell — small, but avoidable.)
//!
//! # The HSY privacy mask (value 99)
//! HSY's grids write 99 in every age band of a cell whose age breakdown is
//! suppressed for privacy. In the 2015 grid this happens exactly for the 2,743 cells
//! with fewer than 100 residents (98,877 people); every cell with 100 or more
//! residents has age bands that add up to ASUKKAITA, including 30 cells where 99 is a
//! genuine count. So a cell is treated as **masked** when one of its elderly bands
//! reads 99 *and* its nine age bands do not add up to the total (or some band is
//! missing) — a rule that finds the suppressed cells without assuming the threshold
//! and never mistakes a real 99 for a mask.
//!
//! A masked cell keeps its residents (ASUKKAITA is never masked). Its elderly count
//! is, by [`MaskPolicy`]:
//! * [`MaskPolicy::RegionalShare`] (default): residents × the file's elderly share
//!   over unmasked cells (Σ elderly / Σ residents; 0.213 in 2015). The estimate is
//!   fractional and never exceeds the cell's residents. Rationale: dropping these
//!   cells from the elderly layer would undercount the elderly exactly where
//!   settlement is thinnest — the periphery that coverage analysis is about —
//!   while the error of a regional share on a cell of < 100 people is a few persons.
//! * [`MaskPolicy::Unknown`]: elderly is `None` for the cell (excluded from elderly
//!   totals), so no number is invented.
//!
//! Either way the report says how many cells and residents were masked and how many
//! elderly were estimated.

use geo::{
    BoundingRect, Centroid, Coord, CoordsIter, Geometry, LineString, MapCoords, MultiPolygon,
    Point, Polygon,
};

use crate::base::model::{RawCell, Rejected};
use crate::crs::{EpsgError, LocalProjection, Reprojector};
use crate::input::clip::ClipArea;

/// Column names tried, in order and case-insensitively, when no population column is
/// named.
pub const DEFAULT_POPULATION_COLUMNS: [&str; 6] = [
    "population",
    "pop",
    "inhabitants",
    "asukkaita",
    "väestö",
    "total",
];

/// Column names tried, in order and case-insensitively, for the cell id.
pub const DEFAULT_ID_COLUMNS: [&str; 4] = ["id", "cell_id", "index", "fid"];

/// HSY age bands that form the elderly (60+) layer.
pub const HSY_ELDERLY_COLUMNS: [&str; 3] = ["IKA60_69", "IKA70_79", "IKA_YLI80"];

/// All HSY age bands; they add up to ASUKKAITA in unmasked cells.
pub const HSY_AGE_COLUMNS: [&str; 9] = [
    "IKA0_9",
    "IKA10_19",
    "IKA20_29",
    "IKA30_39",
    "IKA40_49",
    "IKA50_59",
    "IKA60_69",
    "IKA70_79",
    "IKA_YLI80",
];

/// What to do with the elderly count of a privacy-masked cell (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaskPolicy {
    /// Estimate it as residents × the file's elderly share over unmasked cells.
    #[default]
    RegionalShare,
    /// Leave it unknown (`None`).
    Unknown,
}

/// A privacy mask on age-band columns.
#[derive(Debug, Clone, PartialEq)]
pub struct PrivacyMask {
    /// The sentinel (99 for HSY).
    pub value: f64,
    /// All age bands, which add up to the population in unmasked cells.
    pub age_columns: Vec<String>,
    /// Handling of masked cells.
    pub policy: MaskPolicy,
}

impl PrivacyMask {
    /// HSY's mask: 99 in the nine `IKA*` bands.
    #[must_use]
    pub fn hsy(policy: MaskPolicy) -> Self {
        Self {
            value: 99.0,
            age_columns: HSY_AGE_COLUMNS.map(String::from).to_vec(),
            policy,
        }
    }
}

/// Which columns make the elderly layer.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ElderlyColumns {
    /// The HSY bands (with the HSY mask, regional-share policy) when the file has all
    /// nine `IKA*` columns; otherwise no elderly layer.
    #[default]
    Auto,
    /// No elderly layer.
    None,
    /// The sum of these columns, with an optional privacy mask.
    Sum {
        /// Column names (case-insensitive).
        columns: Vec<String>,
        /// Mask on the bands, if the source masks them.
        mask: Option<PrivacyMask>,
    },
}

/// Options of the vector readers.
#[derive(Debug, Clone)]
pub struct VectorOptions {
    /// GeoPackage layer (table) name; required when the file has several.
    pub layer: Option<String>,
    /// Population column; default: the first of [`DEFAULT_POPULATION_COLUMNS`].
    pub population_column: Option<String>,
    /// Id column; default: the first of [`DEFAULT_ID_COLUMNS`] (else none).
    pub id_column: Option<String>,
    /// Elderly layer.
    pub elderly: ElderlyColumns,
    /// Override the file's CRS (e.g. a shapefile without `.prj`).
    pub source_epsg: Option<u32>,
    /// Keep only cells whose centroid is inside.
    pub clip: Option<ClipArea>,
    /// Attach the cell polygon (in WGS84) to each cell.
    pub keep_polygons: bool,
}

impl Default for VectorOptions {
    fn default() -> Self {
        Self {
            layer: None,
            population_column: None,
            id_column: None,
            elderly: ElderlyColumns::Auto,
            source_epsg: None,
            clip: None,
            keep_polygons: true,
        }
    }
}

/// What happened to the elderly layer of a vector file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ElderlyColumnsReport {
    /// Columns summed, as found in the file.
    pub columns: Vec<String>,
    /// Elderly persons on emitted cells (including estimates).
    pub cell_elderly: f64,
    /// Cells whose age bands are privacy-masked.
    pub masked_cells: u64,
    /// Residents of those cells (persons).
    pub masked_residents: f64,
    /// Elderly persons estimated for masked cells ([`MaskPolicy::RegionalShare`]).
    pub estimated_elderly: f64,
    /// The elderly share used for the estimate (Σ elderly / Σ residents over
    /// unmasked cells).
    pub elderly_share: Option<f64>,
    /// Cells whose elderly value is unknown (masked under [`MaskPolicy::Unknown`], or
    /// a missing value).
    pub unknown_cells: u64,
}

/// Accounting of one vector read: `cell_population + rejected_population +
/// clipped_population = file_population`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VectorReport {
    /// The file.
    pub file: String,
    /// Layer or table.
    pub layer: String,
    /// Source CRS label (`EPSG:3879`).
    pub crs: String,
    /// Population column used.
    pub population_column: String,
    /// Features read.
    pub features: u64,
    /// Sum of readable population values (persons).
    pub file_population: f64,
    /// Residents on emitted cells.
    pub cell_population: f64,
    /// Residents on rejected features whose count could be read.
    pub rejected_population: f64,
    /// Features whose centroid is outside the clip area.
    pub clipped_features: u64,
    /// Their residents.
    pub clipped_population: f64,
    /// Elderly layer, if any.
    pub elderly: Option<ElderlyColumnsReport>,
}

/// Errors resolving columns (shared by the vector readers).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ColumnError {
    /// No population column.
    #[error("no population column {wanted} among the columns [{available}]")]
    MissingPopulation {
        /// What was looked for.
        wanted: String,
        /// The columns the layer has.
        available: String,
    },
    /// A named column is absent.
    #[error("no column {name:?} among the columns [{available}]")]
    Missing {
        /// The column asked for.
        name: String,
        /// The columns the layer has.
        available: String,
    },
}

/// Which attribute columns to read, resolved against the layer's columns.
#[derive(Debug, Clone)]
pub(crate) struct ColumnPlan {
    pub population: String,
    pub id: Option<String>,
    pub elderly: Vec<String>,
    pub mask: Option<PrivacyMask>,
}

impl ColumnPlan {
    /// Resolves the options against `available` (names as in the file).
    pub(crate) fn resolve(available: &[String], opts: &VectorOptions) -> Result<Self, ColumnError> {
        let list = || available.join(", ");
        let find = |name: &str| {
            available
                .iter()
                .find(|c| c.eq_ignore_ascii_case(name) || c.to_lowercase() == name.to_lowercase())
                .cloned()
        };
        let population = match &opts.population_column {
            Some(name) => find(name).ok_or_else(|| ColumnError::MissingPopulation {
                wanted: format!("{name:?}"),
                available: list(),
            })?,
            None => DEFAULT_POPULATION_COLUMNS
                .iter()
                .find_map(|n| find(n))
                .ok_or_else(|| ColumnError::MissingPopulation {
                    wanted: format!("(any of {})", DEFAULT_POPULATION_COLUMNS.join(", ")),
                    available: list(),
                })?,
        };
        let id = match &opts.id_column {
            Some(name) => Some(find(name).ok_or_else(|| ColumnError::Missing {
                name: name.clone(),
                available: list(),
            })?),
            None => DEFAULT_ID_COLUMNS.iter().find_map(|n| find(n)),
        };
        let must = |names: &[String]| -> Result<Vec<String>, ColumnError> {
            names
                .iter()
                .map(|n| {
                    find(n).ok_or_else(|| ColumnError::Missing {
                        name: n.clone(),
                        available: list(),
                    })
                })
                .collect()
        };
        let (elderly, mask) = match &opts.elderly {
            ElderlyColumns::None => (Vec::new(), None),
            ElderlyColumns::Auto => {
                if HSY_AGE_COLUMNS.iter().all(|c| find(c).is_some()) {
                    let mut mask = PrivacyMask::hsy(MaskPolicy::RegionalShare);
                    mask.age_columns = must(&mask.age_columns)?;
                    (must(&HSY_ELDERLY_COLUMNS.map(String::from))?, Some(mask))
                } else {
                    (Vec::new(), None)
                }
            }
            ElderlyColumns::Sum { columns, mask } => {
                let mask = match mask {
                    Some(m) => Some(PrivacyMask {
                        age_columns: must(&m.age_columns)?,
                        ..m.clone()
                    }),
                    None => None,
                };
                (must(columns)?, mask)
            }
        };
        Ok(Self {
            population,
            id,
            elderly,
            mask,
        })
    }

    /// Every attribute column to fetch, population first, then elderly, then age bands.
    pub(crate) fn value_columns(&self) -> Vec<String> {
        let mut cols = vec![self.population.clone()];
        cols.extend(self.elderly.iter().cloned());
        if let Some(m) = &self.mask {
            cols.extend(m.age_columns.iter().cloned());
        }
        cols
    }
}

/// One feature as read, before any interpretation.
#[derive(Debug, Clone)]
pub(crate) struct FeatureRow {
    /// `feature N` (0-based).
    pub index: usize,
    pub id: Option<String>,
    /// `Ok(None)`: empty or null geometry. `Err`: unreadable (the reason).
    pub geometry: Result<Option<Geometry<f64>>, String>,
    /// Values of [`ColumnPlan::value_columns`], in that order; `Err` holds the raw text.
    pub values: Vec<Result<Option<f64>, String>>,
}

/// Turns feature rows into cells. Features that cannot be used (no count, negative
/// count, no usable geometry, a centroid that cannot be reprojected) become
/// rejected rows; nothing here fails the whole read.
pub(crate) fn assemble(
    file: &str,
    layer: &str,
    rows: Vec<FeatureRow>,
    plan: &ColumnPlan,
    reproj: &Reprojector,
    opts: &VectorOptions,
) -> (Vec<RawCell>, Vec<Rejected>, VectorReport) {
    let n_eld = plan.elderly.len();
    let mut report = VectorReport {
        file: file.into(),
        layer: layer.into(),
        crs: reproj.label().into(),
        population_column: plan.population.clone(),
        features: rows.len() as u64,
        elderly: (n_eld > 0).then(|| ElderlyColumnsReport {
            columns: plan.elderly.clone(),
            ..Default::default()
        }),
        ..VectorReport::default()
    };
    let (parsed, share) = parse_values(&rows, plan);
    if let Some(er) = report.elderly.as_mut() {
        er.elderly_share = plan.mask.as_ref().and(share);
    }
    let mut cells = Vec::with_capacity(rows.len());
    let mut rejected = Vec::new();
    for (row, values) in rows.into_iter().zip(parsed) {
        let location = format!("feature {}", row.index);
        let placed = place_feature(row.geometry, &values, plan, reproj, opts);
        let (pop, lon, lat, polygon) = match placed {
            Placed::Cell {
                pop,
                lon,
                lat,
                polygon,
            } => (pop, lon, lat, polygon),
            Placed::Rejected { reason, pop } => {
                rejected.push(Rejected::new(file, location, reason).with_population(pop));
                report.file_population += pop.unwrap_or(0.0);
                report.rejected_population += pop.unwrap_or(0.0);
                continue;
            }
            Placed::Clipped { pop } => {
                report.file_population += pop;
                report.clipped_features += 1;
                report.clipped_population += pop;
                continue;
            }
        };
        report.file_population += pop;
        let elderly = elderly_of(pop, &values, plan, share);
        if let Some(er) = report.elderly.as_mut() {
            if values.masked {
                er.masked_cells += 1;
                er.masked_residents += pop;
                er.estimated_elderly += elderly.unwrap_or(0.0);
            }
            match elderly {
                Some(e) => er.cell_elderly += e,
                None => er.unknown_cells += 1,
            }
        }
        report.cell_population += pop;
        cells.push(RawCell {
            id: row.id,
            lon,
            lat,
            population: pop,
            elderly,
            polygon,
            location,
        });
    }
    (cells, rejected, report)
}

/// A row's population, summed elderly columns and mask status.
struct RowValues {
    pop: Result<Option<f64>, String>,
    elderly_sum: Option<f64>,
    masked: bool,
}

/// Pass 1 over the rows: values per row and the regional elderly share
/// (Σ elderly ÷ Σ population over unmasked rows with people).
fn parse_values(rows: &[FeatureRow], plan: &ColumnPlan) -> (Vec<RowValues>, Option<f64>) {
    let n_eld = plan.elderly.len();
    let mut share_num = 0.0;
    let mut share_den = 0.0;
    let mut parsed = Vec::with_capacity(rows.len());
    for row in rows {
        let pop = row.values.first().cloned().unwrap_or(Ok(None));
        let eld: Vec<Option<f64>> = row
            .values
            .iter()
            .skip(1)
            .take(n_eld)
            .map(|v| v.clone().ok().flatten())
            .collect();
        let masked = plan.mask.as_ref().is_some_and(|m| {
            let hit = eld.contains(&Some(m.value));
            let bands: Option<f64> = row
                .values
                .iter()
                .skip(1 + n_eld)
                .map(|v| v.clone().ok().flatten())
                .sum();
            let total = pop.clone().ok().flatten();
            hit && (bands.is_none() || total.is_none() || bands != total)
        });
        let elderly_sum: Option<f64> = if n_eld > 0 && !masked {
            eld.iter().copied().sum()
        } else {
            None
        };
        if let (Ok(Some(p)), Some(e)) = (&pop, elderly_sum)
            && p.is_finite()
            && *p > 0.0
        {
            share_num += e;
            share_den += p;
        }
        parsed.push(RowValues {
            pop,
            elderly_sum,
            masked,
        });
    }
    (parsed, (share_den > 0.0).then(|| share_num / share_den))
}

/// What becomes of one feature.
enum Placed {
    Cell {
        pop: f64,
        lon: f64,
        lat: f64,
        polygon: Option<geo::MultiPolygon<f64>>,
    },
    /// Rejected, with the reason and its population when it has a usable one
    /// (counted in the file total and attached to the rejected row).
    Rejected { reason: String, pop: Option<f64> },
    /// Outside the clip area.
    Clipped { pop: f64 },
}

/// Population checked, geometry placed (centroid, polygon) and clipped.
fn place_feature(
    geometry: Result<Option<Geometry<f64>>, String>,
    values: &RowValues,
    plan: &ColumnPlan,
    reproj: &Reprojector,
    opts: &VectorOptions,
) -> Placed {
    let no_pop = |reason: String| Placed::Rejected { reason, pop: None };
    let pop = match &values.pop {
        Ok(Some(p)) if p.is_finite() => *p,
        Ok(Some(_)) => {
            return no_pop(format!(
                "population {} is not a finite number",
                plan.population
            ));
        }
        Ok(None) => return no_pop(format!("population {} is empty", plan.population)),
        Err(text) => {
            return no_pop(format!(
                "population {} {text:?} is not a number",
                plan.population
            ));
        }
    };
    let with_pop = |reason: String| Placed::Rejected {
        reason,
        pop: Some(pop),
    };
    if pop < 0.0 {
        return with_pop(format!("negative population {pop}"));
    }
    let geometry = match geometry {
        Ok(Some(g)) => g,
        Ok(None) => return with_pop("empty geometry".into()),
        Err(reason) => return with_pop(format!("unreadable geometry: {reason}")),
    };
    let (lon, lat, polygon) = match place(&geometry, reproj, opts.keep_polygons) {
        Ok(p) => p,
        Err(reason) => return with_pop(reason),
    };
    if opts.clip.as_ref().is_some_and(|c| !c.contains(lon, lat)) {
        return Placed::Clipped { pop };
    }
    Placed::Cell {
        pop,
        lon,
        lat,
        polygon,
    }
}

/// The elderly count of a kept cell: the summed columns, or (masked rows, with
/// the regional-share policy) the population × the regional share.
fn elderly_of(pop: f64, values: &RowValues, plan: &ColumnPlan, share: Option<f64>) -> Option<f64> {
    match (
        !plan.elderly.is_empty(),
        values.masked,
        plan.mask.as_ref().map(|m| m.policy),
    ) {
        (false, _, _) => None,
        (true, true, Some(MaskPolicy::RegionalShare)) => share.map(|s| (pop * s).min(pop)),
        (true, true, _) => None,
        (true, false, _) => values.elderly_sum,
    }
}

/// Centroid (WGS84 lon/lat) and optional WGS84 polygon of a feature.
fn place(
    g: &Geometry<f64>,
    reproj: &Reprojector,
    keep_polygon: bool,
) -> Result<(f64, f64, Option<MultiPolygon<f64>>), String> {
    let to_wgs = |x: f64, y: f64| reproj.to_wgs84(x, y).map_err(|e: EpsgError| e.to_string());
    // WKB can hold NaN; a NaN vertex also makes a ring "unclosed" for geo's
    // centroid, which asserts on it (found by fuzzing).
    if g.coords_iter()
        .any(|c| !(c.x.is_finite() && c.y.is_finite()))
    {
        return Err("geometry has a coordinate that is NaN or infinite".into());
    }
    match g {
        Geometry::Point(p) => {
            let (lon, lat) = to_wgs(p.x(), p.y())?;
            Ok((lon, lat, None))
        }
        Geometry::MultiPoint(mp) if mp.0.len() == 1 => {
            let (lon, lat) = to_wgs(mp.0[0].x(), mp.0[0].y())?;
            Ok((lon, lat, None))
        }
        Geometry::Polygon(p) => {
            place_polygons(&MultiPolygon(vec![p.clone()]), reproj, keep_polygon)
        }
        Geometry::MultiPolygon(mp) => place_polygons(mp, reproj, keep_polygon),
        other => Err(format!(
            "unsupported geometry type {}",
            geometry_name(other)
        )),
    }
}

fn place_polygons(
    mp: &MultiPolygon<f64>,
    reproj: &Reprojector,
    keep_polygon: bool,
) -> Result<(f64, f64, Option<MultiPolygon<f64>>), String> {
    if mp.0.iter().all(|p| p.exterior().0.len() < 4) {
        return Err("polygon has no area (fewer than 4 vertices)".into());
    }
    let centroid: Point<f64> = if reproj.is_geographic() {
        // Area centroid in a transverse Mercator centred on the cell, back to lon/lat.
        let rect = mp.bounding_rect().ok_or("polygon has no coordinates")?;
        let local =
            LocalProjection::new(rect.center().x, rect.center().y).map_err(|e| e.to_string())?;
        let projected: MultiPolygon<f64> = mp
            .try_map_coords(|c| local.forward(c.x, c.y).map(|[x, y]| Coord { x, y }))
            .map_err(|e| e.to_string())?;
        let c = projected.centroid().ok_or("polygon has no area")?;
        let (lon, lat) = local.inverse([c.x(), c.y()]);
        Point::new(lon, lat)
    } else {
        mp.centroid().ok_or("polygon has no area")?
    };
    let (lon, lat) = reproj
        .to_wgs84(centroid.x(), centroid.y())
        .map_err(|e| e.to_string())?;
    if !(lon.is_finite() && lat.is_finite()) {
        return Err("centroid is not finite".into());
    }
    let polygon = if keep_polygon {
        Some(polygons_to_wgs84(mp, reproj)?)
    } else {
        None
    };
    Ok((lon, lat, polygon))
}

/// Reprojects every vertex of a multipolygon to WGS84.
pub(crate) fn polygons_to_wgs84(
    mp: &MultiPolygon<f64>,
    reproj: &Reprojector,
) -> Result<MultiPolygon<f64>, String> {
    let ring = |ls: &LineString<f64>| -> Result<LineString<f64>, String> {
        ls.0.iter()
            .map(|c| {
                reproj
                    .to_wgs84(c.x, c.y)
                    .map(|(x, y)| Coord { x, y })
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()
            .map(LineString)
    };
    mp.0.iter()
        .map(|p| {
            Ok(Polygon::new(
                ring(p.exterior())?,
                p.interiors().iter().map(ring).collect::<Result<_, _>>()?,
            ))
        })
        .collect::<Result<Vec<_>, String>>()
        .map(MultiPolygon)
}

fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn plan(cols: &[&str], opts: &VectorOptions) -> Result<ColumnPlan, ColumnError> {
        ColumnPlan::resolve(
            &cols.iter().map(|s| (*s).to_string()).collect::<Vec<_>>(),
            opts,
        )
    }

    #[test]
    fn population_column_defaults_and_names() {
        let o = VectorOptions::default();
        assert_eq!(
            plan(&["fid", "geom", "ASUKKAITA"], &o).unwrap().population,
            "ASUKKAITA"
        );
        assert_eq!(plan(&["Väestö"], &o).unwrap().population, "Väestö");
        assert_eq!(
            plan(&["pop", "population"], &o).unwrap().population,
            "population"
        );
        let named = VectorOptions {
            population_column: Some("occupancy_rate".into()),
            ..o.clone()
        };
        assert_eq!(
            plan(&["inhabitants", "occupancy_rate"], &named)
                .unwrap()
                .population,
            "occupancy_rate"
        );
        let e = plan(&["fid", "name"], &o).unwrap_err();
        assert!(e.to_string().contains("fid, name"), "{e}");
    }

    #[test]
    fn hsy_bands_are_detected() {
        let mut cols = vec!["INDEX", "ASUKKAITA"];
        cols.extend(HSY_AGE_COLUMNS);
        let p = plan(&cols, &VectorOptions::default()).unwrap();
        assert_eq!(p.elderly, HSY_ELDERLY_COLUMNS.map(String::from).to_vec());
        assert_eq!(p.id.as_deref(), Some("INDEX"));
        assert_eq!(p.value_columns().len(), 1 + 3 + 9);
    }

    fn square(x0: f64, y0: f64, side: f64) -> Geometry<f64> {
        Geometry::Polygon(
            polygon![(x: x0, y: y0), (x: x0 + side, y: y0), (x: x0 + side, y: y0 + side), (x: x0, y: y0 + side)],
        )
    }

    fn row(index: usize, values: Vec<Option<f64>>) -> FeatureRow {
        FeatureRow {
            index,
            id: Some(index.to_string()),
            geometry: Ok(Some(square(
                25_496_000.0 + 250.0 * index as f64,
                6_672_000.0,
                250.0,
            ))),
            values: values.into_iter().map(Ok).collect(),
        }
    }

    #[test]
    fn masked_cells_get_the_regional_share_or_stay_unknown() {
        let mut cols = vec!["ASUKKAITA".to_string()];
        cols.extend(HSY_AGE_COLUMNS.map(String::from));
        let o = VectorOptions::default();
        let p = ColumnPlan::resolve(&cols, &o).unwrap();
        let bands = |b: [f64; 9]| b.map(Some).to_vec();
        // 200 residents, 50 elderly; 100 residents with a genuine 99; a masked cell of 40.
        let mk = |i, total: f64, b: [f64; 9]| {
            let e = [b[6], b[7], b[8]].map(Some).to_vec();
            let mut v = vec![Some(total)];
            v.extend(e);
            v.extend(bands(b));
            row(i, v)
        };
        let rows = vec![
            mk(
                0,
                200.0,
                [30.0, 30.0, 30.0, 30.0, 15.0, 15.0, 20.0, 20.0, 10.0],
            ),
            mk(1, 200.0, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 99.0, 50.0, 50.0]),
            mk(2, 40.0, [99.0; 9]),
        ];
        let r = Reprojector::from_epsg(3879).unwrap();
        let (cells, rejected, rep) = assemble("f", "l", rows.clone(), &p, &r, &o);
        assert!(rejected.is_empty());
        assert_eq!(cells[1].elderly, Some(199.0));
        let share = (50.0 + 199.0) / 400.0;
        assert!((cells[2].elderly.unwrap() - 40.0 * share).abs() < 1e-12);
        let e = rep.elderly.unwrap();
        assert_eq!((e.masked_cells, e.masked_residents), (1, 40.0));
        assert!((e.cell_elderly - (249.0 + 40.0 * share)).abs() < 1e-9);

        let unknown = VectorOptions {
            elderly: ElderlyColumns::Sum {
                columns: HSY_ELDERLY_COLUMNS.map(String::from).to_vec(),
                mask: Some(PrivacyMask::hsy(MaskPolicy::Unknown)),
            },
            ..o
        };
        let p = ColumnPlan::resolve(&cols, &unknown).unwrap();
        let (cells, _, rep) = assemble("f", "l", rows, &p, &r, &unknown);
        assert_eq!(cells[2].elderly, None);
        assert_eq!(rep.elderly.unwrap().unknown_cells, 1);
    }

    #[test]
    fn bad_rows_are_rejected_and_counted() {
        let p = ColumnPlan::resolve(&["pop".to_string()], &VectorOptions::default()).unwrap();
        let r = Reprojector::from_epsg(3879).unwrap();
        let mut rows = vec![
            row(0, vec![Some(10.0)]),
            row(1, vec![Some(-5.0)]),
            row(2, vec![None]),
            row(3, vec![Some(7.0)]),
        ];
        rows[3].geometry = Ok(None);
        rows.push(FeatureRow {
            index: 4,
            id: None,
            geometry: Ok(None),
            values: vec![Err("n/a".into())],
        });
        let (cells, rejected, rep) = assemble("f", "l", rows, &p, &r, &VectorOptions::default());
        assert_eq!(cells.len(), 1);
        assert_eq!(rejected.len(), 4);
        assert_eq!(rep.file_population, 12.0);
        assert_eq!(
            rep.cell_population + rep.rejected_population + rep.clipped_population,
            rep.file_population
        );
        assert!(rejected.iter().any(|r| r.reason.contains("\"n/a\"")));
    }
}
