// Supervisors' dashboard: Chart.js (vendored from npm by scripts/build_widget.py) draws the
// figures the page embeds; the tables beside the charts carry the same numbers for screen readers.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('dashboard-data').textContent);
  const S = JSON.parse(document.getElementById('dashboard-strings').textContent);
  if (typeof Chart === 'undefined') return;
  const COLOURS = ['#0b5cad', '#c2410c', '#15803d', '#7e22ce', '#a16207', '#0e7490'];
  const charts = [];
  window.assistCharts = charts; // for the browser tests

  const channels = Object.keys(data.per_day.channels);
  charts.push(new Chart(document.getElementById('chart-per-day'), {
    type: 'bar',
    data: {
      labels: data.per_day.days,
      datasets: channels.map((channel, i) => ({ label: channel, data: data.per_day.channels[channel], backgroundColor: COLOURS[i % COLOURS.length] })),
    },
    options: { maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  }));

  const languages = Object.keys(data.languages);
  charts.push(new Chart(document.getElementById('chart-language'), {
    type: 'doughnut',
    data: {
      labels: languages.map((l) => ({ en: S.English, ms: S.Malay })[l] || l),
      datasets: [{ data: languages.map((l) => data.languages[l]), backgroundColor: COLOURS }],
    },
    options: { maintainAspectRatio: false },
  }));

  charts.push(new Chart(document.getElementById('chart-funnel'), {
    type: 'bar',
    data: {
      labels: data.funnels.map((f) => f.label),
      datasets: [
        { label: S['Started'], data: data.funnels.map((f) => f.started), backgroundColor: COLOURS[0] },
        { label: S['Completed'], data: data.funnels.map((f) => f.completed), backgroundColor: COLOURS[2] },
        { label: S['Cancelled'], data: data.funnels.map((f) => f.cancelled), backgroundColor: COLOURS[1] },
      ],
    },
    options: { maintainAspectRatio: false, indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  }));

  document.querySelectorAll('canvas.chart-dropout').forEach((canvas) => {
    const funnel = data.funnels.find((f) => f.flow === canvas.dataset.flow);
    if (!funnel) return;
    charts.push(new Chart(canvas, {
      type: 'bar',
      data: {
        labels: funnel.dropped_at.map((d) => d.slot),
        datasets: [{ label: S['Stopped here'], data: funnel.dropped_at.map((d) => d.count), backgroundColor: COLOURS[1] }],
      },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    }));
  });
})();
