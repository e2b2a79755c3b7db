/* Draws the page's charts from the json_script blocks (no inline scripts: the CSP forbids them). */
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var big = window.matchMedia("(min-width: 1200px)").matches;
  var font = big ? 16 : 13;
  var charts = [];
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    option.title = { text: el.dataset.title || "", left: "center", textStyle: { fontSize: font + 2 } };
    option.textStyle = { fontSize: font };
    option.tooltip = option.tooltip || { trigger: "item" };
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
    el.dataset.drawn = "1";
  }
  var d = data("chart-data");
  if (d) {
    draw("chart-status", { series: [{ type: "pie", radius: ["35%", "65%"], top: 30, data: d.status,
      label: { fontSize: font, formatter: "{b}\n{c}" } }] });
    draw("chart-causes", { grid: { left: 110, right: 30, top: 50, bottom: 30 }, tooltip: { trigger: "axis" },
      xAxis: { type: "value" }, yAxis: { type: "category", inverse: true, data: d.causes.map(function (c) { return c.name; }) },
      series: [{ type: "bar", data: d.causes.map(function (c) { return c.value; }), itemStyle: { color: "#b3261e" } }] });
    var y = document.getElementById("chart-years");
    if (y) {
      draw("chart-years", { tooltip: { trigger: "axis" }, legend: { top: 28 }, grid: { top: 70, left: 60, right: 20, bottom: 30 },
        xAxis: { type: "category", data: d.years.year }, yAxis: { type: "value" },
        series: [{ name: y.dataset.identified, type: "bar", data: d.years.identified, itemStyle: { color: "#b3261e" } },
                 { name: y.dataset.exited, type: "bar", data: d.years.exited, itemStyle: { color: "#1f7a3d" } }] });
    }
    draw("chart-children", { tooltip: { trigger: "axis" }, grid: { left: 60, right: 20, top: 50, bottom: 80 },
      xAxis: { type: "category", data: d.children.name, axisLabel: { rotate: 40 } }, yAxis: { type: "value" },
      series: [{ type: "bar", data: d.children.incidence, itemStyle: { color: "#8f1d17" } }] });
  }
  var inc = data("income-data");
  var el = document.getElementById("chart-income");
  if (inc && el) {
    var names = ["wage", "production", "property", "transfer"];
    draw("chart-income", { tooltip: { trigger: "axis" }, legend: { top: 28 }, grid: { top: 70, left: 70, right: 20, bottom: 30 },
      xAxis: { type: "category", data: inc.year }, yAxis: { type: "value" },
      series: names.map(function (n) { return { name: el.dataset[n], type: "bar", stack: "income", data: inc[n] }; })
        .concat([{ name: el.dataset.net, type: "line", data: inc.net, lineStyle: { width: 3 }, itemStyle: { color: "#1d2733" } }]) });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
