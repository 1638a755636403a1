(async () => {
  await lcMap.ready;
  const out = {errors: lcMap.errors.slice(), cats: lcMap.categories()};
  const D = lcMap.data();
  const checks = [];
  for (let c = 0; c < D.categories.length; c++) {
    lcMap.setCategory(c);
    const leg = lcMap.legend().map(r => [r.label, +(r.share*100).toFixed(1)]);
    const rows = [];
    for (let i = 0; i < D.cells.n; i++) {
      const r = lcMap.clickCell(i);
      const dm = D.cells.dist_dm[c][i];
      rows.push([r.id, r.dist_m, r.route_m === null ? null : +r.route_m.toFixed(3), r.site,
                 r.route_m === null ? dm === 4294967295 : Math.abs(r.route_m - dm/10) <= 0.05 + 1e-9]);
    }
    checks.push({cat: D.categories[c].name, legend: leg, rows});
  }
  out.checks = checks;
  out.search = lcMap.searchSite('图书馆');
  out.search2 = lcMap.searchSite('riverside');
  out.selected = lcMap.selectedSite();
  lcMap.setCategory('library');
  out.click4 = lcMap.clickCell('c0');
  out.popup = lcMap.popupText();
  lcMap.setLang('en');
  return JSON.stringify(out);
})()
