/* The command centre's dashboard (/dashboard, 一屏观全市) for a chosen period of days of receipt.
 *
 * Everything comes from api/v1/staff/stats (counters kept with every change, never a scan of
 * the orders), the red list from the queue (?level=red), the map from the city's own shapes
 * (api/v1/staff/city). The CSV export is the queue's, for the period.
 */
"use strict";
(function () {
  const S = window.Suqiu;
  const { h, $ } = S;
  let city = null, mapView = null, stats = null;

  const iso = (date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;

  function preset(days) {
    const today = new Date();
    let from = new Date(today);
    if (days === "month") from = new Date(today.getFullYear(), today.getMonth(), 1);
    else if (days === "year") from = new Date(today.getFullYear(), 0, 1);
    else from.setDate(today.getDate() - Number(days) + 1);
    $("#p-from").value = iso(from);
    $("#p-to").value = iso(today);
    load();
  }

  function period() {
    return { from: $("#p-from").value, to: $("#p-to").value };
  }

  async function load() {
    const form = $("#period");
    S.clearErrors(form);
    try {
      [stats] = await Promise.all([S.auth.call("staff/stats" + S.query(period())), loadRedList()]);
    } catch (error) {
      S.showErrors(form, error);
      return;
    }
    $("#p-from").value = stats.period.from;
    $("#p-to").value = stats.period.to;
    render();
  }

  function kpi(name, value, note) {
    return h("div", { class: "kpi" }, h("span", { class: "value" }, value), h("span", { class: "name" }, name),
      note ? h("div", { class: "hint" }, note) : null);
  }

  function render() {
    const t = stats.totals, r = stats.rates;
    S.clear($("#kpis")).append(
      kpi("受理量", `${t.submitted}件`, `${stats.period.from} 至 ${stats.period.to}`),
      kpi("签收率", S.percent(r.signing), `${t.signed}/${t.assigned}`),
      kpi("按时办结率", S.percent(r.on_time), `${t.on_time}/${t.resolved}`),
      kpi("满意率", S.percent(r.satisfaction), `${t.satisfied}/${t.rated}`),
      kpi("重办率", S.percent(r.redo), `${t.redo}/${t.replied}`),
      kpi("平均办理时长", r.average_handling_hours === null ? "—" : `${r.average_handling_hours}小时`, `已办结 ${t.resolved}件`),
    );
    S.trendChart($("#trend"), "每日受理与办结", stats.daily, [
      { name: "受理", key: "submitted" }, { name: "已办结", key: "resolved" },
    ]);
    const bars = (entries) => entries.filter((e) => e.counts.submitted).sort((a, b) => b.counts.submitted - a.counts.submitted)
      .map((e) => ({ label: e.name, value: e.counts.submitted }));
    S.barChart($("#by-state"), "按状态统计", stats.by_state.filter((s) => s.count).map((s) => ({ label: s.name, value: s.count })));
    S.barChart($("#by-type"), "按类型统计", bars(stats.by_type));
    S.barChart($("#by-category"), "按分类统计", bars(stats.by_category));
    S.barChart($("#by-area"), "按区县统计", bars(stats.by_area.filter((a) => a.depth === 1)));
    renderRanking();
    renderMap();
  }

  function renderRanking() {
    const ranked = stats.by_unit.filter((u) => u.score !== null);
    const line = (u) => h("li", {}, `${u.name} ${u.score}分（${u.counts.submitted}件）`);
    S.clear($("#red-board")).append(...ranked.slice(0, 5).map(line));
    // The bottom five, worst first, of the units not already on the red board.
    S.clear($("#black-board")).append(...ranked.slice(Math.max(5, ranked.length - 5)).reverse().map(line));
    const rows = stats.by_unit.map((u) => h("tr", {},
      h("td", {}, u.name), h("td", { class: "num" }, u.counts.submitted), h("td", { class: "num" }, S.percent(u.rates.signing)),
      h("td", { class: "num" }, S.percent(u.rates.on_time)), h("td", { class: "num" }, S.percent(u.rates.satisfaction)),
      h("td", { class: "num" }, S.percent(u.rates.redo)), h("td", { class: "num" }, u.score === null ? "—" : u.score)));
    S.clear($("#unit-table")).append(h("table", {},
      h("caption", { class: "visually-hidden" }, "承办单位指标"),
      h("thead", {}, h("tr", {}, ["承办单位", "件数", "签收率", "按时办结率", "满意率", "重办率", "得分"].map((x, i) => h("th", { class: i ? "num" : "" }, x)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: "7" }, "本期暂无数据")))));
  }

  function renderMap() {
    const values = Object.fromEntries(stats.by_area.map((a) => [a.code, a.counts.submitted]));
    if (!mapView) {
      mapView = new S.MapView($("#map"), city, {
        height: 420, label: "诉求分布地图", tiles: S.auth.config.tiles,
        onArea: (code) => mapView.zoomTo(code),
        onZoom: (area) => { $("#map-scope").textContent = area ? area.name : "全市"; $("#map-reset").hidden = !area; },
      });
      $("#map-reset").addEventListener("click", () => mapView.zoomTo(null));
    }
    mapView.values = values;
    mapView.setCells(stats.cells.items);
  }

  async function loadRedList() {
    const page = await S.auth.call("staff/requests?level=red&limit=50");
    const rows = page.items.map((item) => h("tr", {},
      h("td", {}, h("a", { href: "staff#" + item.tracking_no }, item.tracking_no)), h("td", {}, item.category.name),
      h("td", {}, item.unit ? item.unit.name : "—"), h("td", {}, S.time(item.due_at)), h("td", {}, item.summary)));
    S.clear($("#red-list")).append(h("table", {},
      h("caption", { class: "visually-hidden" }, "红牌督办工单"),
      h("thead", {}, h("tr", {}, ["受理编号", "分类", "承办单位", "办理时限", "内容"].map((x) => h("th", {}, x)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: "5" }, "当前没有红牌督办工单")))));
  }

  document.addEventListener("DOMContentLoaded", () => S.auth.run($("#gate"), "dashboard", async (session) => {
    S.auth.header(session, $("#who"));
    S.clear($("#gate"));
    $("#app").hidden = false;
    city = await S.auth.call("staff/city");
    $("#dash-title").textContent = `${city.city.name} · 一屏观全市`;
    $("#period").addEventListener("submit", (event) => { event.preventDefault(); load(); });
    for (const button of S.$$("[data-days]")) button.addEventListener("click", () => preset(button.dataset.days));
    $("#export").addEventListener("click", () =>
      S.auth.download("staff/export" + S.query(period()), `工单导出-${period().from}-${period().to}.csv`).catch((e) => S.showErrors($("#period"), e)));
    await load();
    S.auth.hotspots($("#hotspots"), $("#hotspot-list"), (no) => location.assign(S.url("staff#" + no)));
  }));
})();
