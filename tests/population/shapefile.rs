//! Shapefile reader: the HSY 2015 grid with its 99 privacy mask, and clip polygons.

use learncircle::input::population_file::{
    PopulationFormatError, PopulationOptions, PopulationReport, read_population_file,
};
use learncircle::input::shapefile::{ShapefileError, read_clip_polygon, read_shapefile};
use learncircle::input::vector::{
    ElderlyColumns, HSY_ELDERLY_COLUMNS, MaskPolicy, PrivacyMask, VectorOptions,
};

use crate::util::{hsy, wuhan};

/// Independent truth (pyproj/geopandas, computed once; see the fixtures README):
/// (INDEX, ASUKKAITA, x_3067, y_3067, lon, lat).
const GRID_2015: [(&str, f64, f64, f64, f64, f64); 3] = [
    (
        "688",
        8.0,
        362_183.074,
        6_689_703.321,
        24.504_607_290,
        60.320_408_953,
    ),
    (
        "11112",
        99.0,
        377_748.332,
        6_675_227.672,
        24.794_935_455,
        60.195_518_793,
    ),
    (
        "27699",
        30_244.0,
        402_753.644,
        6_658_717.260,
        25.253_550_440,
        60.054_070_089,
    ),
];

#[test]
fn hsy_2015_totals_location_and_elderly_mask() {
    let (cells, rejected, rep) = read_shapefile(
        &hsy("Vaestotietoruudukko_2015.shp"),
        &VectorOptions::default(),
    )
    .unwrap();
    assert!(rejected.is_empty());
    assert_eq!(cells.len(), 5784);
    assert_eq!(rep.crs, "EPSG:3879");
    assert_eq!(rep.population_column, "ASUKKAITA");
    assert_eq!(rep.cell_population, 1_117_552.0);
    let truth: Vec<_> = GRID_2015
        .iter()
        .map(|(i, p, x, y, lo, la)| (*i, *p, *x, *y, *lo, *la))
        .collect();
    crate::gpkg::assert_lands(&cells, &truth, 0.05);

    // Elderly: 2 743 cells (98 877 residents) are masked with 99 in every band; the
    // unmasked cells hold 216 927 elderly among 1 018 675 residents (pandas, once).
    let e = rep.elderly.unwrap();
    assert_eq!(e.columns, HSY_ELDERLY_COLUMNS.map(String::from).to_vec());
    assert_eq!((e.masked_cells, e.masked_residents), (2743, 98_877.0));
    let share = 216_927.0 / 1_018_675.0;
    assert!((e.elderly_share.unwrap() - share).abs() < 1e-12);
    assert!((e.estimated_elderly - 98_877.0 * share).abs() < 1e-6);
    assert!((e.cell_elderly - (216_927.0 + 98_877.0 * share)).abs() < 1e-6);
    let by_id = |id: &str| cells.iter().find(|c| c.id.as_deref() == Some(id)).unwrap();
    assert_eq!(by_id("27699").elderly, Some(1863.0 + 900.0 + 1303.0));
    assert!((by_id("688").elderly.unwrap() - 8.0 * share).abs() < 1e-12);
    // A genuine 99 in a cell whose bands add up is not a mask.
    assert!(
        cells
            .iter()
            .filter_map(|c| c.elderly)
            .all(|v| v.fract() == 0.0 || v < 100.0)
    );
}

#[test]
fn hsy_2015_mask_left_unknown() {
    let opts = VectorOptions {
        elderly: ElderlyColumns::Sum {
            columns: HSY_ELDERLY_COLUMNS.map(String::from).to_vec(),
            mask: Some(PrivacyMask::hsy(MaskPolicy::Unknown)),
        },
        keep_polygons: false,
        ..VectorOptions::default()
    };
    let (cells, _, rep) = read_shapefile(&hsy("Vaestotietoruudukko_2015.shp"), &opts).unwrap();
    let e = rep.elderly.unwrap();
    assert_eq!(e.unknown_cells, 2743);
    assert_eq!(e.cell_elderly, 216_927.0);
    assert_eq!(cells.iter().filter(|c| c.elderly.is_none()).count(), 2743);
}

#[test]
fn the_dispatcher_reads_every_format() {
    let o = PopulationOptions::default();
    let shp = read_population_file(&hsy("Vaestotietoruudukko_2015.shp"), &o).unwrap();
    let gpkg = read_population_file(&hsy("Population_grid_2021_HSY.gpkg"), &o).unwrap();
    let tif = read_population_file(&wuhan("pop_60_f_wuhan.tif"), &o).unwrap();
    assert_eq!((shp.cells.len(), gpkg.cells.len()), (5784, 5853));
    assert!(
        matches!(tif.report, PopulationReport::Raster(ref r) if r.cell_population.round() == 321_181.0)
    );
    let e = read_population_file(&wuhan("wuhan-boundary.geojson"), &o).unwrap_err();
    assert!(
        matches!(e, PopulationFormatError::UnknownExtension { .. }),
        "{e}"
    );
}

#[test]
fn clip_polygon_from_a_shapefile() {
    let mp = read_clip_polygon(&wuhan("wuhan-boundary.shp"), None).unwrap();
    let rect = geo::BoundingRect::bounding_rect(&mp).unwrap();
    // PROVENANCE.md: extent 113.6925–115.0769 E, 29.9720–31.3622 N.
    assert!(
        (rect.min().x - 113.6925).abs() < 1e-3 && (rect.max().y - 31.3622).abs() < 1e-3,
        "{rect:?}"
    );
    // The HSY grid as a clip area reprojects from GK25 to WGS84.
    let grid = read_clip_polygon(&hsy("Vaestotietoruudukko_2015.shp"), None).unwrap();
    assert_eq!(grid.0.len(), 5784);
}

#[test]
fn missing_or_unsupported_prj_and_dbf() {
    let d = tempfile::tempdir().unwrap();
    for ext in ["shp", "shx", "dbf"] {
        std::fs::copy(
            wuhan(&format!("wuhan-boundary.{ext}")),
            d.path().join(format!("b.{ext}")),
        )
        .unwrap();
    }
    let shp = d.path().join("b.shp");
    assert!(matches!(
        read_clip_polygon(&shp, None),
        Err(ShapefileError::MissingPrj { .. })
    ));
    assert!(read_clip_polygon(&shp, Some(4326)).is_ok());
    std::fs::write(d.path().join("b.prj"), "LOCAL_CS[\"napkin\"]").unwrap();
    let e = read_clip_polygon(&shp, None).unwrap_err();
    assert!(matches!(e, ShapefileError::UnsupportedPrj { .. }), "{e}");
    // A polygon layer without a population column.
    std::fs::remove_file(d.path().join("b.prj")).unwrap();
    let opts = VectorOptions {
        source_epsg: Some(4326),
        ..VectorOptions::default()
    };
    let e = read_shapefile(&shp, &opts).unwrap_err();
    assert!(matches!(e, ShapefileError::Column { .. }), "{e}");
    assert!(e.to_string().contains("name"), "{e}");
    std::fs::remove_file(d.path().join("b.dbf")).unwrap();
    assert!(matches!(
        read_shapefile(&shp, &opts),
        Err(ShapefileError::Io { .. })
    ));
}
