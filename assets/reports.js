// Report charts (funnel, forecast): data comes from a JSON block next to
// the chart element, so the page needs no inline script (CSP).
(function () {
  "use strict";
  var PALETTE = ["#2563eb", "#127a45", "#9a5b00", "#7c3aed", "#0e7490", "#c02a2a", "#4b5563", "#b45309"];

  function money(v, unit) {
    return (unit || "") + Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function funnel(el, data) {
    var chart = echarts.init(el);
    chart.setOption({
      color: PALETTE,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var c = p.data.conversion;
          var rate = c === null || c === undefined ? "—" : (c * 100).toFixed(1) + "%";
          return p.name + "<br>" + data.entered + ": " + p.value + "<br>" + data.conversion + ": " + rate;
        }
      },
      series: [{
        type: "funnel",
        sort: "none",
        left: "5%", right: "5%", top: 10, bottom: 10,
        minSize: "8%",
        label: { show: true, position: "inside", formatter: "{b}: {c}" },
        data: data.stages
      }]
    });
    return chart;
  }

  function forecast(el, data) {
    var chart = echarts.init(el);
    chart.setOption({
      color: [PALETTE[1], PALETTE[2], PALETTE[0]],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        valueFormatter: function (v) { return money(v, data.unit); } },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: data.periods },
      yAxis: { type: "value", name: data.unit, axisLabel: { formatter: function (v) { return Number(v).toLocaleString(); } } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "forecast", emphasis: { focus: "series" }, data: s.values };
      })
    });
    return chart;
  }

  function start() {
    if (typeof echarts === "undefined") { return; }
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-source"));
      if (!source || !source.textContent.trim()) { return; }
      var data = JSON.parse(source.textContent);
      charts.push(el.getAttribute("data-chart") === "funnel" ? funnel(el, data) : forecast(el, data));
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
