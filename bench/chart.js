'use strict';

/**
 * The chart of a broadcast benchmark run (bench/broadcast.bench.js): server
 * CPU time per delivered frame against N, one panel per scenario, one line
 * per variant, drawn by Vega-Lite from the run's summary rows.
 *
 *   chartSpec(report)  the Vega-Lite spec
 *   chartSvg(report)   the rendered SVG (a promise of a string)
 *
 * `report` is what `broadcast.bench.js --json` writes: { machine, config,
 * unavailable, rows }, each row { scenario, n, variants: { [variant]:
 * { usPerFrame, spread, ok, ... } } }.
 */

const SERIES = [
  { variant: 'stock', label: 'stock socket.io', color: '#d62728' },
  { variant: 'native', label: 'socket.io-native', color: '#1f77b4' },
  { variant: 'sendloop', label: 'send() loop', color: '#7f7f7f' },
  { variant: 'control', label: 'stock socket.io (A/A control)', color: '#ff9896' },
];

function scenarioTitle(name, burst) {
  if (name === 'turn') return '1 broadcast per event-loop turn';
  if (name === 'burst') return `${burst} broadcasts per turn`;
  return name;
}

/** Log-axis tick values of the 1-2-5 ladder that cover [lo, hi]. */
function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) ticks.push(Number((m * 10 ** e).toPrecision(1)));
  }
  const below = ticks.filter((t) => t <= lo).pop();
  const above = ticks.find((t) => t > below && t >= hi);
  return ticks.filter((t) => t >= below && t <= above);
}

function fmt(x) {
  return Number(x.toPrecision(3));
}

/** The points of the chart, and the cells left out with the reason. */
function chartData(report) {
  const burst = (report.config && report.config.burst) || 10;
  const unavailable = report.unavailable || {};
  const points = [];
  const missing = new Set();
  for (const row of report.rows || []) {
    const scenario = scenarioTitle(row.scenario, burst);
    for (const s of SERIES) {
      const r = row.variants && row.variants[s.variant];
      if (!r) continue;
      if (unavailable[s.variant]) {
        missing.add(`${s.label}, not available: ${unavailable[s.variant]}`);
        continue;
      }
      let why = null;
      if (!(r.usPerFrame > 0)) why = r.errors && r.errors.length ? 'error' : 'no frames';
      else if (!r.ok) why = 'check failed';
      if (why) {
        missing.add(`${s.label} at N = ${row.n} (${scenario}): ${why}`);
        continue;
      }
      const spread = Array.isArray(r.spread) && r.spread.every((x) => x > 0) ? r.spread : [r.usPerFrame, r.usPerFrame];
      points.push({
        scenario, n: row.n, series: s.label, us: fmt(r.usPerFrame), lo: fmt(spread[0]), hi: fmt(spread[1]),
      });
    }
  }
  return { points, missing: [...missing] };
}

// Without a canvas to measure text, Vega estimates its width generously and
// sizes the chart to its longest line; short lines keep it compact.
function wrap(text, width = 72) {
  const lines = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function subtitle(report, missing) {
  const m = report.machine || {};
  const c = report.config || {};
  const lines = [];
  const on = [
    m.nproc ? `${m.nproc} CPU${m.nproc === 1 ? '' : 's'}${m.cpu ? ` (${m.cpu.trim()})` : ''}` : null,
    m.node ? `Node ${m.node}` : null,
    m.socketio ? `socket.io ${m.socketio}` : null,
    m.os || null,
  ].filter(Boolean);
  if (on.length) lines.push(...wrap(`Measured on ${on.join(', ')}.`));
  lines.push(...wrap('Server process CPU time (user + sys) divided by the frames its clients received; lower is better.'));
  if (c.rounds > 1) lines.push(`Points: the ${c.rounds} rounds together; whiskers: the range of the rounds.`);
  for (const cell of missing) lines.push(...wrap(`Not shown: ${cell}.`));
  return lines;
}

/** The Vega-Lite spec of the chart of `report`. */
function chartSpec(report) {
  const { points, missing } = chartData(report);
  const present = SERIES.filter((s) => points.some((p) => p.series === s.label));
  const scenarios = [...new Set(points.map((p) => p.scenario))];
  const ns = [...new Set(points.map((p) => p.n))].sort((a, b) => a - b);
  const lo = points.length ? Math.min(...points.map((p) => p.lo)) : 1;
  const hi = points.length ? Math.max(...points.map((p) => p.hi)) : 10;
  const ticks = logTicks(lo, hi);
  const x = { field: 'n', type: 'ordinal', sort: ns, title: 'N (websocket clients)', axis: { labelAngle: 0 } };
  const y = {
    field: 'us',
    type: 'quantitative',
    title: 'server CPU µs per delivered frame (log scale)',
    scale: { type: 'log', domain: [ticks[0], ticks[ticks.length - 1]] },
    axis: { values: ticks, format: '~g' },
  };
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: present.map((s) => s.label), range: present.map((s) => s.color) },
    legend: { orient: 'bottom', direction: 'horizontal' },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Broadcast to N websocket clients: server CPU time per delivered frame',
      subtitle: subtitle(report, missing),
      anchor: 'start',
    },
    background: 'white',
    padding: 12,
    data: { values: points },
    facet: { column: { field: 'scenario', type: 'nominal', sort: scenarios, title: null, header: { labelFontSize: 13 } } },
    spec: {
      width: 320,
      height: 260,
      encoding: { x, color },
      layer: [
        { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { y: { ...y, field: 'lo' }, y2: { field: 'hi' } } },
        { mark: { type: 'line', point: { size: 50, filled: true } }, encoding: { y } },
      ],
    },
  };
}

/** The chart of `report` as an SVG document. */
async function chartSvg(report) {
  // Both packages are ES modules only.
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(chartSpec(report)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

module.exports = { chartSpec, chartSvg };
