//! Tests of reading OSM files on the committed fixtures (`tests/fixtures`, see its
//! README): both formats give the same elements and the same graph; bad inputs give
//! named errors or explicit counts, never a panic; the GeoJSON export is valid.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::crs::LocalProjection;
use crate::network::osm::{OsmSelection, read_osm};
use crate::network::{Graph, GraphOptions, NetworkError, OsmKind, write_geojson};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn tongji_proj() -> LocalProjection {
    LocalProjection::new(121.497, 31.285).expect("valid origin")
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p)
        .and_then(|mut f| f.write_all(bytes))
        .expect("temp dir is writable");
    p
}

fn build(path: &Path) -> Result<Graph, NetworkError> {
    Graph::from_osm_file(path, &tongji_proj(), &GraphOptions::default())
}

#[test]
fn pbf_and_xml_hold_the_same_elements() {
    let all = |_: &[(&str, &str)]| true;
    let sel = OsmSelection {
        nodes: Some(&all),
        ways: Some(&all),
        relations: Some(&all),
    };
    let xml = read_osm(&fixture("tongji_clip.osm"), &sel).expect("XML fixture reads");
    let pbf = read_osm(&fixture("tongji_clip.osm.pbf"), &sel).expect("PBF fixture reads");
    assert_eq!(
        (xml.nodes.len(), xml.ways.len(), xml.relations.len()),
        (568, 85, 1)
    );
    assert_eq!(xml, pbf);
    // The element layer keeps what later stages need: tagged nodes, relation members.
    let rel = &xml.relations[0];
    assert_eq!(rel.id, 19_896_868);
    assert!(
        rel.members
            .iter()
            .all(|m| m.kind == OsmKind::Way && xml.ways.iter().any(|w| w.id == m.id))
    );
    assert!(
        xml.nodes
            .iter()
            .any(|n| n.tags.iter().any(|(k, _)| k == "highway"))
    );
    assert_eq!(xml.stats.ways_seen, 85);
    assert_eq!(xml.stats.highway_ways_seen, 51);
}

#[test]
fn pbf_and_xml_give_the_identical_graph() {
    let xml = build(&fixture("tongji_clip.osm")).expect("XML fixture builds");
    let pbf = build(&fixture("tongji_clip.osm.pbf")).expect("PBF fixture builds");
    assert_eq!(xml.osm_id(), pbf.osm_id());
    assert_eq!(xml.node_xy(), pbf.node_xy());
    assert_eq!(xml.first_out(), pbf.first_out());
    assert_eq!(xml.head(), pbf.head());
    assert_eq!(xml.len_m(), pbf.len_m());
    assert_eq!(xml.edge_flags(), pbf.edge_flags());
    assert_eq!(xml.segments(), pbf.segments());
    assert_eq!(xml.components(), pbf.components());
    assert_eq!(xml.summary(), pbf.summary());
    let s = xml.summary();
    assert!(
        s.nodes > 100 && s.segments > 100 && s.components > 1,
        "{s:?}"
    );
    // Selecting only ways keeps only their nodes, untagged.
    let walk = |t: &[(&str, &str)]| crate::network::walkable(t).is_some();
    let sel = OsmSelection {
        ways: Some(&walk),
        ..OsmSelection::default()
    };
    let data = read_osm(&fixture("tongji_clip.osm.pbf"), &sel).expect("reads");
    assert!(data.relations.is_empty() && data.nodes.iter().all(|n| n.tags.is_empty()));
    assert!(data.ways.len() < 51 && !data.ways.is_empty());
}

#[test]
fn truncated_pbf_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = std::fs::read(fixture("tongji_clip.osm.pbf")).expect("fixture");
    for cut in [bytes.len() / 2, bytes.len() - 1, 300, 10] {
        let p = write_temp(dir.path(), "cut.osm.pbf", &bytes[..cut]);
        let err = build(&p).expect_err("a truncated file is an error");
        assert!(
            matches!(err, NetworkError::Truncated { .. }),
            "cut {cut}: {err}"
        );
    }
    // 1–3 stray bytes after the last blob (osmpbf itself would accept them).
    let mut extra = bytes.clone();
    extra.extend_from_slice(&[0, 0]);
    let p = write_temp(dir.path(), "extra.osm.pbf", &extra);
    assert!(matches!(build(&p), Err(NetworkError::Truncated { .. })));
}

#[test]
fn absurd_blob_size_is_refused_before_reading() {
    let bytes = std::fs::read(fixture("tongji_clip.osm.pbf")).expect("fixture");
    // Keep the OSMHeader blob, then a header declaring a 1 GiB OSMData blob.
    let header_len = u32::from_be_bytes(bytes[..4].try_into().expect("4 bytes")) as usize;
    let first_blob_end = {
        // datasize is the varint after tag 0x18 in the first header.
        let h = &bytes[4..4 + header_len];
        let pos = h.iter().position(|b| *b == 0x18).expect("datasize field");
        let mut v = 0usize;
        for (i, b) in h[pos + 1..].iter().enumerate() {
            v |= usize::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                break;
            }
        }
        4 + header_len + v
    };
    let mut forged = bytes[..first_blob_end].to_vec();
    let mut h = vec![0x0a, 7];
    h.extend_from_slice(b"OSMData");
    h.push(0x18);
    let mut size: u32 = 1 << 30;
    while size >= 0x80 {
        h.push((size as u8 & 0x7f) | 0x80);
        size >>= 7;
    }
    h.push(size as u8);
    forged.extend_from_slice(&(h.len() as u32).to_be_bytes());
    forged.extend_from_slice(&h);
    forged.extend_from_slice(&[0u8; 64]);
    let dir = tempfile::tempdir().expect("temp dir");
    let p = write_temp(dir.path(), "forged.osm.pbf", &forged);
    match build(&p) {
        Err(NetworkError::BlobTooLarge { size, limit, .. }) => {
            assert_eq!((size, limit), (1 << 30, 32 << 20))
        }
        other => panic!("expected BlobTooLarge, got {other:?}"),
    }
}

#[test]
fn non_osm_files_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: [(&str, &[u8]); 5] = [
        (
            "cells.csv",
            b"cell_id,lon,lat,population\n1,121.5,31.2,30\n",
        ),
        (
            "track.gpx",
            b"<?xml version=\"1.0\"?>\n<gpx version=\"1.1\"><trk/></gpx>\n",
        ),
        ("empty.osm", b""),
        (
            "noise.pbf",
            &[
                0xff, 0xfe, 0x00, 0x17, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
            ],
        ),
        (
            "boundary.geojson",
            b"{\"type\":\"FeatureCollection\",\"features\":[]}",
        ),
    ];
    for (name, bytes) in cases {
        let p = write_temp(dir.path(), name, bytes);
        let err = build(&p).expect_err("not OSM");
        assert!(matches!(err, NetworkError::NotOsm { .. }), "{name}: {err}");
    }
    let p = write_temp(dir.path(), "city.osm.bz2", b"BZh91AY&SY\x00\x01");
    match build(&p) {
        Err(NetworkError::NotOsm { reason, .. }) => {
            assert!(reason.contains("compressed"), "{reason}")
        }
        other => panic!("expected NotOsm, got {other:?}"),
    }
    let missing = dir.path().join("does-not-exist.osm.pbf");
    assert!(matches!(build(&missing), Err(NetworkError::Io { .. })));
}

#[test]
fn truncated_xml_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = std::fs::read(fixture("tongji_clip.osm")).expect("fixture");
    for cut in [bytes.len() * 3 / 5, bytes.len() - 8, bytes.len() / 7 + 13] {
        let p = write_temp(dir.path(), "cut.osm", &bytes[..cut]);
        let err = build(&p).expect_err("a truncated file is an error");
        assert!(
            matches!(err, NetworkError::Truncated { .. }),
            "cut {cut}: {err}"
        );
    }
}

const MISSING_NODES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="31.2850000" lon="121.4950000"/>
  <node id="2" lat="31.2850000" lon="121.4990000"/>
  <node id="3" lat="31.2880000" lon="121.4990000"/>
  <node id="4" lat="31.2880000" lon="121.4950000"/>
  <way id="10">
    <nd ref="1"/><nd ref="2"/><nd ref="99"/><nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="footway"/><tag k="name" v="A &amp; B"/>
  </way>
  <way id="11">
    <nd ref="97"/><nd ref="98"/>
    <tag k="highway" v="residential"/>
  </way>
</osm>
"#;

#[test]
fn ways_with_missing_nodes_are_counted_not_fatal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = write_temp(dir.path(), "missing.osm", MISSING_NODES.as_bytes());
    let g = build(&p).expect("the present segments still build");
    let s = g.summary();
    assert_eq!(
        g.segments().len(),
        2,
        "1–2 and 3–4 survive, 2–99–3 does not"
    );
    assert_eq!(s.build.ways_walkable, 2);
    assert_eq!(s.build.ways_with_missing_nodes, 2);
    assert_eq!(s.build.ways_skipped_missing_nodes, 1);
    assert_eq!(s.build.missing_node_refs, 3);
    assert_eq!(s.components, 2);
}

#[test]
fn a_file_without_walkable_ways_is_an_error() {
    match build(&fixture("chengdu_trunk_only.osm")) {
        Err(NetworkError::NoWalkableWays {
            ways_seen,
            highway_ways,
            ..
        }) => {
            assert_eq!((ways_seen, highway_ways), (12, 12));
        }
        other => panic!("expected NoWalkableWays, got {other:?}"),
    }
    // Only missing nodes: also nothing to walk on.
    let dir = tempfile::tempdir().expect("temp dir");
    let only_missing = MISSING_NODES.replace("<node id=\"", "<node id=\"5");
    let p = write_temp(dir.path(), "none.osm", only_missing.as_bytes());
    assert!(matches!(
        build(&p),
        Err(NetworkError::NoWalkableWays {
            ways_with_missing_nodes: 2,
            ..
        })
    ));
}

#[test]
fn malformed_elements_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad_lat = MISSING_NODES.replace(
        "lat=\"31.2880000\" lon=\"121.4990000\"",
        "lat=\"north\" lon=\"121.4990000\"",
    );
    let p = write_temp(dir.path(), "badlat.osm", bad_lat.as_bytes());
    match build(&p) {
        Err(NetworkError::Malformed {
            element: Some(e), ..
        }) => assert_eq!((e.kind, e.id), (OsmKind::Node, 3)),
        other => panic!("expected Malformed node 3, got {other:?}"),
    }
    let bad_ref = MISSING_NODES.replace("<nd ref=\"97\"/>", "<nd ref=\"x\"/>");
    let p = write_temp(dir.path(), "badref.osm", bad_ref.as_bytes());
    match build(&p) {
        Err(NetworkError::Malformed {
            element: Some(e), ..
        }) => assert_eq!((e.kind, e.id), (OsmKind::Way, 11)),
        other => panic!("expected Malformed way 11, got {other:?}"),
    }
    let mismatched =
        MISSING_NODES.replace("</way>\n  <way id=\"11\">", "</wax>\n  <way id=\"11\">");
    let p = write_temp(dir.path(), "mismatch.osm", mismatched.as_bytes());
    assert!(
        matches!(build(&p), Err(NetworkError::Malformed { .. })),
        "{:?}",
        build(&p)
    );
}

#[test]
fn export_is_rfc7946_geojson() {
    let g = build(&fixture("tongji_clip.osm.pbf")).expect("fixture builds");
    let mut out = Vec::new();
    write_geojson(&g, &tongji_proj(), &mut out).expect("writing to a Vec succeeds");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(v["type"], "FeatureCollection");
    let features = v["features"].as_array().expect("features array");
    assert_eq!(features.len(), g.segments().len());
    for (f, s) in features.iter().zip(g.segments()) {
        let coords = f["geometry"]["coordinates"]
            .as_array()
            .expect("coordinates");
        assert_eq!(coords.len(), 2);
        for c in coords {
            let (lon, lat) = (c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"));
            assert!(
                (121.48..121.56).contains(&lon) && (31.27..31.31).contains(&lat),
                "{lon},{lat}"
            );
        }
        let p = &f["properties"];
        assert!((p["length_m"].as_f64().expect("length") - f64::from(s.len_m)).abs() <= 0.05);
        assert_eq!(
            p["osm_way_id"].as_i64(),
            Some(g.ways()[s.way as usize].osm_id)
        );
        assert!(p["highway"].is_string() && p["flags"].is_string() && p["component"].is_u64());
        assert!(p["snappable"].is_boolean());
    }
}
