// learncircle map.html: the interactive learning map (issue 13).
// Data contract: docs/MAP-DATA.md. No network requests: everything is inline.
(function () {
  'use strict';

  var t0 = performance.now();
  var lc = (window.lcMap = { isReady: false, errors: [] });
  var readyResolve, readyReject;
  lc.ready = new Promise(function (res, rej) { readyResolve = res; readyReject = rej; });
  lc.ready.catch(function () {}); // reported through lc.errors and the console
  window.addEventListener('error', function (e) { lc.errors.push(String(e.message)); });

  // ---------------------------------------------------------------- texts
  var T = {
    zh: {
      category: '设施类别', colourBy: '着色', cells: '网格', units: '单元', lang: '语言',
      search: '按名称查找设施', legend: '步行时间（人口占比）', elderly: '老年人',
      band: ['≤5 分钟', '≤10 分钟', '≤15 分钟', '>15 分钟', '范围内无设施', '不在路网上'],
      bandGt: function (m) { return '>' + m + ' 分钟'; }, bandLe: function (m) { return '≤' + m + ' 分钟'; },
      population: '人口', residents: '居民', walkTime: '步行时间', nearest: '最近设施', route: '路线长度',
      none: '范围内无', min: '分钟', m: '米', capacity: '容量', within: '阈值内居民',
      gap: '缺口', rank: '排名', worst: '最长步行时间', share: '覆盖率', targets: '目标',
      pass: '达标', fail: '未达标', before: '规划前', after: '规划后', planned: '规划设施',
      rec: '建议选址', gain: '新增覆盖人口', network: '路网', sitesL: '设施', gaps: '缺口',
      unitsL: '单元', offNet: '不在路网上', cell: '网格', noHit: '无匹配', threshold: '阈值',
      whatif: '情景', total: '合计', parentL: '上级', hasSite: '有设施', noSite: '无设施',
    },
    en: {
      category: 'Category', colourBy: 'Colour by', cells: 'cells', units: 'units', lang: 'Language',
      search: 'Find a site by name', legend: 'Walking time (share of residents)', elderly: 'elderly',
      band: ['≤5 min', '≤10 min', '≤15 min', '>15 min', 'nothing within reach', 'off the network'],
      bandGt: function (m) { return '>' + m + ' min'; }, bandLe: function (m) { return '≤' + m + ' min'; },
      population: 'Population', residents: 'residents', walkTime: 'Walking time', nearest: 'Nearest site',
      route: 'Route length', none: 'none within reach', min: 'min', m: 'm', capacity: 'Capacity',
      within: 'Residents within threshold', gap: 'Gap', rank: 'Rank', worst: 'Worst walking time',
      share: 'Share covered', targets: 'Targets', pass: 'PASS', fail: 'FAIL', before: 'before',
      after: 'after', planned: 'planned site', rec: 'Suggested site', gain: 'Residents gained',
      network: 'network', sitesL: 'sites', gaps: 'gaps', unitsL: 'units', offNet: 'off the network',
      cell: 'Cell', noHit: 'no match', threshold: 'threshold', whatif: 'Scenario', total: 'total',
      parentL: 'in', hasSite: 'has a site', noSite: 'no site',
    },
  };

  // ---------------------------------------------------------------- decoding
  var TYPES = { u8: Uint8Array, i8: Int8Array, u16: Uint16Array, i16: Int16Array,
    u32: Uint32Array, i32: Int32Array, f32: Float32Array, f64: Float64Array };
  var NONE = 4294967295;

  function b64bytes(s) {
    var bin = atob(s), n = bin.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function gunzip(bytes) {
    var ds = new DecompressionStream('gzip');
    var stream = new Blob([bytes]).stream().pipeThrough(ds);
    return new Response(stream).arrayBuffer();
  }

  function isPacked(v) {
    return v && typeof v === 'object' && !Array.isArray(v) && typeof v.t === 'string' && typeof v.b64 === 'string';
  }

  function unpack(p) {
    var Ctor = TYPES[p.t];
    if (!Ctor) return Promise.reject(new Error('map data: unknown array type ' + p.t));
    var bytes = b64bytes(p.b64);
    var buf = p.z ? gunzip(bytes) : Promise.resolve(bytes.buffer);
    return buf.then(function (ab) {
      if (ab.byteLength !== p.n * Ctor.BYTES_PER_ELEMENT) {
        throw new Error('map data: array of ' + p.n + ' ' + p.t + ' has ' + ab.byteLength + ' bytes');
      }
      var a = new Ctor(ab);
      if (p.d) for (var i = 1; i < a.length; i++) a[i] = a[i - 1] + a[i]; // wraps like the type
      return a;
    });
  }

  // Replaces every packed array inside `obj` by its typed array (in place).
  function decodeAll(obj) {
    var jobs = [];
    (function walk(o) {
      if (!o || typeof o !== 'object') return;
      var keys = Array.isArray(o) ? o.map(function (_, i) { return i; }) : Object.keys(o);
      keys.forEach(function (k) {
        var v = o[k];
        if (isPacked(v)) jobs.push(unpack(v).then(function (a) { o[k] = a; }));
        else if (v && typeof v === 'object') walk(v);
      });
    })(obj);
    return Promise.all(jobs);
  }

  // ---------------------------------------------------------------- state
  var D, map, lang, cat = 0, colourBy = 'cells', scenario = 'after';
  var cellsX, cellsY, cellHalf, nodeX, nodeY, cellBand, cellGrid, segGrid, inc;
  var sitesX, sitesY, selectedSite = null, siteBySeg = null, tiesByCell = null;
  var route = null, routeLine = null, routeLen = null, popupText = null;
  var layerOn = { network: true, cells: true, sites: true, gaps: true, units: true };
  var level = -1; // index into D.levels of the unit level drawn (-1: none named)
  var unitLayer, gapLayer, recLayer, baseLayer, panel;
  var stats = {};

  function tr() { return T[lang]; }
  function catLabel(c) { var k = D.categories[c]; return lang === 'zh' ? k.label_zh : k.label_en; }
  function fmtInt(x) { return Math.round(x).toLocaleString('en-US'); }
  function fmtPct(x) { return (100 * x).toFixed(1) + '%'; }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (ch) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[ch]; });
  }

  // Web-Mercator "pixels at zoom 0" (Leaflet's EPSG:3857 at scale 256).
  function mercX(lon) { return 256 * (0.5 + lon / 360); }
  function mercY(lat) {
    var s = Math.sin(lat * Math.PI / 180);
    return 256 * (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI));
  }

  // ---------------------------------------------------------------- cells
  function cellDist(c) {
    var w = scenario === 'before' && D.whatif ? D.whatif.before : D.cells;
    return { dm: w.dist_dm[c], cmin: w.walk_cmin[c] };
  }

  function bandOf(cmin, off) {
    if (off) return D.meta.bands_min.length + 2;
    if (cmin === NONE) return D.meta.bands_min.length + 1;
    var m = cmin / 100, b = D.meta.bands_min;
    for (var i = 0; i < b.length; i++) if (m <= b[i]) return i;
    return b.length;
  }

  function computeBands() {
    var n = D.cells.n, cm = cellDist(cat).cmin, off = D.cells.off_network;
    cellBand = new Uint8Array(n);
    for (var i = 0; i < n; i++) cellBand[i] = bandOf(cm[i], off ? off[i] : 0);
  }

  function bandLabel(i) {
    var b = D.meta.bands_min;
    if (i < b.length) return tr().bandLe(b[i]);
    if (i === b.length) return tr().bandGt(b[b.length - 1]);
    return tr().band[i === b.length + 1 ? 4 : 5];
  }

  function legendRows() {
    var nb = D.meta.bands_min.length + 3, pop = new Float64Array(nb), eld = new Float64Array(nb);
    var P = D.cells.population, E = D.cells.elderly, tp = 0, te = 0;
    for (var i = 0; i < D.cells.n; i++) {
      pop[cellBand[i]] += P[i]; tp += P[i];
      if (E) { eld[cellBand[i]] += E[i]; te += E[i]; }
    }
    var rows = [];
    for (var b = 0; b < nb; b++) {
      rows.push({ band: b, label: bandLabel(b), color: D.meta.band_colors[b], population: pop[b],
        share: tp > 0 ? pop[b] / tp : 0, elderly: E ? eld[b] : null, elderly_share: E && te > 0 ? eld[b] / te : null });
    }
    return rows;
  }

  // ---------------------------------------------------------------- grid index
  function buildGrid(n, xOf, yOf, perBucket) {
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, i;
    for (i = 0; i < n; i++) {
      var x = xOf(i), y = yOf(i);
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    if (n === 0) { x0 = y0 = 0; x1 = y1 = 1; }
    var w = Math.max(x1 - x0, 1e-9), h = Math.max(y1 - y0, 1e-9);
    var side = Math.sqrt(w * h * perBucket / Math.max(n, 1));
    var nx = Math.min(2048, Math.floor(w / side) + 1), ny = Math.min(2048, Math.floor(h / side) + 1);
    var sx = w / nx * 1.000001, sy = h / ny * 1.000001;
    var first = new Uint32Array(nx * ny + 1), items = new Uint32Array(n), key = new Uint32Array(n);
    for (i = 0; i < n; i++) {
      var bx = Math.min(nx - 1, Math.floor((xOf(i) - x0) / sx)), by = Math.min(ny - 1, Math.floor((yOf(i) - y0) / sy));
      key[i] = bx + nx * by; first[key[i] + 1]++;
    }
    for (i = 0; i < nx * ny; i++) first[i + 1] += first[i];
    var fill = first.slice(0, nx * ny);
    for (i = 0; i < n; i++) items[fill[key[i]]++] = i;
    return { x0: x0, y0: y0, sx: sx, sy: sy, nx: nx, ny: ny, first: first, items: items };
  }

  // Calls f(i) for the items whose key point is in [xa, xb] × [ya, yb] (merc units).
  function gridVisit(g, xa, ya, xb, yb, f) {
    var bx0 = Math.max(0, Math.floor((xa - g.x0) / g.sx)), bx1 = Math.min(g.nx - 1, Math.floor((xb - g.x0) / g.sx));
    var by0 = Math.max(0, Math.floor((ya - g.y0) / g.sy)), by1 = Math.min(g.ny - 1, Math.floor((yb - g.y0) / g.sy));
    for (var by = by0; by <= by1; by++) {
      for (var bx = bx0; bx <= bx1; bx++) {
        var k = bx + g.nx * by;
        for (var j = g.first[k]; j < g.first[k + 1]; j++) f(g.items[j]);
      }
    }
  }

  // ---------------------------------------------------------------- network + trees
  function buildIncidence() {
    var N = D.network, V = N.nodes, S = N.segs, a = N.seg_a, b = N.seg_b;
    var first = new Uint32Array(V + 1), i;
    for (i = 0; i < S; i++) { first[a[i] + 1]++; first[b[i] + 1]++; }
    for (i = 0; i < V; i++) first[i + 1] += first[i];
    var fill = first.slice(0, V), list = new Uint32Array(2 * S);
    for (i = 0; i < S; i++) { list[fill[a[i]]++] = i; list[fill[b[i]]++] = i; }
    return { first: first, list: list };
  }

  function stepsFlag(s) { return (D.network.seg_flags[s] & 4) !== 0; }
  function aToB(s) { return (D.network.seg_flags[s] & 1) !== 0; }
  function bToA(s) { return (D.network.seg_flags[s] & 2) !== 0; }

  // ProfileCosts::along
  function along(c, s, x) {
    var k = D.categories[c];
    if (!stepsFlag(s)) return x;
    return k.step_free ? Infinity : x * k.step_factor;
  }
  // The f32 arc cost of segment s (either direction).
  function arc(c, s) {
    var k = D.categories[c], len = D.network.seg_len_m[s];
    if (!stepsFlag(s)) return len;
    return k.step_free ? Infinity : Math.fround(len * k.step_factor);
  }

  // The root entry of node v in category c's tree: {site, snap} (snap = the site's
  // attachment whose seed the root took: its canonical snap or one of snap_ties).
  function rootOf(c, v) {
    var t = D.trees[c], lo = 0, hi = t.root_node.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (t.root_node[mid] < v) lo = mid + 1; else hi = mid; }
    if (lo >= t.root_node.length || t.root_node[lo] !== v) return null;
    var k = t.root_site[lo], j = t.root_snap ? t.root_snap[lo] : 0;
    return { site: k, snap: siteSnaps(k)[j] };
  }
  function siteSnaps(k) {
    var st = D.sites[k];
    return st.snap ? [st.snap].concat(st.snap_ties || []) : [];
  }

  function nextSeg(c, v) {
    var p = D.trees[c].pred[v];
    if (p === 253) {
      var w = D.trees[c].wide;
      for (var i = 0; i < w.length; i++) if (w[i][0] === v) return w[i][1];
      return -1;
    }
    return inc.list[inc.first[v] + p];
  }

  // Path from node v to its root: {nodes, segs, root, site, d} with d the exact f64 distance.
  function treePath(c, v) {
    var pred = D.trees[c].pred;
    if (pred[v] === 255) return null;
    var nodes = [v], segs = [], guard = D.network.nodes + 1;
    while (pred[v] !== 254) {
      var s = nextSeg(c, v);
      if (s < 0 || --guard < 0) throw new Error('map data: broken tree of category ' + c + ' at node ' + v);
      v = D.network.seg_a[s] === v ? D.network.seg_b[s] : D.network.seg_a[s];
      segs.push(s); nodes.push(v);
      if (pred[v] === 255) throw new Error('map data: tree of category ' + c + ' leads to an unreached node ' + v);
    }
    var ro = rootOf(c, v);
    if (!ro || !ro.snap) throw new Error('map data: root node ' + v + ' of category ' + c + ' has no site');
    var sn = ro.snap;
    var e = D.network.seg_a[sn.seg] === v ? sn.along_a_m : sn.along_b_m;
    var d = sn.access_m + along(c, sn.seg, e);
    for (var i = segs.length - 1; i >= 0; i--) d = d + arc(c, segs[i]);
    return { nodes: nodes, segs: segs, root: v, site: ro.site, siteSnap: sn, d: d };
  }

  function sitesOnSeg(s) {
    if (!siteBySeg) {
      siteBySeg = new Map();
      D.sites.forEach(function (st, k) {
        siteSnaps(k).forEach(function (sn) {
          if (!siteBySeg.has(sn.seg)) siteBySeg.set(sn.seg, []);
          siteBySeg.get(sn.seg).push({ k: k, sn: sn });
        });
      });
    }
    return siteBySeg.get(s) || [];
  }

  // Every attachment of cell i: the canonical one, then its tied ones (cells.ties).
  function cellAttachments(i) {
    var C = D.cells, s = C.snap_seg ? C.snap_seg[i] : -1;
    if (s < 0) return [];
    var out = [{ seg: s, access_m: C.snap_access_m[i], along_a_m: C.snap_along_a_m[i], along_b_m: C.snap_along_b_m[i],
      lon_e7: C.snap_lon_e7[i], lat_e7: C.snap_lat_e7[i] }];
    if (!tiesByCell) {
      tiesByCell = new Map();
      (C.ties || []).forEach(function (t) {
        if (!tiesByCell.has(t[0])) tiesByCell.set(t[0], []);
        tiesByCell.get(t[0]).push({ seg: t[1], access_m: t[2], along_a_m: t[3], along_b_m: t[4], lon_e7: t[5], lat_e7: t[6] });
      });
    }
    return out.concat(tiesByCell.get(i) || []);
  }

  // Door-to-door route of cell i for category c (docs/MAP-DATA.md §4): the minimum
  // over the cell's attachments (first of equals), each as Walking::nearest_via.
  function cellRoute(i, c) {
    if (!D.network || !D.trees) return null;
    var N = D.network, best = null;
    cellAttachments(i).forEach(function (at) {
      var s = at.seg, acc = at.access_m, la = at.along_a_m, lb = at.along_b_m, L, p;
      if (bToA(s) && D.trees[c].pred[N.seg_a[s]] !== 255) {
        p = treePath(c, N.seg_a[s]); L = acc + along(c, s, la) + p.d;
        if (!best || L < best.L) best = { L: L, via: 'a', path: p, site: p.site, siteSnap: p.siteSnap, at: at };
      }
      if (aToB(s) && D.trees[c].pred[N.seg_b[s]] !== 255) {
        p = treePath(c, N.seg_b[s]); L = acc + along(c, s, lb) + p.d;
        if (!best || L < best.L) best = { L: L, via: 'b', path: p, site: p.site, siteSnap: p.siteSnap, at: at };
      }
      sitesOnSeg(s).slice().sort(function (x, y) { return x.k - y.k; }).forEach(function (e) {
        var st = D.sites[e.k], sn = e.sn;
        if (st.category !== c || (scenario === 'before' && st.planned)) return;
        var ok = sn.along_a_m >= la ? aToB(s) : bToA(s);
        if (!ok) return;
        var L2 = acc + along(c, s, Math.abs(sn.along_a_m - la)) + sn.access_m;
        if (!best || L2 < best.L) best = { L: L2, via: 'same', path: null, site: e.k, siteSnap: sn, at: at };
      });
    });
    if (!best || best.L > D.categories[c].bound_m) return null;
    return best;
  }

  function routeLatLngs(i, r) {
    var C = D.cells, N = D.network, pts = [];
    var ll = function (lon7, lat7) { return [lat7 / 1e7, lon7 / 1e7]; };
    pts.push(ll(C.lon_e7[i], C.lat_e7[i]));
    pts.push(ll(r.at.lon_e7, r.at.lat_e7));
    if (r.path) r.path.nodes.forEach(function (v) { pts.push(ll(N.node_lon_e7[v], N.node_lat_e7[v])); });
    var st = D.sites[r.site];
    pts.push([r.siteSnap.lat, r.siteSnap.lon]);
    pts.push([st.lat, st.lon]);
    return pts;
  }

  // ---------------------------------------------------------------- canvas layer
  var LcCanvas = L.Layer.extend({
    onAdd: function (m) {
      this._canvas = L.DomUtil.create('canvas', 'lc-canvas');
      this._canvas.style.pointerEvents = 'none';
      m.getPane('lcbase').appendChild(this._canvas);
      m.on('moveend zoomend resize viewreset', this._reset, this);
      this._reset();
    },
    onRemove: function (m) {
      L.DomUtil.remove(this._canvas);
      m.off('moveend zoomend resize viewreset', this._reset, this);
    },
    _reset: function () {
      var m = this._map, size = m.getSize(), dpr = window.devicePixelRatio || 1;
      var tl = m.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(this._canvas, tl);
      this._canvas.width = Math.round(size.x * dpr); this._canvas.height = Math.round(size.y * dpr);
      this._canvas.style.width = size.x + 'px'; this._canvas.style.height = size.y + 'px';
      var ctx = this._canvas.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      var po = m.getPixelOrigin(), s = Math.pow(2, m.getZoom());
      draw(ctx, { s: s, ox: po.x + tl.x, oy: po.y + tl.y, w: size.x, h: size.y });
    },
  });

  // Large runs: above this many cells + segments, the whole city is rendered once per
  // zoom level (and category, layers, scenario) into an off-screen canvas when it fits
  // in CACHE_MAX_PX, and frames are blits of it (docs/MAP-DATA.md §6).
  var CACHE_ITEMS = 50000, CACHE_MAX_PX = 4096, baseCache = null, cacheKey = '';

  function draw(ctx, v) {
    var t = performance.now();
    ctx.clearRect(0, 0, v.w, v.h);
    var items = D.cells.n + (D.network ? D.network.segs : 0), done = false;
    if (items > CACHE_ITEMS) {
      var bb = D.meta.bbox, pad = 4 * cellHalf * v.s + 4;
      var px0 = Math.floor(mercX(bb[0]) * v.s - pad), px1 = Math.ceil(mercX(bb[2]) * v.s + pad);
      var py0 = Math.floor(mercY(bb[3]) * v.s - pad), py1 = Math.ceil(mercY(bb[1]) * v.s + pad);
      if (px1 - px0 <= CACHE_MAX_PX && py1 - py0 <= CACHE_MAX_PX) {
        var key = [v.s, cat, colourBy, scenario, layerOn.cells, layerOn.network, layerOn.gaps].join('|');
        if (!baseCache || cacheKey !== key) {
          baseCache = baseCache || document.createElement('canvas');
          baseCache.width = px1 - px0; baseCache.height = py1 - py0;
          var cctx = baseCache.getContext('2d');
          drawBase(cctx, { s: v.s, ox: px0, oy: py0, w: px1 - px0, h: py1 - py0 });
          baseCache.ox = px0; baseCache.oy = py0; cacheKey = key;
          stats.cache_build_ms = performance.now() - t;
        }
        ctx.drawImage(baseCache, baseCache.ox - v.ox, baseCache.oy - v.oy);
        done = true;
      } else if (baseCache) {
        baseCache.width = baseCache.height = 0; baseCache = null; cacheKey = ''; // free the memory
      }
    }
    if (!done) drawBase(ctx, v);
    var xa = v.ox / v.s, ya = v.oy / v.s, xb = (v.ox + v.w) / v.s, yb = (v.oy + v.h) / v.s;
    if (layerOn.sites) drawSites(ctx, v, xa, ya, xb, yb);
    stats.last_draw_ms = performance.now() - t;
    stats.cached = done;
  }

  // Raster mode of the gap zones (large runs, docs/MAP-DATA.md §3.9): stroke the
  // sides of each cell's square that border a cell outside its zone.
  function drawGapEdges(ctx, v, xa, ya, xb, yb) {
    var G = D.cells.gap[cat], E = D.cells.gap_edges[cat], m = cellHalf * 2;
    ctx.strokeStyle = '#d0005a'; ctx.lineWidth = 1.6; ctx.setLineDash([]);
    ctx.beginPath();
    gridVisit(cellGrid, xa - m, ya - m, xb + m, yb + m, function (i) {
      var e = E[i];
      if (!G[i] || !e) return;
      var h = cellHalf / Math.cos(D.cells.lat_e7[i] * 1e-7 * Math.PI / 180) * v.s;
      var x = cellsX[i] * v.s - v.ox, y = cellsY[i] * v.s - v.oy;
      if (e & 1) { ctx.moveTo(x + h, y - h); ctx.lineTo(x + h, y + h); }
      if (e & 2) { ctx.moveTo(x - h, y - h); ctx.lineTo(x + h, y - h); }
      if (e & 4) { ctx.moveTo(x - h, y - h); ctx.lineTo(x - h, y + h); }
      if (e & 8) { ctx.moveTo(x - h, y + h); ctx.lineTo(x + h, y + h); }
    });
    ctx.stroke();
  }

  function drawBase(ctx, v) {
    var xa = v.ox / v.s, ya = v.oy / v.s, xb = (v.ox + v.w) / v.s, yb = (v.oy + v.h) / v.s;
    var drawn = { cells: 0, segs: 0 };
    if (layerOn.cells && colourBy === 'cells') {
      var m = cellHalf * 2, nb = D.meta.bands_min.length + 3, buckets = [];
      for (var b = 0; b < nb; b++) buckets.push([]);
      gridVisit(cellGrid, xa - m, ya - m, xb + m, yb + m, function (i) { buckets[cellBand[i]].push(i); });
      ctx.globalAlpha = 0.72;
      for (b = 0; b < nb; b++) {
        ctx.fillStyle = D.meta.band_colors[b];
        var list = buckets[b];
        for (var j = 0; j < list.length; j++) {
          var i = list[j], h = cellHalf / Math.cos(D.cells.lat_e7[i] * 1e-7 * Math.PI / 180) * v.s;
          var px = cellsX[i] * v.s - v.ox, py = cellsY[i] * v.s - v.oy, sz = Math.max(2 * h, 1.5);
          ctx.fillRect(px - sz / 2, py - sz / 2, sz, sz);
        }
        drawn.cells += list.length;
      }
      ctx.globalAlpha = 1;
    }
    if (layerOn.gaps && scenario === 'after' && D.cells.gap) drawGapEdges(ctx, v, xa, ya, xb, yb);
    if (layerOn.network && D.network) {
      var N = D.network, fl = N.seg_flags, A = N.seg_a, B = N.seg_b, streets = [], foot = [];
      var r = segGrid.maxHalf;
      gridVisit(segGrid, xa - r, ya - r, xb + r, yb + r, function (s) { ((fl[s] & 8) ? foot : streets).push(s); });
      var many = streets.length + foot.length > 150000;
      var stroke = function (list, colour, width, minPx, dash) {
        ctx.setLineDash(dash || []);
        ctx.beginPath();
        for (var k = 0; k < list.length; k++) {
          var s = list[k], a = A[s], bb = B[s];
          var x1 = nodeX[a] * v.s - v.ox, y1 = nodeY[a] * v.s - v.oy, x2 = nodeX[bb] * v.s - v.ox, y2 = nodeY[bb] * v.s - v.oy;
          if (minPx > 0 && Math.abs(x2 - x1) + Math.abs(y2 - y1) < minPx) continue;
          ctx.moveTo(x1, y1); ctx.lineTo(x2, y2);
        }
        ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.stroke();
        return list.length;
      };
      var wz = v.s >= 65536 ? 1.6 : 1; // zoom ≥ 16: a little heavier
      // Footways lighter (dashed at street zoom), streets darker.
      if (!many) drawn.segs += stroke(foot, 'rgba(90,90,90,0.6)', 0.9 * wz, 0, v.s >= 65536 ? [4, 3] : null);
      drawn.segs += stroke(streets, 'rgba(50,50,50,0.8)', 1.2 * wz, many ? 1 : 0);
      ctx.setLineDash([]);
    }
    stats.drawn = drawn;
  }

  // Site symbols by category: circle, square, triangle, diamond, pentagon, hexagon, star…
  var SHAPES = [0, 4, 3, 40, 5, 6, 50, 8];
  var PALETTE = ['#1f5f9e', '#e07b14', '#2a9d5a', '#c0392b', '#7b52ab', '#8c563c', '#d05ca8', '#5f6b73'];
  function symbolPath(ctx, x, y, r, shape) {
    ctx.beginPath();
    if (shape === 0) { ctx.arc(x, y, r, 0, 2 * Math.PI); return; }
    var star = shape === 50, rot = shape === 40 ? 0 : -Math.PI / 2;
    var n = star ? 10 : (shape === 40 ? 4 : shape), k;
    if (shape === 4) rot = -Math.PI / 4;
    for (k = 0; k < n; k++) {
      var rr = star && k % 2 ? r * 0.45 : r * (shape === 4 ? 1.2 : 1.15);
      var a = rot + 2 * Math.PI * k / n;
      if (k === 0) ctx.moveTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
      else ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
    }
    ctx.closePath();
  }
  // The same symbol as inline SVG (legend; no image URL of any kind).
  function symbolSvg(c) {
    var shape = SHAPES[c % SHAPES.length], col = PALETTE[c % PALETTE.length], body;
    if (shape === 0) body = '<circle cx="8" cy="8" r="5"/>';
    else {
      var star = shape === 50, rot = shape === 40 ? 0 : (shape === 4 ? -Math.PI / 4 : -Math.PI / 2);
      var n = star ? 10 : (shape === 40 ? 4 : shape), pts = [];
      for (var k = 0; k < n; k++) {
        var rr = star && k % 2 ? 2.25 : (shape === 4 ? 6 : 5.75), a = rot + 2 * Math.PI * k / n;
        pts.push((8 + rr * Math.cos(a)).toFixed(2) + ',' + (8 + rr * Math.sin(a)).toFixed(2));
      }
      body = '<polygon points="' + pts.join(' ') + '"/>';
    }
    return '<svg width="14" height="14" viewBox="0 0 16 16" style="vertical-align:-2px" fill="' + col +
      '" stroke="#fff" stroke-width="1.2">' + body + '</svg>';
  }

  function drawSites(ctx, v, xa, ya, xb, yb) {
    var r = v.s >= 32768 ? 6 : 4.5, pad = 20 / v.s, inView = 0, k0;
    for (k0 = 0; k0 < D.sites.length; k0++) {
      if (sitesX[k0] >= xa && sitesX[k0] <= xb && sitesY[k0] >= ya && sitesY[k0] <= yb) inView++;
    }
    var crowded = inView > 600; // zoomed out on a big city: only the current category, smaller
    if (crowded) r = 3;
    for (var pass = crowded ? 1 : 0; pass < 2; pass++) {
      for (var k = 0; k < D.sites.length; k++) {
        var st = D.sites[k], mine = st.category === cat;
        if ((pass === 1) !== mine) continue; // current category on top
        if (scenario === 'before' && st.planned) continue;
        var x = sitesX[k], y = sitesY[k];
        if (x < xa - pad || x > xb + pad || y < ya - pad || y > yb + pad) continue;
        var px = x * v.s - v.ox, py = y * v.s - v.oy, col = PALETTE[st.category % PALETTE.length];
        symbolPath(ctx, px, py, mine ? r : r * 0.75, SHAPES[st.category % SHAPES.length]);
        ctx.globalAlpha = mine ? 1 : 0.55;
        ctx.fillStyle = st.planned ? '#fff' : col; ctx.fill();
        ctx.strokeStyle = st.planned ? col : '#fff'; ctx.lineWidth = st.planned ? 2.2 : 1.2; ctx.stroke();
        ctx.globalAlpha = 1;
        if (k === selectedSite) {
          ctx.beginPath(); ctx.arc(px, py, r + 5, 0, 2 * Math.PI);
          ctx.strokeStyle = '#d0005a'; ctx.lineWidth = 2.5; ctx.stroke();
        }
      }
    }
  }

  // ---------------------------------------------------------------- popups
  function minutesText(cmin) { return cmin === NONE ? tr().none : (cmin / 100).toFixed(2) + ' ' + tr().min; }

  function sitePopupHtml(k) {
    var st = D.sites[k], x = tr(), rows = [];
    rows.push('<b>' + esc(st.name || st.id) + '</b>' + (st.planned ? ' <i>(' + x.planned + ')</i>' : ''));
    rows.push(esc(catLabel(st.category)));
    if (st.capacity !== null && st.capacity !== undefined) rows.push(x.capacity + ': ' + fmtInt(st.capacity));
    if (st.residents_within !== null && st.residents_within !== undefined) {
      var txt = x.within + ' (' + fmtInt(D.categories[st.category].threshold_m) + ' ' + x.m + '): ' + fmtInt(st.residents_within);
      if (st.elderly_within !== null && st.elderly_within !== undefined) txt += ', ' + x.elderly + ' ' + fmtInt(st.elderly_within);
      rows.push(txt);
    }
    return '<div class="lc-popup">' + rows.join('<br>') + '</div>';
  }

  function cellPopupHtml(i, r) {
    var x = tr(), C = D.cells, rows = [];
    rows.push('<b>' + x.cell + ' ' + esc(C.ids[i]) + '</b>');
    var p = x.population + ' ' + fmtInt(C.population[i]);
    if (C.elderly) p += ', ' + x.elderly + ' ' + fmtInt(C.elderly[i]);
    rows.push(p);
    if (C.off_network && C.off_network[i]) rows.push(x.offNet);
    var t = '<table>';
    for (var c = 0; c < D.categories.length; c++) {
      var d = cellDist(c);
      t += '<tr' + (c === cat ? ' style="font-weight:600"' : '') + '><td>' + esc(catLabel(c)) + '</td><td class="n">' +
        minutesText(d.cmin[i]) + '</td><td class="n">' + (d.dm[i] === NONE ? '' : (d.dm[i] / 10).toFixed(1) + ' ' + x.m) + '</td></tr>';
    }
    t += '</table>';
    rows.push(x.walkTime + ':' + t);
    if (r) {
      rows.push(x.nearest + ': ' + esc(D.sites[r.site].name || D.sites[r.site].id));
      rows.push(x.route + ': <span class="lc-route-m">' + r.L.toFixed(1) + '</span> ' + x.m);
    }
    return '<div class="lc-popup">' + rows.join('<br>') + '</div>';
  }

  function openPopup(latlng, html) {
    popupText = null;
    var pop = L.popup({ maxWidth: 340 }).setLatLng(latlng).setContent(html).openOn(map);
    var el = pop.getElement(), content = el ? el.querySelector('.leaflet-popup-content') : null;
    popupText = content ? content.textContent : null;
    return pop;
  }

  function clearRoute() {
    if (routeLine) { map.removeLayer(routeLine); routeLine = null; }
    route = null; routeLen = null;
  }

  function clickCell(i, extra) {
    clearRoute();
    var r = null;
    if (scenario === 'after' || !D.whatif) r = cellRoute(i, cat);
    if (r) {
      route = r; routeLen = r.L;
      routeLine = L.polyline(routeLatLngs(i, r), { pane: 'lcroute', color: '#d0005a', weight: 4, opacity: 0.9 }).addTo(map);
    }
    var ll = [D.cells.lat_e7[i] / 1e7, D.cells.lon_e7[i] / 1e7];
    if (!extra && D.cells.gap && scenario === 'after' && layerOn.gaps && D.cells.gap[cat][i]) extra = gapPopupHtml(D.gaps[D.cells.gap[cat][i] - 1]);
    openPopup(ll, cellPopupHtml(i, r) + (extra ? '<hr>' + extra : ''));
    var times = {};
    D.categories.forEach(function (k, c) { var cm = cellDist(c).cmin[i]; times[k.name] = cm === NONE ? null : cm / 100; });
    var dm = cellDist(cat).dm[i];
    return { id: D.cells.ids[i], index: i, times: times, dist_m: dm === NONE ? null : dm / 10,
      route_m: r ? r.L : null, site: r ? (D.sites[r.site].name || D.sites[r.site].id) : null };
  }

  function selectSite(k, fly) {
    selectedSite = k;
    var st = D.sites[k];
    if (st.category !== cat) setCategory(st.category);
    if (fly) map.setView([st.lat, st.lon], Math.max(map.getZoom(), 16), { animate: false });
    baseLayer._reset();
    openPopup([st.lat, st.lon], sitePopupHtml(k));
    return { index: k, name: st.name };
  }

  // A click on the map: the site within 10 px, else the cell under the pointer
  // (with `extra`, e.g. the gap zone clicked, below the cell's popup), else `extra`.
  function clickAt(latlng, extra) {
    var p = map.project(latlng, 0), s = Math.pow(2, map.getZoom()), best = -1, bd = 10 / s;
    for (var k = 0; k < D.sites.length; k++) {
      if (!layerOn.sites || (scenario === 'before' && D.sites[k].planned)) continue;
      var d = Math.max(Math.abs(sitesX[k] - p.x), Math.abs(sitesY[k] - p.y));
      if (d < bd) { bd = d; best = k; }
    }
    if (best >= 0) { selectSite(best, false); return; }
    var hit = -1;
    if (colourBy === 'cells' && layerOn.cells) {
      var h = cellHalf / Math.cos(latlng.lat * Math.PI / 180);
      gridVisit(cellGrid, p.x - 2 * h, p.y - 2 * h, p.x + 2 * h, p.y + 2 * h, function (i) {
        if (Math.abs(cellsX[i] - p.x) <= h && Math.abs(cellsY[i] - p.y) <= h) hit = i;
      });
    }
    if (hit >= 0) clickCell(hit, extra);
    else if (extra) openPopup(latlng, extra);
  }
  function onMapClick(e) { clickAt(e.latlng, null); }

  // ---------------------------------------------------------------- units, gaps, recommendations
  // A packed outline (docs/MAP-DATA.md §3.8: rings [[polygon, points]], e7 pairs)
  // as Leaflet's nested [polygon][ring][lat, lng] arrays.
  function ringsLatLng(o) {
    var polys = [], at = 0;
    (o.rings || []).forEach(function (r) {
      var ring = [];
      for (var i = 0; i < r[1]; i++, at += 2) ring.push([o.e7[at + 1] / 1e7, o.e7[at] / 1e7]);
      while (polys.length <= r[0]) polys.push([]);
      polys[r[0]].push(ring);
    });
    return polys;
  }
  function shareColour(x) {
    var r = ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'];
    return r[Math.min(4, Math.floor(x * 5))];
  }

  function unitPopupHtml(u) {
    var x = tr(), rows = ['<b>' + esc(u.name) + '</b>', x.population + ' ' + fmtInt(u.population)];
    if (u.level) rows.push(esc(u.level) + (u.parent ? ' · ' + x.parentL + ' ' + esc(u.parent) : ''));
    var bound = u.level && D.levels[level] ? D.levels[level].bound : null;
    var t = '<table>';
    D.categories.forEach(function (k, c) {
      if (bound && bound.length && bound.indexOf(c) < 0) return;
      if (u.share && u.share[c] !== undefined && u.share[c] !== null) {
        var site = u.has_site && u.has_site[c] !== null && u.has_site[c] !== undefined
          ? (u.has_site[c] ? ' <span class="lc-pass">' + x.hasSite + '</span>' : ' <span class="lc-fail">' + x.noSite + '</span>') : '';
        t += '<tr><td>' + esc(catLabel(c)) + '</td><td class="n">' + fmtPct(u.share[c]) + site + '</td></tr>';
      }
    });
    rows.push(x.share + ':' + t + '</table>');
    if (u.targets && u.targets.length) {
      rows.push(x.targets + ':');
      u.targets.forEach(function (g) {
        rows.push(esc(lang === 'zh' ? g.label_zh : g.label_en) + ' ' + fmtPct(g.value) + ' / ' + fmtPct(g.target) + ' ' +
          (g.pass ? '<span class="lc-pass">' + x.pass + '</span>' : '<span class="lc-fail">' + x.fail + '</span>'));
      });
    }
    return '<div class="lc-popup">' + rows.join('<br>') + '</div>';
  }

  function buildUnits() {
    if (unitLayer) map.removeLayer(unitLayer);
    unitLayer = L.layerGroup();
    if (layerOn.units) {
      curUnits().forEach(function (u) {
        var fill = colourBy === 'units' && u.share ? shareColour(u.share[cat] || 0) : null;
        var pg = L.polygon(ringsLatLng(u.outline), { pane: 'lcunits', color: '#333', weight: 1.6, dashArray: '6 3',
          fill: !!fill, fillColor: fill || '#000', fillOpacity: fill ? 0.7 : 0, interactive: !!fill });
        pg.bindTooltip(esc(u.name), { permanent: true, direction: 'center', className: 'lc-unit-label' });
        if (fill) pg.on('click', function (e) { L.DomEvent.stopPropagation(e); openPopup(e.latlng, unitPopupHtml(u)); });
        unitLayer.addLayer(pg);
      });
    }
    unitLayer.addTo(map);
  }

  function gapPopupHtml(g) {
    var x = tr();
    return '<div class="lc-popup"><b>' + x.gap + ' #' + g.rank + '</b> ' + esc(catLabel(g.category)) + '<br>' +
      x.population + ' ' + fmtInt(g.population) + (g.elderly !== null && g.elderly !== undefined ? ', ' + x.elderly + ' ' + fmtInt(g.elderly) : '') +
      '<br>' + x.worst + ': ' + (g.worst_walk_min === null ? x.none : g.worst_walk_min.toFixed(2) + ' ' + x.min) + '</div>';
  }

  function buildGaps() {
    if (gapLayer) map.removeLayer(gapLayer);
    gapLayer = L.layerGroup();
    if (layerOn.gaps && scenario === 'after') {
      D.gaps.forEach(function (g) {
        if (g.category !== cat) return;
        if (!g.outline) {
          // Raster mode: the outline is drawn from the cells; label the first ranks.
          if (g.rank <= 100 && g.label) {
            gapLayer.addLayer(L.marker([g.label[1], g.label[0]], { pane: 'lcgaps', interactive: false, keyboard: false,
              icon: L.divIcon({ className: 'lc-gap-marker', html: '<span class="lc-gap-label">#' + g.rank + '</span>', iconSize: [0, 0] }) }));
          }
          return;
        }
        var pg = L.polygon(ringsLatLng(g.outline), { pane: 'lcgaps', color: '#d0005a', weight: 2.2, fill: true, fillOpacity: 0.04 });
        pg.bindTooltip('#' + g.rank, { permanent: true, direction: 'center', className: 'lc-gap-label' });
        pg.on('click', function (e) { L.DomEvent.stopPropagation(e); clickAt(e.latlng, gapPopupHtml(g)); });
        gapLayer.addLayer(pg);
      });
    }
    gapLayer.addTo(map);
  }

  function buildRecs() {
    if (recLayer) map.removeLayer(recLayer);
    recLayer = L.layerGroup();
    D.recommendations.forEach(function (r) {
      if (r.category !== cat) return;
      var icon = L.divIcon({ className: 'lc-rec', html: String(r.rank), iconSize: [22, 22] });
      var mk = L.marker([r.lat, r.lon], { icon: icon, pane: 'lcrec', keyboard: false });
      var x = tr();
      mk.bindPopup('<div class="lc-popup"><b>' + x.rec + ' #' + r.rank + '</b><br>' + esc(catLabel(r.category)) +
        (r.name ? '<br>' + esc(r.name) : '') + '<br>' + x.gain + ': ' + fmtInt(r.gain_population) +
        (r.gain_elderly !== null && r.gain_elderly !== undefined ? ' (' + x.elderly + ' ' + fmtInt(r.gain_elderly) + ')' : '') +
        '<br>' + x.share + ': ' + fmtPct(r.cumulative_share) + '</div>');
      recLayer.addLayer(mk);
    });
    recLayer.addTo(map);
  }

  // ---------------------------------------------------------------- panel
  function button(label, on, f) {
    var b = L.DomUtil.create('button', on ? 'on' : '');
    b.type = 'button'; b.textContent = label; b.onclick = f;
    return b;
  }

  function renderPanel() {
    var x = tr(), el = panel;
    el.innerHTML = '';
    var h = L.DomUtil.create('h1', '', el); h.textContent = D.meta.title;
    var lab = L.DomUtil.create('div', 'lc-muted', el); lab.textContent = x.category;
    var sel = L.DomUtil.create('select', 'lc-cat', el);
    D.categories.forEach(function (k, c) {
      var o = document.createElement('option'); o.value = c;
      o.textContent = k.label_zh + ' / ' + k.label_en + ' (' + fmtInt(k.threshold_m) + ' ' + x.m + ')';
      if (c === cat) o.selected = true;
      sel.appendChild(o);
    });
    sel.onchange = function () { setCategory(+sel.value); };
    var row = L.DomUtil.create('div', 'lc-row', el);
    row.appendChild(button(x.cells, colourBy === 'cells', function () { setColourBy('cells'); }));
    if (curUnits().length) row.appendChild(button(x.units, colourBy === 'units', function () { setColourBy('units'); }));
    if (D.levels && D.levels.length > 1) {
      var lv = L.DomUtil.create('div', 'lc-row', el);
      D.levels.forEach(function (l, i) {
        lv.appendChild(button(l.level, i === level, function () { setLevel(i); }));
      });
    }
    row.appendChild(button('中文', lang === 'zh', function () { setLang('zh'); }));
    row.appendChild(button('EN', lang === 'en', function () { setLang('en'); }));
    if (D.whatif) {
      var w = L.DomUtil.create('div', 'lc-row', el);
      w.appendChild(button(x.before, scenario === 'before', function () { setWhatif('before'); }));
      w.appendChild(button(x.after, scenario === 'after', function () { setWhatif('after'); }));
    }
    var search = L.DomUtil.create('input', 'lc-search', el);
    search.type = 'search'; search.placeholder = x.search;
    var hits = L.DomUtil.create('ul', 'lc-hits', el);
    search.oninput = function () {
      hits.innerHTML = '';
      if (!search.value) return;
      var found = findSites(search.value, 12);
      if (!found.length) { var li0 = L.DomUtil.create('li', 'lc-muted', hits); li0.textContent = x.noHit; }
      found.forEach(function (k) {
        var li = L.DomUtil.create('li', '', hits);
        li.textContent = (D.sites[k].name || D.sites[k].id) + ' · ' + catLabel(D.sites[k].category);
        li.onclick = function () { selectSite(k, true); };
      });
    };
    search.onkeydown = function (e) {
      if (e.key === 'Enter') { var f = findSites(search.value, 1); if (f.length) selectSite(f[0], true); }
    };
    var lg = L.DomUtil.create('div', 'lc-legend-box', el);
    renderLegend(lg);
    var ly = L.DomUtil.create('div', 'lc-layers lc-muted', el);
    [['cells', x.cells], ['network', x.network], ['sites', x.sitesL], ['gaps', x.gaps], ['units', x.unitsL]].forEach(function (p) {
      var l = L.DomUtil.create('label', '', ly), cb = L.DomUtil.create('input', '', l);
      cb.type = 'checkbox'; cb.checked = layerOn[p[0]];
      cb.onchange = function () { layerOn[p[0]] = cb.checked; refresh(); };
      l.appendChild(document.createTextNode(' ' + p[1]));
    });
    var note = L.DomUtil.create('div', 'lc-muted', el);
    note.textContent = D.meta.distance_method || '';
    L.DomEvent.disableClickPropagation(el);
    L.DomEvent.disableScrollPropagation(el);
  }

  function renderLegend(el) {
    var x = tr(), k = D.categories[cat], rows = legendRows();
    var head = L.DomUtil.create('div', '', el);
    head.innerHTML = '<b>' + esc(catLabel(cat)) + '</b> · ' + x.threshold + ' ' + fmtInt(k.threshold_m) + ' ' + x.m +
      ' (' + (k.threshold_m / k.speed_m_per_min).toFixed(0) + ' ' + x.min + ')' +
      (colourBy === 'cells' ? '<br><span class="lc-muted">' + x.legend + '</span>' : '');
    var t = '<table class="lc-legend"><tr class="lc-muted"><td></td><td></td><td class="n">' + x.residents + '</td>' +
      (k.elderly ? '<td class="n">' + x.elderly + ' ' + esc(D.meta.elderly_label || '') + '</td>' : '') + '</tr>';
    rows.forEach(function (r) {
      t += '<tr data-band="' + r.band + '"><td><span class="lc-swatch" style="background:' + r.color + '"></span></td><td>' +
        esc(r.label) + '</td><td class="n">' + fmtPct(r.share) + '</td>' + (k.elderly ? '<td class="n">' + fmtPct(r.elderly_share || 0) + '</td>' : '') + '</tr>';
    });
    t += '</table>';
    if (colourBy === 'units') {
      var ramp = ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'];
      t = '<div class="lc-muted">' + x.share + ' (' + x.unitsL + ')</div><table class="lc-legend">' + ramp.map(function (c, q) {
        return '<tr><td><span class="lc-swatch" style="background:' + c + '"></span></td><td>' + (20 * q) + '–' + (20 * q + 20) + '%</td></tr>';
      }).join('') + '</table>';
    }
    var tbl = L.DomUtil.create('div', '', el); tbl.innerHTML = t;
    var sym = L.DomUtil.create('div', 'lc-muted', el);
    sym.innerHTML = D.categories.map(function (_, c) {
      return symbolSvg(c) + ' ' + esc(catLabel(c));
    }).join(' &nbsp;');
  }

  function findSites(q, limit) {
    var needle = q.trim().toLowerCase(), out = [];
    if (!needle) return out;
    for (var k = 0; k < D.sites.length && out.length < limit; k++) {
      var st = D.sites[k];
      if (scenario === 'before' && st.planned) continue;
      if (String(st.name || '').toLowerCase().indexOf(needle) >= 0 || String(st.id).toLowerCase() === needle) out.push(k);
    }
    return out;
  }

  function refresh() {
    cacheKey = '';
    computeBands();
    renderPanel();
    buildUnits(); buildGaps(); buildRecs();
    baseLayer._reset();
  }

  function setCategory(c) {
    if (typeof c === 'string') {
      var i = D.categories.findIndex(function (k) { return k.name === c; });
      if (i < 0) throw new Error('no category ' + c);
      c = i;
    }
    if (c < 0 || c >= D.categories.length) throw new Error('no category index ' + c);
    cat = c; clearRoute(); map.closePopup();
    refresh();
    return D.categories[c].name;
  }
  function setColourBy(v) { colourBy = v; refresh(); }
  // The unit level whose boundaries are drawn (named levels only).
  function setLevel(i) { if (D.levels && D.levels[i]) { level = i; map.closePopup(); refresh(); } }
  function curUnits() { return level >= 0 && D.levels && D.levels[level] ? D.levels[level].units : D.units; }
  function setLang(l) { lang = l === 'en' ? 'en' : 'zh'; document.documentElement.lang = lang; map.closePopup(); refresh(); }
  function setWhatif(s) { scenario = s === 'before' ? 'before' : 'after'; clearRoute(); map.closePopup(); refresh(); }

  // The embedded CJK font (assets/fonts), loaded from bytes: no URL, no request.
  function loadFont() {
    var el = document.getElementById('lc-font'), b64 = el ? el.textContent.trim() : '';
    if (!b64 || b64.charAt(0) === '{' || typeof FontFace === 'undefined') return Promise.resolve();
    var face = new FontFace('LC Noto Sans CJK SC', b64bytes(b64).buffer);
    return face.load().then(function (f) { document.fonts.add(f); });
  }

  // ---------------------------------------------------------------- start
  function start() {
    var el = document.getElementById('lc-data');
    D = JSON.parse(el.textContent);
    // Default unit level: the finest (last) of the named levels.
    level = D.levels && D.levels.length ? D.levels.length - 1 : -1;
    if (D.format !== 'learncircle-map' || D.version !== 1) throw new Error('map data: not learncircle-map version 1');
    return Promise.all([decodeAll(D), loadFont()]).then(function () {
      stats.decode_ms = performance.now() - t0;
      lang = D.meta.lang === 'en' ? 'en' : 'zh';
      var C = D.cells, i;
      cellsX = new Float64Array(C.n); cellsY = new Float64Array(C.n);
      for (i = 0; i < C.n; i++) { cellsX[i] = mercX(C.lon_e7[i] / 1e7); cellsY[i] = mercY(C.lat_e7[i] / 1e7); }
      // Half a cell side in merc units at the equator; divided by cos(lat) per cell.
      cellHalf = C.size_m / 2 / 40075016.686 * 256;
      cellGrid = buildGrid(C.n, function (j) { return cellsX[j]; }, function (j) { return cellsY[j]; }, 8);
      if (D.network) {
        var N = D.network;
        nodeX = new Float64Array(N.nodes); nodeY = new Float64Array(N.nodes);
        for (i = 0; i < N.nodes; i++) { nodeX[i] = mercX(N.node_lon_e7[i] / 1e7); nodeY[i] = mercY(N.node_lat_e7[i] / 1e7); }
        var mx = function (s) { return (nodeX[N.seg_a[s]] + nodeX[N.seg_b[s]]) / 2; };
        var my = function (s) { return (nodeY[N.seg_a[s]] + nodeY[N.seg_b[s]]) / 2; };
        segGrid = buildGrid(N.segs, mx, my, 8);
        var mh = 0;
        for (i = 0; i < N.segs; i++) {
          mh = Math.max(mh, Math.abs(nodeX[N.seg_a[i]] - nodeX[N.seg_b[i]]) / 2, Math.abs(nodeY[N.seg_a[i]] - nodeY[N.seg_b[i]]) / 2);
        }
        segGrid.maxHalf = mh;
        inc = buildIncidence();
      }
      sitesX = new Float64Array(D.sites.length); sitesY = new Float64Array(D.sites.length);
      D.sites.forEach(function (st, k) { sitesX[k] = mercX(st.lon); sitesY[k] = mercY(st.lat); });
      stats.index_ms = performance.now() - t0;

      map = L.map('lc-map', { preferCanvas: true, zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false, attributionControl: false, zoomSnap: 0.25, maxZoom: 20 });
      [['lcbase', 350], ['lcunits', 380], ['lcgaps', 390], ['lcroute', 420], ['lcrec', 610]].forEach(function (p) {
        map.createPane(p[0]).style.zIndex = p[1];
      });
      map.getPane('lcbase').style.pointerEvents = 'none';
      var bb = D.meta.bbox;
      map.fitBounds([[bb[1], bb[0]], [bb[3], bb[2]]]);
      L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);
      var Panel = L.Control.extend({ onAdd: function () { panel = L.DomUtil.create('div', 'lc-panel'); return panel; } });
      new Panel({ position: 'topright' }).addTo(map);
      computeBands();
      baseLayer = new LcCanvas().addTo(map);
      map.on('click', onMapClick);
      refresh();
      var ld = document.getElementById('lc-loading');
      if (ld) ld.remove();
      return new Promise(function (res) { requestAnimationFrame(function () { requestAnimationFrame(res); }); });
    }).then(function () {
      stats.first_paint_ms = performance.now() - t0;
      stats.script_start_ms = t0; // since navigation start (performance.timeOrigin)
      stats.first_paint_since_nav_ms = performance.now();
      stats.cells = D.cells.n;
      stats.nodes = D.network ? D.network.nodes : 0;
      stats.segs = D.network ? D.network.segs : 0;
      lc.isReady = true;
      readyResolve(true);
    });
  }

  // ---------------------------------------------------------------- test hooks
  function cellIndex(idOrIndex) {
    if (typeof idOrIndex === 'number') return idOrIndex;
    var i = D.cells.ids.indexOf(idOrIndex);
    if (i < 0) throw new Error('no cell ' + idOrIndex);
    return i;
  }
  lc.categories = function () { return D.categories.map(function (k) { return k.name; }); };
  lc.category = function () { return D.categories[cat].name; };
  lc.setCategory = function (c) { return setCategory(c); };
  lc.legend = function () { return legendRows(); };
  lc.clickCell = function (id) { return clickCell(cellIndex(id)); };
  lc.routeLength = function () { return routeLen; };
  // Route lengths (metres, f64) of every cell for category c, without drawing: for
  // tests that compare all of them with cells.csv.
  lc.routeLengths = function (c) {
    var out = [];
    for (var i = 0; i < D.cells.n; i++) { var r = cellRoute(i, c); out.push(r ? r.L : null); }
    return out;
  };
  lc.route = function () { return route; };
  lc.popupText = function () { return popupText; };
  lc.searchSite = function (text) { var f = findSites(text, 1); return f.length ? selectSite(f[0], true) : null; };
  lc.selectedSite = function () { return selectedSite === null ? null : { index: selectedSite, name: D.sites[selectedSite].name }; };
  lc.setLevel = function (name) {
    var i = (D.levels || []).map(function (l) { return l.level; }).indexOf(name);
    if (i >= 0) setLevel(i);
    return level >= 0 ? D.levels[level].level : null;
  };
  lc.units = function () { return curUnits(); };
  lc.setColourBy = function (v) { setColourBy(v === 'units' ? 'units' : 'cells'); return colourBy; };
  lc.setLang = function (l) { setLang(l); return lang; };
  lc.setWhatif = function (s) { setWhatif(s); return scenario; };
  lc.stats = function () { return Object.assign({}, stats); };
  lc.data = function () { return D; };
  lc.map = function () { return map; };

  try {
    start().catch(function (e) {
      lc.errors.push(String(e && e.message ? e.message : e));
      console.error('learncircle map:', e);
      var ld = document.getElementById('lc-loading');
      if (ld) ld.textContent = String(e && e.message ? e.message : e);
      readyReject(e);
    });
  } catch (e) {
    lc.errors.push(String(e.message));
    console.error('learncircle map:', e);
    readyReject(e);
  }
})();
