//! A small, reusable OpenStreetMap element layer over both file formats.
//!
//! * **Inputs:** an OSM PBF (`*.osm.pbf`, decoded in parallel with `osmpbf`, one
//!   rayon task per blob) or an OSM XML file (`*.osm`, streamed with `quick-xml`),
//!   and an [`OsmSelection`] saying which tagged nodes, ways and relations to keep.
//! * **Outputs:** [`OsmData`]: the kept elements with their tags, **sorted by id**,
//!   plus every node that a kept way references (coordinates only) and read counts.
//!
//! The same content in either format gives the same [`OsmData`]: coordinates are
//! kept as integer 10⁻⁷ degrees (the PBF resolution; XML values are rounded to it,
//! 1.1 cm), and results are ordered by id, not by thread scheduling.
//!
//! Memory stays low because the file is read in passes, relations → ways → nodes,
//! and each pass keeps only what the previous one asked for; a city-size PBF never
//! has all of its nodes in memory. The network uses ways + their nodes; later
//! stages (POIs, buildings) can use tagged nodes and multipolygon relations.
//!
//! # Errors
//! Every problem with the file is a [`NetworkError`], never a panic. A PBF's blob
//! structure is checked before decoding (sizes within the format limits, no blob
//! running past the end of the file), so a corrupt size cannot trigger a huge
//! allocation and a truncated download is named as such.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use osmpbf::{BlobDecode, BlobReader, PrimitiveBlock, RelMemberType};
use quick_xml::events::{BytesStart, Event};
use rayon::prelude::*;

use super::error::{ElementRef, NetworkError, OsmKind};

/// Read-only access to an element's tags, whatever their storage.
pub trait Tags {
    /// The value of `key`, if the element has it.
    fn tag(&self, key: &str) -> Option<&str>;
}

impl Tags for [(&str, &str)] {
    fn tag(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

impl Tags for [(String, String)] {
    fn tag(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

impl<T: Tags + ?Sized> Tags for &T {
    fn tag(&self, key: &str) -> Option<&str> {
        (**self).tag(key)
    }
}

/// A predicate over an element's tags, shared by the decoding threads.
pub type TagFilter<'a> = &'a (dyn Fn(&[(&str, &str)]) -> bool + Sync);

/// Which elements [`read_osm`] keeps. `None` keeps none of that kind (and skips the
/// corresponding pass where possible).
#[derive(Clone, Copy, Default)]
pub struct OsmSelection<'a> {
    /// Tagged nodes to keep *with their tags* (e.g. POIs). Nodes referenced by kept
    /// ways are always kept, without tags unless this filter also matches.
    pub nodes: Option<TagFilter<'a>>,
    /// Ways to keep (with tags and node references).
    pub ways: Option<TagFilter<'a>>,
    /// Relations to keep (with tags and members); their way members are kept too.
    pub relations: Option<TagFilter<'a>>,
}

impl std::fmt::Debug for OsmSelection<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsmSelection")
            .field("nodes", &self.nodes.is_some())
            .field("ways", &self.ways.is_some())
            .field("relations", &self.relations.is_some())
            .finish()
    }
}

/// A node: id, position in 10⁻⁷ degrees, and its tags when selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsmNode {
    /// OSM id.
    pub id: i64,
    /// Longitude, 10⁻⁷ degrees.
    pub lon_e7: i32,
    /// Latitude, 10⁻⁷ degrees.
    pub lat_e7: i32,
    /// Tags (empty when the node was kept only as a way member).
    pub tags: Vec<(String, String)>,
}

impl OsmNode {
    /// Longitude in degrees.
    #[must_use]
    pub fn lon(&self) -> f64 {
        f64::from(self.lon_e7) * 1e-7
    }

    /// Latitude in degrees.
    #[must_use]
    pub fn lat(&self) -> f64 {
        f64::from(self.lat_e7) * 1e-7
    }
}

/// A way: node references in order, and tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsmWay {
    /// OSM id.
    pub id: i64,
    /// Node ids, in order (a closed way repeats its first node at the end).
    pub refs: Vec<i64>,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

/// A relation member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsmMember {
    /// Member kind.
    pub kind: OsmKind,
    /// Member OSM id.
    pub id: i64,
    /// Role (`outer`, `inner`, … possibly empty).
    pub role: String,
}

/// A relation: members and tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsmRelation {
    /// OSM id.
    pub id: i64,
    /// Members, in order.
    pub members: Vec<OsmMember>,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

/// Counts of what the file held (all elements, not only the kept ones).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OsmReadStats {
    /// Nodes in the file.
    pub nodes_seen: u64,
    /// Ways in the file.
    pub ways_seen: u64,
    /// Ways with a `highway=*` tag.
    pub highway_ways_seen: u64,
    /// Relations in the file.
    pub relations_seen: u64,
}

/// What [`read_osm`] kept, each list sorted by OSM id (duplicates removed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OsmData {
    /// Selected tagged nodes and every node referenced by a kept way.
    pub nodes: Vec<OsmNode>,
    /// Selected ways (and way members of selected relations).
    pub ways: Vec<OsmWay>,
    /// Selected relations.
    pub relations: Vec<OsmRelation>,
    /// Counts over the whole file.
    pub stats: OsmReadStats,
}

impl OsmData {
    /// Every element with tags, as (kind, id, tags): tagged nodes, then ways, then
    /// relations, each in file order.
    pub fn tagged_elements(&self) -> impl Iterator<Item = (OsmKind, i64, &[(String, String)])> {
        let nodes = self
            .nodes
            .iter()
            .filter(|n| !n.tags.is_empty())
            .map(|n| (OsmKind::Node, n.id, n.tags.as_slice()));
        let ways = self
            .ways
            .iter()
            .map(|w| (OsmKind::Way, w.id, w.tags.as_slice()));
        let relations = self
            .relations
            .iter()
            .map(|r| (OsmKind::Relation, r.id, r.tags.as_slice()));
        nodes.chain(ways).chain(relations)
    }

    /// The node with this id, if it was kept (binary search).
    #[must_use]
    pub fn node(&self, id: i64) -> Option<&OsmNode> {
        self.nodes
            .binary_search_by_key(&id, |n| n.id)
            .ok()
            .map(|i| &self.nodes[i])
    }
}

/// The two encodings of OSM data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OsmFormat {
    /// Protocol-buffer binary format (`.osm.pbf`).
    Pbf,
    /// XML (`.osm`).
    Xml,
}

impl OsmFormat {
    /// Detects the format from the first bytes of the file (not its name): XML
    /// starts with `<` (after an optional BOM and blanks), a PBF with a 4-byte blob
    /// header length followed by an `OSMHeader` blob header.
    ///
    /// # Errors
    /// [`NetworkError::Io`] when the file cannot be read, [`NetworkError::NotOsm`]
    /// when it looks like neither.
    pub fn sniff(path: &Path) -> Result<Self, NetworkError> {
        let mut head = Vec::with_capacity(64);
        File::open(path)
            .and_then(|f| f.take(64).read_to_end(&mut head))
            .map_err(|source| io_err(path, source))?;
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        if let Some(first) = text.iter().find(|b| !b.is_ascii_whitespace())
            && *first == b'<'
        {
            return Ok(OsmFormat::Xml);
        }
        // A PBF starts with a blob header `0a 09 "OSMHeader" …` after its 4-byte
        // length; a file cut inside those bytes is still recognised (and later
        // reported as truncated).
        const PBF_START: &[u8] = b"\x0a\x09OSMHeader";
        if head.len() > 4 {
            let rest = &head[4..];
            let n = rest.len().min(PBF_START.len());
            if rest[..n] == PBF_START[..n] || rest.windows(9).any(|w| w == b"OSMHeader") {
                return Ok(OsmFormat::Pbf);
            }
        }
        let reason = if head.is_empty() {
            "the file is empty".to_string()
        } else if head.starts_with(&[0x1f, 0x8b]) || head.starts_with(b"BZh") {
            "it is compressed (gzip or bzip2); decompress it first".to_string()
        } else {
            "it starts with neither '<' (XML) nor an OSMHeader blob (PBF)".to_string()
        };
        Err(NetworkError::NotOsm {
            path: path.to_path_buf(),
            reason,
        })
    }
}

fn io_err(path: &Path, source: std::io::Error) -> NetworkError {
    NetworkError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn malformed(path: &Path, element: Option<ElementRef>, reason: impl Into<String>) -> NetworkError {
    NetworkError::Malformed {
        path: path.to_path_buf(),
        element,
        reason: reason.into(),
    }
}

/// Reads the elements chosen by `selection` from an OSM PBF or XML file.
///
/// # Errors
/// Any [`NetworkError`] about the file: unreadable, not OSM, truncated, a blob over
/// the format limits, an unsupported PBF feature, or a malformed element.
///
/// # Performance
/// PBF: one parallel decoding pass per element kind that is needed (relations, if
/// selected; ways; nodes), each over all blobs. XML: the same passes, streamed.
pub fn read_osm(path: &Path, selection: &OsmSelection<'_>) -> Result<OsmData, NetworkError> {
    match OsmFormat::sniff(path)? {
        OsmFormat::Pbf => {
            check_pbf_structure(path)?;
            match (selection.ways, selection.nodes, selection.relations) {
                (Some(keep), None, None) => pbf_ways_one_pass(path, keep),
                _ => read_passes(path, selection, &PbfSource),
            }
        }
        OsmFormat::Xml => read_passes(path, selection, &XmlSource),
    }
}

/// Ids requested by earlier passes, sorted and deduplicated.
#[derive(Default)]
struct Wanted {
    ways: Vec<i64>,
    nodes: Vec<i64>,
}

fn contains(sorted: &[i64], id: i64) -> bool {
    sorted.binary_search(&id).is_ok()
}

/// One format's way of running a pass over one element kind.
trait Source: Sync {
    fn relations(
        &self,
        path: &Path,
        keep: TagFilter<'_>,
    ) -> Result<(Vec<OsmRelation>, u64), NetworkError>;
    fn ways(
        &self,
        path: &Path,
        keep: Option<TagFilter<'_>>,
        wanted: &[i64],
    ) -> Result<(Vec<OsmWay>, u64, u64), NetworkError>;
    fn nodes(
        &self,
        path: &Path,
        keep: Option<TagFilter<'_>>,
        wanted: &[i64],
    ) -> Result<(Vec<OsmNode>, u64), NetworkError>;
}

fn read_passes(
    path: &Path,
    sel: &OsmSelection<'_>,
    src: &dyn Source,
) -> Result<OsmData, NetworkError> {
    let mut data = OsmData::default();
    let mut wanted = Wanted::default();
    if let Some(keep) = sel.relations {
        let (mut rels, seen) = src.relations(path, keep)?;
        rels.sort_by_key(|r| r.id);
        rels.dedup_by_key(|r| r.id);
        for r in &rels {
            for m in &r.members {
                match m.kind {
                    OsmKind::Way => wanted.ways.push(m.id),
                    OsmKind::Node => wanted.nodes.push(m.id),
                    OsmKind::Relation => {}
                }
            }
        }
        wanted.ways.sort_unstable();
        wanted.ways.dedup();
        data.relations = rels;
        data.stats.relations_seen = seen;
    }
    if sel.ways.is_some() || !wanted.ways.is_empty() {
        let (mut ways, seen, highway) = src.ways(path, sel.ways, &wanted.ways)?;
        ways.sort_by_key(|w| w.id);
        ways.dedup_by_key(|w| w.id);
        for w in &ways {
            wanted.nodes.extend_from_slice(&w.refs);
        }
        data.ways = ways;
        data.stats.ways_seen = seen;
        data.stats.highway_ways_seen = highway;
    }
    wanted.nodes.sort_unstable();
    wanted.nodes.dedup();
    if sel.nodes.is_some() || !wanted.nodes.is_empty() {
        let (mut nodes, seen) = src.nodes(path, sel.nodes, &wanted.nodes)?;
        // A corrupt PBF can hold any 10⁻⁷-degree value (osmpbf's delta decoding
        // wraps on overflow in release builds): refuse what is not on the globe.
        if let Some(n) = nodes.iter().find(|n| {
            n.lat_e7.unsigned_abs() > 900_000_000 || n.lon_e7.unsigned_abs() > 1_800_000_000
        }) {
            return Err(malformed(
                path,
                Some(ElementRef {
                    kind: OsmKind::Node,
                    id: n.id,
                }),
                format!(
                    "coordinates out of range (lon {}, lat {})",
                    n.lon(),
                    n.lat()
                ),
            ));
        }
        nodes.sort_by_key(|n| n.id);
        nodes.dedup_by_key(|n| n.id);
        data.nodes = nodes;
        data.stats.nodes_seen = seen;
    }
    Ok(data)
}

fn owned_tags(tags: &[(&str, &str)]) -> Vec<(String, String)> {
    tags.iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

// ---------------------------------------------------------------------------------
// PBF
// ---------------------------------------------------------------------------------

/// Largest blob header the format allows (the PBF spec: 64 KiB).
pub const MAX_PBF_HEADER_BYTES: u64 = 64 * 1024;
/// Largest blob the format allows (the PBF spec: 32 MiB, compressed or not).
pub const MAX_PBF_BLOB_BYTES: u64 = 32 * 1024 * 1024;

/// Header features this reader understands; any other *required* feature is refused.
const SUPPORTED_FEATURES: [&str; 2] = ["OsmSchema-V0.6", "DenseNodes"];

/// Walks the blob framing of a PBF (4-byte length, `BlobHeader`, blob) without
/// decoding any blob: every size must be within the format limits and inside the
/// file, and the first blob must be an `OSMHeader`. Reads only the small headers and
/// seeks past the blobs, so it costs a few milliseconds even on large files.
///
/// osmpbf caps decompressed sizes itself, but trusts the declared blob size; this
/// check refuses absurd sizes before anything is read into memory and names a
/// truncated file as truncated.
///
/// # Errors
/// [`NetworkError::NotOsm`], [`NetworkError::Truncated`], [`NetworkError::BlobTooLarge`]
/// or [`NetworkError::Io`].
pub fn check_pbf_structure(path: &Path) -> Result<(), NetworkError> {
    let file = File::open(path).map_err(|e| io_err(path, e))?;
    let file_len = file.metadata().map_err(|e| io_err(path, e))?.len();
    let mut r = BufReader::new(file);
    let mut offset: u64 = 0;
    let mut first = true;
    let truncated = |offset: u64, reason: &str| NetworkError::Truncated {
        path: path.to_path_buf(),
        offset,
        reason: reason.to_string(),
    };
    while offset < file_len {
        if file_len - offset < 4 {
            return Err(truncated(offset, "incomplete blob header length"));
        }
        let mut len4 = [0u8; 4];
        r.read_exact(&mut len4).map_err(|e| io_err(path, e))?;
        let header_len = u64::from(u32::from_be_bytes(len4));
        if header_len > MAX_PBF_HEADER_BYTES {
            if first {
                return Err(NetworkError::NotOsm {
                    path: path.to_path_buf(),
                    reason: format!("first blob header length {header_len} is not plausible"),
                });
            }
            return Err(NetworkError::BlobTooLarge {
                path: path.to_path_buf(),
                offset,
                size: header_len,
                limit: MAX_PBF_HEADER_BYTES,
            });
        }
        if offset + 4 + header_len > file_len {
            return Err(truncated(
                offset + 4,
                "blob header runs past the end of the file",
            ));
        }
        let header_len_usize =
            usize::try_from(header_len).expect("header length is at most 64 KiB");
        let mut header = vec![0u8; header_len_usize];
        r.read_exact(&mut header).map_err(|e| io_err(path, e))?;
        let parsed = parse_blob_header(&header).ok_or_else(|| {
            if first {
                NetworkError::NotOsm {
                    path: path.to_path_buf(),
                    reason: "the first bytes do not decode as a PBF blob header".into(),
                }
            } else {
                malformed(
                    path,
                    None,
                    format!("blob header at byte {offset} cannot be decoded"),
                )
            }
        })?;
        if first && parsed.kind != b"OSMHeader" {
            return Err(NetworkError::NotOsm {
                path: path.to_path_buf(),
                reason: format!(
                    "the first blob is {:?}, not OSMHeader",
                    String::from_utf8_lossy(&parsed.kind)
                ),
            });
        }
        let data_size = u64::try_from(parsed.data_size).map_err(|_| {
            malformed(
                path,
                None,
                format!("blob at byte {offset} declares a negative size"),
            )
        })?;
        if data_size > MAX_PBF_BLOB_BYTES {
            return Err(NetworkError::BlobTooLarge {
                path: path.to_path_buf(),
                offset,
                size: data_size,
                limit: MAX_PBF_BLOB_BYTES,
            });
        }
        let blob_start = offset + 4 + header_len;
        if blob_start + data_size > file_len {
            return Err(truncated(
                blob_start,
                &format!(
                    "blob of {data_size} bytes runs past the end of the file ({file_len} bytes)"
                ),
            ));
        }
        let skip = i64::try_from(data_size).expect("data size is at most 32 MiB");
        r.seek_relative(skip).map_err(|e| io_err(path, e))?;
        offset = blob_start + data_size;
        first = false;
    }
    if first {
        return Err(NetworkError::NotOsm {
            path: path.to_path_buf(),
            reason: "the file is empty".into(),
        });
    }
    Ok(())
}

struct BlobHeaderFields {
    kind: Vec<u8>,
    data_size: i64,
}

/// Minimal protobuf decoding of `BlobHeader { string type = 1; bytes indexdata = 2;
/// int32 datasize = 3; }`; `None` when the bytes are not such a message.
fn parse_blob_header(mut b: &[u8]) -> Option<BlobHeaderFields> {
    fn varint(b: &mut &[u8]) -> Option<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = b.split_first()?;
            *b = rest;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    let mut kind = None;
    let mut data_size = None;
    while !b.is_empty() {
        let key = varint(&mut b)?;
        match (key >> 3, key & 7) {
            (3, 0) => {
                // int32 is sign-extended to 64 bits on the wire.
                data_size = Some(i64::from_ne_bytes(varint(&mut b)?.to_ne_bytes()));
            }
            (_, 0) => {
                varint(&mut b)?;
            }
            (field, 2) => {
                let len = usize::try_from(varint(&mut b)?).ok()?;
                if len > b.len() {
                    return None;
                }
                let (value, rest) = b.split_at(len);
                if field == 1 {
                    kind = Some(value.to_vec());
                }
                b = rest;
            }
            (_, 1) => b = b.get(8..)?,
            (_, 5) => b = b.get(4..)?,
            _ => return None,
        }
    }
    Some(BlobHeaderFields {
        kind: kind?,
        data_size: data_size?,
    })
}

struct PbfSource;

/// Decodes every blob in parallel and calls `per_block` on each data block; results
/// are returned in file order (sorted by blob index), whatever the thread count.
fn pbf_blocks<T: Send>(
    path: &Path,
    per_block: impl Fn(&PrimitiveBlock) -> T + Sync,
) -> Result<Vec<T>, NetworkError> {
    let reader = BlobReader::from_path(path).map_err(|e| pbf_err(path, None, &e))?;
    let mut parts: Vec<(usize, T)> = reader
        .enumerate()
        .par_bridge()
        .filter_map(|(i, blob)| {
            let blob = match blob {
                Ok(b) => b,
                Err(e) => return Some(Err(pbf_err(path, Some(i), &e))),
            };
            match blob.decode() {
                Ok(BlobDecode::OsmData(block)) => Some(Ok((i, per_block(&block)))),
                Ok(BlobDecode::OsmHeader(header)) => header
                    .required_features()
                    .iter()
                    .find(|f| !SUPPORTED_FEATURES.contains(&f.as_str()))
                    .map(|f| {
                        Err(NetworkError::UnsupportedFeature {
                            path: path.to_path_buf(),
                            feature: f.clone(),
                        })
                    }),
                Ok(BlobDecode::Unknown(_)) => None,
                Err(e) => Some(Err(pbf_err(path, Some(i), &e))),
            }
        })
        .collect::<Result<Vec<_>, NetworkError>>()?;
    parts.sort_unstable_by_key(|(i, _)| *i);
    Ok(parts.into_iter().map(|(_, t)| t).collect())
}

fn pbf_err(path: &Path, blob: Option<usize>, e: &osmpbf::Error) -> NetworkError {
    if let osmpbf::ErrorKind::Io(io) = e.kind() {
        return NetworkError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        };
    }
    let at = blob.map(|i| format!("blob {i}: ")).unwrap_or_default();
    malformed(path, None, format!("{at}{e}"))
}

/// [`read_passes`] for a selection of ways only (the walking network): one pass
/// decodes every blob once, keeping the selected ways and every node's id and
/// coordinates; the ways' nodes are then picked from those. Same result as the
/// two passes (ways, then their nodes), with half the decoding.
fn pbf_ways_one_pass(path: &Path, keep: TagFilter<'_>) -> Result<OsmData, NetworkError> {
    let parts = pbf_blocks(path, |block| {
        let mut ways = Vec::new();
        let mut nodes: Vec<(i64, i32, i32)> = Vec::new();
        let (mut seen, mut highway) = (0u64, 0u64);
        for group in block.groups() {
            for way in group.ways() {
                seen += 1;
                let tags: Vec<(&str, &str)> = way.tags().collect();
                if tags.tag("highway").is_some() {
                    highway += 1;
                }
                if keep(&tags) {
                    ways.push(OsmWay {
                        id: way.id(),
                        refs: way.refs().collect(),
                        tags: owned_tags(&tags),
                    });
                }
            }
            for n in group.nodes() {
                nodes.push((n.id(), n.decimicro_lon(), n.decimicro_lat()));
            }
            for n in group.dense_nodes() {
                nodes.push((n.id(), n.decimicro_lon(), n.decimicro_lat()));
            }
        }
        (ways, nodes, seen, highway)
    })?;
    let mut data = OsmData::default();
    data.stats.ways_seen = parts.iter().map(|p| p.2).sum();
    data.stats.highway_ways_seen = parts.iter().map(|p| p.3).sum();
    let nodes_seen = parts.iter().map(|p| p.1.len() as u64).sum();
    let mut all_nodes = Vec::with_capacity(parts.len());
    let mut ways = Vec::new();
    for (w, n, _, _) in parts {
        ways.extend(w);
        all_nodes.push(n);
    }
    ways.sort_by_key(|w: &OsmWay| w.id);
    ways.dedup_by_key(|w| w.id);
    let mut wanted: Vec<i64> = ways.iter().flat_map(|w| w.refs.iter().copied()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    data.ways = ways;
    if wanted.is_empty() {
        return Ok(data); // the two passes skip the node pass: no nodes seen
    }
    data.stats.nodes_seen = nodes_seen;
    let mut nodes: Vec<OsmNode> = all_nodes
        .into_iter()
        .flatten()
        .filter(|&(id, _, _)| contains(&wanted, id))
        .map(|(id, lon_e7, lat_e7)| OsmNode {
            id,
            lon_e7,
            lat_e7,
            tags: Vec::new(),
        })
        .collect();
    // As in `read_passes`: a corrupt PBF can hold any 10⁻⁷-degree value.
    if let Some(n) = nodes
        .iter()
        .find(|n| n.lat_e7.unsigned_abs() > 900_000_000 || n.lon_e7.unsigned_abs() > 1_800_000_000)
    {
        return Err(malformed(
            path,
            Some(ElementRef {
                kind: OsmKind::Node,
                id: n.id,
            }),
            format!(
                "coordinates out of range (lon {}, lat {})",
                n.lon(),
                n.lat()
            ),
        ));
    }
    nodes.sort_by_key(|n| n.id);
    nodes.dedup_by_key(|n| n.id);
    data.nodes = nodes;
    Ok(data)
}

impl Source for PbfSource {
    fn relations(
        &self,
        path: &Path,
        keep: TagFilter<'_>,
    ) -> Result<(Vec<OsmRelation>, u64), NetworkError> {
        let parts = pbf_blocks(path, |block| {
            let mut out = Vec::new();
            let mut seen = 0u64;
            for group in block.groups() {
                for rel in group.relations() {
                    seen += 1;
                    let tags: Vec<(&str, &str)> = rel.tags().collect();
                    if keep(&tags) {
                        let members = rel
                            .members()
                            .map(|m| OsmMember {
                                kind: match m.member_type {
                                    RelMemberType::Node => OsmKind::Node,
                                    RelMemberType::Way => OsmKind::Way,
                                    RelMemberType::Relation => OsmKind::Relation,
                                },
                                id: m.member_id,
                                role: m.role().unwrap_or_default().to_string(),
                            })
                            .collect();
                        out.push(OsmRelation {
                            id: rel.id(),
                            members,
                            tags: owned_tags(&tags),
                        });
                    }
                }
            }
            (out, seen)
        })?;
        let seen = parts.iter().map(|p| p.1).sum();
        Ok((parts.into_iter().flat_map(|p| p.0).collect(), seen))
    }

    fn ways(
        &self,
        path: &Path,
        keep: Option<TagFilter<'_>>,
        wanted: &[i64],
    ) -> Result<(Vec<OsmWay>, u64, u64), NetworkError> {
        let parts = pbf_blocks(path, |block| {
            let mut out = Vec::new();
            let (mut seen, mut highway) = (0u64, 0u64);
            for group in block.groups() {
                for way in group.ways() {
                    seen += 1;
                    let tags: Vec<(&str, &str)> = way.tags().collect();
                    if tags.tag("highway").is_some() {
                        highway += 1;
                    }
                    if keep.is_some_and(|f| f(&tags)) || contains(wanted, way.id()) {
                        out.push(OsmWay {
                            id: way.id(),
                            refs: way.refs().collect(),
                            tags: owned_tags(&tags),
                        });
                    }
                }
            }
            (out, seen, highway)
        })?;
        let seen = parts.iter().map(|p| p.1).sum();
        let highway = parts.iter().map(|p| p.2).sum();
        Ok((parts.into_iter().flat_map(|p| p.0).collect(), seen, highway))
    }

    fn nodes(
        &self,
        path: &Path,
        keep: Option<TagFilter<'_>>,
        wanted: &[i64],
    ) -> Result<(Vec<OsmNode>, u64), NetworkError> {
        let parts = pbf_blocks(path, |block| {
            let mut out = Vec::new();
            let mut seen = 0u64;
            let mut consider =
                |id: i64,
                 lon_e7: i32,
                 lat_e7: i32,
                 tags: &mut dyn Iterator<Item = (&str, &str)>| {
                    seen += 1;
                    let wanted_here = contains(wanted, id);
                    let tagged = match keep {
                        Some(f) => {
                            let t: Vec<(&str, &str)> = tags.collect();
                            (!t.is_empty() && f(&t)).then(|| owned_tags(&t))
                        }
                        None => None,
                    };
                    if wanted_here || tagged.is_some() {
                        out.push(OsmNode {
                            id,
                            lon_e7,
                            lat_e7,
                            tags: tagged.unwrap_or_default(),
                        });
                    }
                };
            for group in block.groups() {
                for n in group.nodes() {
                    consider(n.id(), n.decimicro_lon(), n.decimicro_lat(), &mut n.tags());
                }
                for n in group.dense_nodes() {
                    consider(n.id(), n.decimicro_lon(), n.decimicro_lat(), &mut n.tags());
                }
            }
            (out, seen)
        })?;
        let seen = parts.iter().map(|p| p.1).sum();
        Ok((parts.into_iter().flat_map(|p| p.0).collect(), seen))
    }
}

// ---------------------------------------------------------------------------------
// XML
// ---------------------------------------------------------------------------------

struct XmlSource;

/// One element as streamed from XML; buffers are reused between elements.
#[derive(Default)]
struct XmlElement {
    kind: Option<OsmKind>,
    id: i64,
    lon_e7: Option<i32>,
    lat_e7: Option<i32>,
    tags: Vec<(String, String)>,
    refs: Vec<i64>,
    members: Vec<OsmMember>,
}

impl XmlElement {
    fn element_ref(&self) -> Option<ElementRef> {
        self.kind.map(|kind| ElementRef { kind, id: self.id })
    }

    fn tag_refs(&self) -> Vec<(&str, &str)> {
        self.tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// Degrees as written in XML → integer 10⁻⁷ degrees. A 7-decimal value is recovered
/// exactly: the f64 parse error (≤ 1 ulp ≈ 3e-14°) is far below the 0.5e-7° rounding.
fn degrees_e7(text: &str, limit: f64) -> Option<i32> {
    let v: f64 = text.trim().parse().ok()?;
    if !v.is_finite() || v.abs() > limit {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)] // |v| ≤ 180, so |v·1e7| < 2^31
    Some((v * 1e7).round() as i32)
}

/// Streams the file, calling `on_element` for each complete node/way/relation of
/// the kinds in `kinds` (others are parsed for well-formedness but not built).
fn xml_pass(
    path: &Path,
    kinds: &[OsmKind],
    mut on_element: impl FnMut(&XmlElement) -> Result<(), NetworkError>,
) -> Result<u64, NetworkError> {
    let file = File::open(path).map_err(|e| io_err(path, e))?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, file));
    let mut buf = Vec::with_capacity(1024);
    let mut depth: usize = 0;
    let mut seen_root = false;
    let mut cur = XmlElement::default();
    let mut in_element = false;
    let mut seen: u64 = 0;
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(path, &e, pos, &cur, in_element))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = e.name();
                let name = name.as_ref();
                if !seen_root {
                    if name != "osm" {
                        return Err(NetworkError::NotOsm {
                            path: path.to_path_buf(),
                            reason: format!("root element is <{}>, not <osm>", name),
                        });
                    }
                    seen_root = true;
                } else if depth == 1 {
                    let kind = match name {
                        "node" => Some(OsmKind::Node),
                        "way" => Some(OsmKind::Way),
                        "relation" => Some(OsmKind::Relation),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        in_element = kinds.contains(&kind);
                        seen += u64::from(in_element);
                        if in_element {
                            start_element(path, e, kind, &mut cur)?;
                        }
                        if empty && in_element {
                            on_element(&cur)?;
                            in_element = false;
                        }
                    }
                } else if depth == 2 && in_element {
                    child_element(path, e, name, &mut cur)?;
                }
                if !empty {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1 && in_element {
                    on_element(&cur)?;
                    in_element = false;
                }
            }
            Event::Text(ref t) if depth == 0 && !t.chars().all(char::is_whitespace) => {
                return Err(NetworkError::NotOsm {
                    path: path.to_path_buf(),
                    reason: "text outside of any XML element".into(),
                });
            }
            Event::Eof => {
                if !seen_root {
                    return Err(NetworkError::NotOsm {
                        path: path.to_path_buf(),
                        reason: "no <osm> root element".into(),
                    });
                }
                if depth > 0 {
                    return Err(NetworkError::Truncated {
                        path: path.to_path_buf(),
                        offset: reader.buffer_position(),
                        reason: format!("{depth} XML element(s) left open at the end of the file"),
                    });
                }
                return Ok(seen);
            }
            _ => {}
        }
        buf.clear();
    }
}

fn xml_error(
    path: &Path,
    e: &quick_xml::Error,
    pos: u64,
    cur: &XmlElement,
    in_element: bool,
) -> NetworkError {
    use quick_xml::errors::{Error as XErr, SyntaxError};
    match e {
        XErr::Syntax(
            SyntaxError::UnclosedTag
            | SyntaxError::UnclosedComment
            | SyntaxError::UnclosedCData
            | SyntaxError::UnclosedDoctype
            | SyntaxError::UnclosedPI
            | SyntaxError::UnclosedXmlDecl
            | SyntaxError::UnclosedSingleQuotedAttributeValue
            | SyntaxError::UnclosedDoubleQuotedAttributeValue,
        ) => NetworkError::Truncated {
            path: path.to_path_buf(),
            offset: pos,
            reason: format!("XML: {e}"),
        },
        XErr::Io(io) => NetworkError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        },
        _ => malformed(
            path,
            in_element.then(|| cur.element_ref()).flatten(),
            format!("XML at byte {pos}: {e}"),
        ),
    }
}

fn attr_values<'a>(
    path: &Path,
    e: &'a BytesStart<'a>,
    element: Option<ElementRef>,
) -> Result<Vec<(String, String)>, NetworkError> {
    let mut out = Vec::with_capacity(4);
    for a in e.attributes() {
        let a = a.map_err(|err| malformed(path, element, format!("bad XML attribute: {err}")))?;
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| malformed(path, element, format!("bad XML attribute value: {err}")))?;
        out.push((a.key.as_ref().to_string(), v.into_owned()));
    }
    Ok(out)
}

fn start_element(
    path: &Path,
    e: &BytesStart<'_>,
    kind: OsmKind,
    cur: &mut XmlElement,
) -> Result<(), NetworkError> {
    cur.kind = Some(kind);
    cur.id = 0;
    cur.lon_e7 = None;
    cur.lat_e7 = None;
    cur.tags.clear();
    cur.refs.clear();
    cur.members.clear();
    let attrs = attr_values(path, e, None)?;
    let id = attrs
        .iter()
        .find(|(k, _)| k == "id")
        .and_then(|(_, v)| v.trim().parse::<i64>().ok())
        .ok_or_else(|| malformed(path, None, format!("<{kind}> without a valid id")))?;
    cur.id = id;
    if kind == OsmKind::Node {
        let el = Some(ElementRef { kind, id });
        for (k, v) in &attrs {
            match k.as_str() {
                "lat" => {
                    cur.lat_e7 = Some(
                        degrees_e7(v, 90.0)
                            .ok_or_else(|| malformed(path, el, format!("bad lat {v:?}")))?,
                    )
                }
                "lon" => {
                    cur.lon_e7 = Some(
                        degrees_e7(v, 180.0)
                            .ok_or_else(|| malformed(path, el, format!("bad lon {v:?}")))?,
                    )
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn child_element(
    path: &Path,
    e: &BytesStart<'_>,
    name: &str,
    cur: &mut XmlElement,
) -> Result<(), NetworkError> {
    let el = cur.element_ref();
    match name {
        "tag" => {
            let attrs = attr_values(path, e, el)?;
            let get = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
            let (Some(k), Some(v)) = (get("k"), get("v")) else {
                return Err(malformed(path, el, "<tag> without k and v"));
            };
            cur.tags.push((k, v));
        }
        "nd" => {
            let attrs = attr_values(path, e, el)?;
            let r = attrs
                .iter()
                .find(|(k, _)| k == "ref")
                .and_then(|(_, v)| v.trim().parse::<i64>().ok())
                .ok_or_else(|| malformed(path, el, "<nd> without a valid ref"))?;
            cur.refs.push(r);
        }
        "member" => {
            let attrs = attr_values(path, e, el)?;
            let get = |key: &str| {
                attrs
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.as_str())
            };
            let kind = match get("type") {
                Some("node") => OsmKind::Node,
                Some("way") => OsmKind::Way,
                Some("relation") => OsmKind::Relation,
                other => return Err(malformed(path, el, format!("<member> with type {other:?}"))),
            };
            let id = get("ref")
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| malformed(path, el, "<member> without a valid ref"))?;
            cur.members.push(OsmMember {
                kind,
                id,
                role: get("role").unwrap_or_default().to_string(),
            });
        }
        _ => {}
    }
    Ok(())
}

impl Source for XmlSource {
    fn relations(
        &self,
        path: &Path,
        keep: TagFilter<'_>,
    ) -> Result<(Vec<OsmRelation>, u64), NetworkError> {
        let mut out = Vec::new();
        let seen = xml_pass(path, &[OsmKind::Relation], |el| {
            if keep(&el.tag_refs()) {
                out.push(OsmRelation {
                    id: el.id,
                    members: el.members.clone(),
                    tags: el.tags.clone(),
                });
            }
            Ok(())
        })?;
        Ok((out, seen))
    }

    fn ways(
        &self,
        path: &Path,
        keep: Option<TagFilter<'_>>,
        wanted: &[i64],
    ) -> Result<(Vec<OsmWay>, u64, u64), NetworkError> {
        let mut out = Vec::new();
        let mut highway = 0u64;
        let seen = xml_pass(path, &[OsmKind::Way], |el| {
            let tags = el.tag_refs();
            highway += u64::from(tags.tag("highway").is_some());
            if keep.is_some_and(|f| f(&tags)) || contains(wanted, el.id) {
                out.push(OsmWay {
                    id: el.id,
                    refs: el.refs.clone(),
                    tags: el.tags.clone(),
                });
            }
            Ok(())
        })?;
        Ok((out, seen, highway))
    }

    fn nodes(
        &self,
        path: &Path,
        keep: Option<TagFilter<'_>>,
        wanted: &[i64],
    ) -> Result<(Vec<OsmNode>, u64), NetworkError> {
        let mut out = Vec::new();
        let seen = xml_pass(path, &[OsmKind::Node], |el| {
            let tagged = keep.is_some_and(|f| !el.tags.is_empty() && f(&el.tag_refs()));
            if tagged || contains(wanted, el.id) {
                let (Some(lon_e7), Some(lat_e7)) = (el.lon_e7, el.lat_e7) else {
                    return Err(malformed(path, el.element_ref(), "node without lat/lon"));
                };
                out.push(OsmNode {
                    id: el.id,
                    lon_e7,
                    lat_e7,
                    tags: if tagged { el.tags.clone() } else { Vec::new() },
                });
            }
            Ok(())
        })?;
        Ok((out, seen))
    }
}
