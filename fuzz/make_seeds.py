"""Writes the binary seed inputs of the fuzz targets (tiny GeoTIFFs, a tiny
GeoPackage) into fuzz/seeds/. Text seeds (CSV, GeoJSON, OSM, TOML) are copied from
the repository's sample data and fixtures. Run from the repository root:

    python3 fuzz/make_seeds.py
"""
import os
import shutil
import sqlite3
import struct
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")


def out(target, name):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, name)


def copy(target, src, name=None, head_lines=None):
    src = os.path.join(ROOT, src)
    dst = out(target, name or os.path.basename(src))
    if head_lines is None:
        shutil.copy(src, dst)
    else:
        with open(src, "rb") as f:
            lines = f.readlines()[:head_lines]
        with open(dst, "wb") as f:
            f.writelines(lines)


def write(target, name, data):
    with open(out(target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


# ---- GeoTIFF: little-endian classic TIFF, one band, float32 or uint16 --------------
def geotiff(width, height, values, fmt="f", compression=1, rows_per_strip=None,
            tile=None, geokeys=None, nodata=None):
    sample = {"f": (3, 32), "H": (1, 16), "h": (2, 16), "B": (1, 8)}[fmt]
    raw_rows = [struct.pack("<%d%s" % (width, fmt), *values[r * width:(r + 1) * width])
                for r in range(height)]
    chunks = []
    if tile:
        tw, th = tile
        across, down = -(-width // tw), -(-height // th)
        size = struct.calcsize(fmt)
        for ty in range(down):
            for tx in range(across):
                buf = b""
                for r in range(ty * th, ty * th + th):
                    row = raw_rows[r] if r < height else b"\0" * width * size
                    part = row[tx * tw * size:(tx * tw + tw) * size]
                    buf += part + b"\0" * (tw * size - len(part))
                chunks.append(buf)
    else:
        rps = rows_per_strip or height
        for s in range(0, height, rps):
            chunks.append(b"".join(raw_rows[s:s + rps]))
    if compression == 8:
        chunks = [zlib.compress(c) for c in chunks]
    if geokeys is None:
        geokeys = [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326]
    tags = {
        256: (4, [width]), 257: (4, [height]), 258: (3, [sample[1]]),
        259: (3, [compression]), 262: (3, [1]), 277: (3, [1]), 339: (3, [sample[0]]),
        33550: (12, [0.001, 0.001, 0.0]),
        33922: (12, [0.0, 0.0, 0.0, 121.5, 31.3, 0.0]),
        34735: (3, geokeys),
    }
    if nodata is not None:
        tags[42113] = (2, nodata)
    data = b""
    header = 8
    offsets = []
    for c in chunks:
        offsets.append(header + len(data))
        data += c
    if tile:
        tags[322] = (4, [tile[0]]); tags[323] = (4, [tile[1]])
        tags[324] = (4, offsets); tags[325] = (4, [len(c) for c in chunks])
    else:
        tags[273] = (4, offsets); tags[278] = (4, [rows_per_strip or height])
        tags[279] = (4, [len(c) for c in chunks])
    extra = b""
    ifd_off = header + len(data)
    entries = sorted(tags.items())
    ifd_size = 2 + 12 * len(entries) + 4
    ext_base = ifd_off + ifd_size
    ifd = struct.pack("<H", len(entries))
    for tag, (typ, vals) in entries:
        if typ == 2:
            payload = vals.encode() + b"\0"
            count = len(payload)
        else:
            f = {3: "H", 4: "I", 12: "d"}[typ]
            payload = struct.pack("<%d%s" % (len(vals), f), *vals)
            count = len(vals)
        if len(payload) <= 4:
            ifd += struct.pack("<HHI", tag, typ, count) + payload.ljust(4, b"\0")
        else:
            if len(extra) % 2:
                extra += b"\0"
            ifd += struct.pack("<HHII", tag, typ, count, ext_base + len(extra))
            extra += payload
    ifd += struct.pack("<I", 0)
    return b"II*\0" + struct.pack("<I", ifd_off) + data + ifd + extra


def gpkg(path):
    if os.path.exists(path):
        os.remove(path)
    con = sqlite3.connect(path)
    con.execute("PRAGMA page_size = 512")
    con.executescript("""
    CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY,
      organization TEXT, organization_coordsys_id INTEGER, definition TEXT, description TEXT);
    INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, '', '');
    INSERT INTO gpkg_spatial_ref_sys VALUES ('ETRS89 / GK25FIN', 3879, 'EPSG', 3879, '', '');
    CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT,
      description TEXT, last_change TEXT, min_x REAL, min_y REAL, max_x REAL, max_y REAL, srs_id INTEGER);
    INSERT INTO gpkg_contents VALUES ('grid', 'features', 'grid', '', '', 0, 0, 0, 0, 3879);
    CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT,
      srs_id INTEGER, z INTEGER, m INTEGER);
    INSERT INTO gpkg_geometry_columns VALUES ('grid', 'geom', 'MULTIPOLYGON', 3879, 0, 0);
    CREATE TABLE grid (fid INTEGER PRIMARY KEY, geom BLOB, asukkaita INTEGER, ika60_69 INTEGER);
    """)
    def square(x, y, s):
        ring = [(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]
        wkb = struct.pack("<BII", 1, 3, 1) + struct.pack("<I", len(ring))
        wkb += b"".join(struct.pack("<dd", *p) for p in ring)
        return b"GP\x00\x01" + struct.pack("<i", 3879) + wkb
    for i in range(3):
        con.execute("INSERT INTO grid VALUES (?, ?, ?, ?)",
                    (i + 1, square(25496000 + 250 * i, 6672000, 250), 100 * (i + 1), 10 * i))
    con.commit()
    con.execute("VACUUM")
    con.close()


def main():
    copy("sites_csv", "data/shanghai/sites.csv", head_lines=12)
    copy("sites_csv", "data/helsinki/sites.csv")
    write("sites_csv", "gbk.csv", "编号,名称,类别,经度,纬度,容量\n1,图书馆,library,121.5,31.3,20\n".encode("gbk"))
    write("sites_csv", "bom_crlf.csv", "\ufeffid,name,category,lon,lat\r\na,x,school,121.5,31.3\r\n")
    copy("population_csv", "data/shanghai/population.csv", head_lines=20)
    write("population_csv", "elderly.csv",
          "cell_id,lon,lat,population,elderly\na,121.5,31.3,100,20\nb,121.6,31.3,\"1,200\",3\n")
    copy("geojson", "data/helsinki/population.geojson")
    write("geojson", "sites.geojson",
          '{"type":"FeatureCollection","features":[{"type":"Feature","id":7,"geometry":'
          '{"type":"Point","coordinates":[121.5,31.3]},"properties":{"name":"A","category":"library","population":3}}]}')
    write("geojson", "units.geojson",
          '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"310110","name":"杨浦区","population":5},'
          '"geometry":{"type":"MultiPolygon","coordinates":[[[[121.49,31.29],[121.52,31.29],[121.52,31.31],[121.49,31.31],[121.49,31.29]]]]}}]}')
    copy("osm_xml", "tests/fixtures/chengdu_trunk_only.osm")
    write("osm_xml", "tiny.osm",
          '<?xml version="1.0"?>\n<osm version="0.6">\n'
          ' <node id="1" lat="31.30" lon="121.50"/>\n <node id="2" lat="31.301" lon="121.501"><tag k="amenity" v="library"/></node>\n'
          ' <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>\n'
          ' <relation id="20"><member type="way" ref="10" role="outer"/><tag k="type" v="multipolygon"/></relation>\n</osm>\n')
    copy("osm_pbf", "tests/fixtures/tongji_clip.osm.pbf")
    vals = [1.5, 0.0, -3.4e38, 7.0, 2.0, 3.0]
    write("geotiff", "f32_strips.tif", geotiff(3, 2, vals, rows_per_strip=1, nodata="-3.4e+038"))
    write("geotiff", "f32_deflate.tif", geotiff(3, 2, vals, compression=8))
    write("geotiff", "u16_tiled.tif", geotiff(20, 18, list(range(360)), fmt="H", tile=(16, 16)))
    write("geotiff", "mollweide.tif", geotiff(2, 2, [1.0, 2.0, 3.0, 4.0],
          geokeys=[1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 54009]))
    gpkg(out("gpkg", "grid.gpkg"))
    # Workbooks written by XlsxWriter and openpyxl (tests/fixtures/excel/make_workbooks.py).
    copy("xlsx", "tests/fixtures/excel/population.xlsx")
    copy("xlsx", "tests/fixtures/excel/sites_bad_rows.xlsx")
    copy("config", "presets/gb50180.toml")
    copy("config", "data/helsinki/learncircle.toml", name="helsinki.toml")
    write("config", "targets.toml",
          "[run]\ncircuity = 1.4\n[profiles.frail]\nspeed_m_per_s = 0.7\nstep_free = true\n"
          "[[category]]\nname = 'library'\naliases = ['图书馆']\nwalk_min = 15\nprofile = 'frail'\nlayer = 'elderly'\n"
          "[[target]]\nrule = 'library.covered_share >= 80%'\nscope = 'unit'\n")


if __name__ == "__main__":
    main()
