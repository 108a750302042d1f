/* Maps drawn as SVG from the city's own shapes (GeoJSON, WGS-84): no map service, no internet.
 *
 * Web Mercator, so that a raster tile layer, when one is configured (api/v1/staff/config
 * "tiles"), lies under the shapes exactly; without one the shapes are the map. Everything
 * is drawn in screen pixels for the current view and drawn again when the view changes, so
 * text and points keep their size at every zoom. Areas are focusable buttons: click, Enter
 * or Space zooms into a district.
 */
"use strict";
(function () {
  const S = window.Suqiu;
  const TILE = 256;
  const CLUSTER_PX = 44;

  const svg = S.svg;

  // Longitude/latitude to the unit square of Web Mercator (x east, y south).
  function mercator(lng, lat) {
    const s = Math.sin((lat * Math.PI) / 180);
    return [(lng + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
  }

  function rings(geometry) {
    if (!geometry) return [];
    return geometry.type === "Polygon" ? geometry.coordinates : geometry.coordinates.flat();
  }

  function extent(geometries) {
    let [west, south, east, north] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const geometry of geometries) for (const ring of rings(geometry)) for (const [lng, lat] of ring) {
      west = Math.min(west, lng); east = Math.max(east, lng); south = Math.min(south, lat); north = Math.max(north, lat);
    }
    return { west, south, east, north };
  }

  function inRing(lng, lat, ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [x1, y1] = ring[i], [x2, y2] = ring[j];
      if ((y1 > lat) !== (y2 > lat) && lng < x1 + ((lat - y1) * (x2 - x1)) / (y2 - y1)) inside = !inside;
    }
    return inside;
  }

  S.contains = function (geometry, lng, lat) {
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    return polygons.some((p) => inRing(lng, lat, p[0]) && !p.slice(1).some((hole) => inRing(lng, lat, hole)));
  };

  S.MapView = class {
    // city: api/v1/staff/city; options: {tiles, height, label, onArea(code)}
    constructor(container, city, options) {
      this.city = city;
      this.options = Object.assign({ height: 360, label: "地图" }, options);
      this.values = {};
      this.cells = [];
      this.pin = null;
      this.focus = null; // the district zoomed into, or null for the whole city
      this.node = svg("svg", { class: "map", role: "group", "aria-label": this.options.label });
      container.append(this.node);
      if (this.options.tiles && this.options.tiles.attribution) {
        container.append(S.h("p", { class: "hint" }, this.options.tiles.attribution));
      }
      new ResizeObserver(() => this.render()).observe(container);
    }

    areasAt(depth, parent) {
      return this.city.areas.filter((a) => a.depth === depth && a.geometry && (!parent || a.parent === parent));
    }

    districtOf(lng, lat) {
      return this.areasAt(1).find((a) => S.contains(a.geometry, lng, lat)) || null;
    }

    setValues(values) { this.values = values || {}; this.render(); }
    setCells(cells) { this.cells = cells || []; this.render(); }
    setPin(lng, lat) { this.pin = [lng, lat]; this.focus = this.districtOf(lng, lat); this.render(); }
    zoomTo(code) { this.focus = this.city.areas.find((a) => a.code === code) || null; this.render(); if (this.options.onZoom) this.options.onZoom(this.focus); }

    render() {
      const width = Math.max(this.node.clientWidth || this.node.parentNode.clientWidth || 320, 200);
      const height = this.options.height;
      const shapes = this.focus ? [this.focus.geometry] : [this.city.boundary || this.areasAt(1).map((a) => a.geometry)].flat();
      const box = extent(shapes);
      const [x0, y0] = mercator(box.west, box.north);
      const [x1, y1] = mercator(box.east, box.south);
      const pad = 12;
      const scale = Math.min((width - 2 * pad) / (x1 - x0), (height - 2 * pad) / (y1 - y0));
      const ox = (width - (x1 - x0) * scale) / 2 - x0 * scale;
      const oy = (height - (y1 - y0) * scale) / 2 - y0 * scale;
      const project = (lng, lat) => { const [x, y] = mercator(lng, lat); return [x * scale + ox, y * scale + oy]; };
      const path = (geometry) => rings(geometry).map((ring) =>
        "M" + ring.map(([lng, lat]) => project(lng, lat).map((n) => n.toFixed(1)).join(",")).join("L") + "Z").join("");

      this.node.setAttribute("viewBox", `0 0 ${width} ${height}`);
      this.node.setAttribute("height", height);
      const layers = [];
      if (this.options.tiles) layers.push(this._tiles(scale, ox, oy, width, height));

      const depth = this.focus ? this.focus.depth + 1 : 1;
      const areas = this.areasAt(depth, this.focus && this.focus.code);
      const shown = areas.length ? areas : this.focus ? [this.focus] : [];
      const most = Math.max(1, ...shown.map((a) => this.values[a.code] || 0));
      const group = svg("g", {});
      for (const area of shown) {
        const count = this.values[area.code] || 0;
        const shade = this.options.tiles ? 0.15 + 0.45 * (count / most) : 0.08 + 0.6 * (count / most);
        const zoomable = depth === 1 && this.options.onArea;
        const shape = svg("path", {
          d: path(area.geometry), class: "area" + (zoomable ? " district" : ""), "fill-rule": "evenodd",
          fill: `rgba(11, 92, 173, ${shade.toFixed(2)})`,
          tabindex: zoomable ? "0" : null, role: zoomable ? "button" : "img",
          "aria-label": `${area.name}${count ? " " + count + "件" : ""}`, "data-area": area.code,
        }, svg("title", {}, `${area.name}：${count}件`));
        if (zoomable) {
          const open = () => this.options.onArea(area.code);
          shape.addEventListener("click", open);
          shape.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
        }
        group.append(shape);
      }
      layers.push(group);
      if (!this.focus && this.city.boundary) layers.push(svg("path", { d: path(this.city.boundary), class: "boundary", "fill-rule": "evenodd" }));
      const labels = svg("g", { "aria-hidden": "true" });
      for (const area of shown) {
        const box = extent([area.geometry]);
        const wide = project(box.east, box.south)[0] - project(box.west, box.south)[0];
        if (!area.label_at || wide < 14 * area.name.length) continue; // no room for its name at this zoom
        const [x, y] = project(area.label_at.lng, area.label_at.lat);
        labels.append(svg("text", { x: x.toFixed(1), y: y.toFixed(1), class: "label", "text-anchor": "middle" }, area.name));
      }
      layers.push(labels);
      layers.push(this._clusters(project, width, height));
      if (this.pin) {
        const [x, y] = project(...this.pin);
        layers.push(svg("path", { class: "pin", d: `M${x},${y}l-8,-14a9,9 0 1 1 16,0z`, role: "img", "aria-label": "诉求位置" },
          svg("title", {}, "诉求位置")));
      }
      this.node.replaceChildren(...layers);
    }

    // Cells close together on screen are drawn as one circle with their total.
    _clusters(project, width, height) {
      const bins = new Map();
      for (const cell of this.cells) {
        const [x, y] = project(cell.lng, cell.lat);
        if (x < 0 || y < 0 || x > width || y > height) continue;
        const key = Math.floor(x / CLUSTER_PX) + ":" + Math.floor(y / CLUSTER_PX);
        const bin = bins.get(key) || { x: 0, y: 0, count: 0 };
        bin.x += x * cell.count; bin.y += y * cell.count; bin.count += cell.count;
        bins.set(key, bin);
      }
      const group = svg("g", { class: "clusters" });
      for (const bin of bins.values()) {
        const x = bin.x / bin.count, y = bin.y / bin.count;
        const r = Math.min(8 + 4 * Math.sqrt(bin.count), 26);
        group.append(svg("g", { role: "img", "aria-label": `${bin.count}件诉求` },
          svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: r.toFixed(1), class: "cluster" }, svg("title", {}, `${bin.count}件`)),
          svg("text", { x: x.toFixed(1), y: (y + 4).toFixed(1), class: "cluster-count", "text-anchor": "middle" }, bin.count)));
      }
      return group;
    }

    // The configured raster tiles (…/{z}/{x}/{y}.png) covering the view, at the zoom nearest its scale.
    _tiles(scale, ox, oy, width, height) {
      const z = Math.max(0, Math.min(18, Math.round(Math.log2(scale / TILE))));
      const n = 2 ** z;
      const group = svg("g", { class: "tiles", "aria-hidden": "true" });
      const first = [Math.floor((-ox / scale) * n), Math.floor((-oy / scale) * n)];
      const last = [Math.floor(((width - ox) / scale) * n), Math.floor(((height - oy) / scale) * n)];
      if ((last[0] - first[0] + 1) * (last[1] - first[1] + 1) > 64) return group;
      const size = scale / n;
      for (let tx = first[0]; tx <= last[0]; tx++) for (let ty = first[1]; ty <= last[1]; ty++) {
        if (ty < 0 || ty >= n) continue;
        const href = this.options.tiles.url.replace("{z}", z).replace("{x}", ((tx % n) + n) % n).replace("{y}", ty);
        group.append(svg("image", { href, x: (tx * size + ox).toFixed(1), y: (ty * size + oy).toFixed(1), width: size.toFixed(1), height: size.toFixed(1) }));
      }
      return group;
    }
  };
})();
