/* Charts as inline SVG: horizontal bars and a daily trend. Each chart has a text name for screen
 * readers and its numbers in a table under it ("数据表"), so nothing is said by colour or shape alone. */
"use strict";
(function () {
  const S = window.Suqiu;
  const COLOURS = ["#0b5cad", "#1d7a3a", "#b3261e", "#8a6d00", "#6a3fb5", "#00707a", "#9a5b00", "#4f5b6b"];

  const svg = S.svg;

  function table(caption, headers, rows) {
    return S.h("details", {}, S.h("summary", {}, "数据表"),
      S.h("div", { class: "table-wrap" }, S.h("table", {},
        S.h("caption", { class: "visually-hidden" }, caption),
        S.h("thead", {}, S.h("tr", {}, headers.map((text, i) => S.h("th", { class: i ? "num" : "" }, text)))),
        S.h("tbody", {}, rows.map((row) => S.h("tr", {}, row.map((cell, i) => S.h("td", { class: i ? "num" : "" }, cell))))))));
  }

  // items: [{label, value, text?}] → one bar each, longest first when sorted by the caller.
  S.barChart = function (container, title, items, options) {
    const opts = Object.assign({ unit: "件", width: 560 }, options);
    const row = 26, labelWidth = 150, right = 60;
    const height = Math.max(items.length, 1) * row + 8;
    const most = Math.max(1, ...items.map((i) => i.value));
    const chart = svg("svg", { class: "chart", viewBox: `0 0 ${opts.width} ${height}`, role: "img", "aria-label": title });
    items.forEach((item, n) => {
      const y = 4 + n * row;
      const length = ((opts.width - labelWidth - right) * item.value) / most;
      const shown = item.text !== undefined ? item.text : `${item.value}${opts.unit}`;
      chart.append(
        svg("text", { x: labelWidth - 6, y: y + 16, "text-anchor": "end" }, item.label.length > 11 ? item.label.slice(0, 10) + "…" : item.label),
        svg("rect", { x: labelWidth, y: y + 3, width: Math.max(length, item.value ? 2 : 0).toFixed(1), height: row - 8, fill: item.colour || COLOURS[0], rx: 2 },
          svg("title", {}, `${item.label}：${shown}`)),
        svg("text", { x: labelWidth + length + 4, y: y + 16 }, shown));
    });
    S.clear(container).append(chart, table(title, ["名称", "数值"], items.map((i) => [i.label, i.text !== undefined ? i.text : i.value])));
  };

  // days: [{day, ...counters}]; series: [{name, key, colour}] → one line per series over the days.
  S.trendChart = function (container, title, days, series) {
    // Drawn at the container's own width, so that its text keeps its size on any screen.
    const width = Math.max(container.clientWidth || 640, 280), height = 220, left = 36, bottom = 28, top = 10, right = 16;
    const most = Math.max(1, ...days.flatMap((d) => series.map((s) => d[s.key])));
    const x = (i) => left + (days.length > 1 ? (i * (width - left - right)) / (days.length - 1) : (width - left - right) / 2);
    const y = (v) => top + (height - top - bottom) * (1 - v / most);
    const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
    for (const v of [0, Math.ceil(most / 2), most]) {
      chart.append(svg("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: "grid" }),
        svg("text", { x: left - 4, y: y(v) + 4, "text-anchor": "end" }, v));
    }
    // About eight dates along the axis, and the last day when it is not too close to the one before.
    const every = Math.max(1, Math.ceil(days.length / 8));
    const labelled = days.map((_, i) => i).filter((i) => i % every === 0);
    if (days.length - 1 - labelled[labelled.length - 1] >= every / 2) labelled.push(days.length - 1);
    for (const i of labelled) chart.append(svg("text", { x: x(i), y: height - 8, "text-anchor": "middle" }, days[i].day.slice(5)));
    series.forEach((s, n) => {
      const colour = s.colour || COLOURS[n];
      chart.append(svg("polyline", {
        points: days.map((d, i) => `${x(i).toFixed(1)},${y(d[s.key]).toFixed(1)}`).join(" "),
        fill: "none", stroke: colour, "stroke-width": 2.5,
      }));
      days.forEach((d, i) => chart.append(svg("circle", { cx: x(i).toFixed(1), cy: y(d[s.key]).toFixed(1), r: 3, fill: colour },
        svg("title", {}, `${d.day} ${s.name}：${d[s.key]}`))));
    });
    const legend = S.h("p", { class: "legend" }, series.map((s, n) => {
      const key = S.h("span", {}, "━ " + s.name);
      key.style.color = s.colour || COLOURS[n]; // CSSOM: the pages' CSP allows no style attributes
      return key;
    }));
    S.clear(container).append(chart, legend,
      table(title, ["日期", ...series.map((s) => s.name)], days.map((d) => [d.day, ...series.map((s) => d[s.key])])));
  };

})();
