(async () => { await lcMap.ready; const s = lcMap.stats();
  const nav = performance.getEntriesByType('navigation')[0];
  return JSON.stringify({map_drawn_ms: Math.round(s.first_paint_since_nav_ms), script_start_ms: Math.round(s.script_start_ms),
    decode_ms: Math.round(s.decode_ms), dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd),
    paint: performance.getEntriesByType('paint').map(p => [p.name, Math.round(p.startTime)]), errors: lcMap.errors.length}); })()
