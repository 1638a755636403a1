#!/usr/bin/env bash
# Refresh the vendored Leaflet used by map.html (assets/map/vendor/leaflet/).
#
#   scripts/refresh-map-vendor.sh VERSION [SHA512-INTEGRITY]
#
# Fetches the npm tarball with `npm pack` (the ordinary npm client, registry of your
# npm config), checks its Subresource-Integrity sha512 against the registry's
# `dist.integrity` (or against the one given, which is the safer way: copy it from a
# trusted source), and copies the minified JS, the CSS and the LICENSE. Image files
# are not copied: map.html uses no images (circle markers, inline SVG, divIcons).
# Node/npm are needed only to run this script, never to build the crate.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 VERSION [SHA512-INTEGRITY]   (e.g. $0 1.9.4)" >&2
    exit 2
fi
version=$1
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/assets/map/vendor/leaflet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

expected=${2:-$(npm view "leaflet@$version" dist.integrity)}
if [[ -z $expected ]]; then
    echo "error: npm has no dist.integrity for leaflet@$version" >&2
    exit 1
fi
(cd "$work" && npm pack --silent "leaflet@$version" >/dev/null)
tarball=$work/leaflet-$version.tgz
if [[ ! -f $tarball ]]; then
    echo "error: npm pack did not produce $tarball" >&2
    exit 1
fi
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [[ $actual != "$expected" ]]; then
    echo "error: integrity mismatch for leaflet-$version.tgz: expected $expected, got $actual" >&2
    exit 1
fi
tar -xzf "$tarball" -C "$work"
mkdir -p "$dest"
for f in dist/leaflet.js dist/leaflet.css LICENSE; do
    if [[ ! -f $work/package/$f ]]; then
        echo "error: leaflet-$version.tgz has no $f" >&2
        exit 1
    fi
done
cp "$work/package/dist/leaflet.js" "$dest/leaflet.js"
cp "$work/package/dist/leaflet.css" "$dest/leaflet.css"
cp "$work/package/LICENSE" "$dest/LICENSE"
cat >"$dest/VERSION" <<VEOF
package: leaflet
version: $version
tarball: leaflet-$version.tgz (npm pack leaflet@$version)
integrity: $actual
files: dist/leaflet.js dist/leaflet.css LICENSE (unchanged)
VEOF
echo "leaflet $version vendored into ${dest#"$root"/} ($actual)"
