/* The map (一张图) on an area's dashboard: the children's boundaries coloured by poverty incidence or helper
   coverage, a click on an area opens its dashboard, recent visits as points. Data from /map/<code>.json
   (scoped on the server). No inline script: the CSP forbids it. */
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || typeof echarts === "undefined") { return; }
  var none = document.getElementById("map-none");
  var measure = "incidence";
  var chart = null;
  var data = null;
  var byCode = {};

  function values() {
    return data.features.features.map(function (f) {
      var p = f.properties;
      return { name: p.code, value: p[measure], label: p.name, drill: p.drill, poor: p.poor_people,
               incidence: p.incidence, coverage: p.coverage };
    });
  }

  function option() {
    var vals = values().map(function (v) { return v.value; }).filter(function (v) { return v !== null; });
    var top = vals.length ? Math.max.apply(null, vals) : 1;
    return {
      tooltip: { trigger: "item", formatter: function (p) {
        if (p.seriesType === "scatter") { return box.dataset.visit; }
        var d = byCode[p.name] || {};
        var show = function (v) { return v === null || v === undefined ? "—" : v + "%"; };
        return (d.label || p.name) + "<br>" + box.dataset.incidence + "：" + show(d.incidence) + "<br>" +
          box.dataset.coverage + "：" + show(d.coverage) + "<br>" + box.dataset.poor + "：" + (d.poor || 0);
      } },
      visualMap: { min: 0, max: Math.max(top, 1), calculable: true, left: 10, bottom: 10, precision: 1,
        text: [box.dataset[measure] + " %", ""],
        inRange: { color: measure === "incidence" ? ["#fff5eb", "#b3261e"] : ["#f7fcf5", "#1b7837"] },
        seriesIndex: 0 },
      geo: { map: "area-" + data.area.code, nameProperty: "code", roam: true,
        itemStyle: { borderColor: "#555", borderWidth: 0.6 }, emphasis: { label: { show: false } } },
      series: [
        { type: "map", geoIndex: 0, data: values() },
        { type: "scatter", coordinateSystem: "geo", symbolSize: 4, itemStyle: { color: "#1f4e9c", opacity: 0.7 },
          data: data.points }
      ]
    };
  }

  function draw() {
    chart = echarts.init(box, null, { renderer: "svg" });
    chart.setOption(option());
    // With the map series on the geo component, a click may come from either; the region's name is its code.
    chart.on("click", function (p) {
      var d = byCode[p.name];
      if ((p.componentType === "geo" || p.seriesType === "map") && d && d.drill) {
        window.location.href = box.dataset.drillUrl.replace("CODE", p.name);
      }
    });
    box.dataset.drawn = "1";
    box.dataset.points = String(data.points.length);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("input[name=map-measure]").forEach(function (input) {
    input.addEventListener("change", function () {
      measure = input.value;
      if (chart) { chart.setOption(option(), { replaceMerge: ["series", "visualMap"] }); }
    });
  });

  fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(function (d) {
      data = d;
      values().forEach(function (v) { byCode[v.name] = v; });
      if (!d.features.features.length) { box.hidden = true; if (none) { none.hidden = false; } return; }
      echarts.registerMap("area-" + d.area.code, d.features);
      var src = document.getElementById("map-source");
      if (src) { src.textContent = d.sources.map(function (s) { return s[0] + "（" + s[1] + "）"; }).join("；"); }
      draw();
    })
    .catch(function () { box.hidden = true; if (none) { none.hidden = false; } });
})();
