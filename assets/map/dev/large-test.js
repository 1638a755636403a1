(async () => {
  await lcMap.ready;
  const D = lcMap.data(), out = {errors: lcMap.errors.slice(), stats: lcMap.stats()};
  let t = performance.now(), ok = 0, bad = [], tried = 0, none = 0;
  for (let c = 0; c < D.categories.length; c++) {
    const t1 = performance.now(); lcMap.setCategory(c); if (c === 4) out.switch_ms = performance.now() - t1;
    for (let i = 0; i < D.cells.n; i += 4999) {
      const r = lcMap.clickCell(i); tried++;
      const dm = D.cells.dist_dm[c][i];
      if (r.route_m === null) { if (dm === 4294967295) { ok++; none++; } else bad.push([c, i, dm, null]); }
      else if (Math.abs(r.route_m - dm / 10) <= 0.05 + 1e-9) ok++; else bad.push([c, i, dm, r.route_m]);
    }
  }
  out.routes = {tried, ok, none, bad: bad.slice(0, 5), ms: performance.now() - t};
  lcMap.setCategory('library');
  out.legend = lcMap.legend().map(r => [r.label, +(100 * r.share).toFixed(1)]);
  t = performance.now(); out.search = lcMap.searchSite('第4000号'); out.search_ms = performance.now() - t;
  const m = lcMap.map(); const b = D.meta.bbox;
  t = performance.now(); m.fitBounds([[b[1], b[0]], [b[3], b[2]]]); out.full_redraw = lcMap.stats().last_draw_ms;
  m.setView([(b[1]+b[3])/2, (b[0]+b[2])/2], 15, {animate: false}); out.z15_redraw = lcMap.stats().last_draw_ms; out.z15_drawn = lcMap.stats().drawn;
  m.setView([(b[1]+b[3])/2, (b[0]+b[2])/2], 13, {animate: false}); out.z13_redraw = lcMap.stats().last_draw_ms; out.z13_drawn = lcMap.stats().drawn;
  m.setView([(b[1]+b[3])/2, (b[0]+b[2])/2], 11, {animate: false}); out.z11_redraw = lcMap.stats().last_draw_ms; out.z11_drawn = lcMap.stats().drawn;
  m.setView([(b[1]+b[3])/2, (b[0]+b[2])/2], 15, {animate: false});
  out.mem_mb = performance.memory ? Math.round(performance.memory.usedJSHeapSize / 1e6) : null;
  return JSON.stringify(out);
})()
