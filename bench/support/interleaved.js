'use strict';

/**
 * CPU time per call of several functions, measured in interleaved rounds in
 * one process: every round runs each function once for about `roundNs` of
 * wall time, so drift of the machine (other load, frequency) touches all of
 * them alike, and the median of the rounds is reported.
 */

const cpuNs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};

/** Calls of fn that take about roundNs, doubling until a 5 ms probe. */
function calibrate(fn, roundNs) {
  let n = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const dt = Number(process.hrtime.bigint() - t0);
    if (dt > 5e6) return Math.max(1, Math.round((n * roundNs) / dt));
    n *= 2;
  }
}

/**
 * @param {Array<() => unknown>} fns
 * @param {{ rounds: number, roundNs?: number }} options
 * @returns {number[]} median CPU ns per call of each function, in order
 */
function compareCpu(fns, { rounds, roundNs = 40e6 }) {
  const iterations = fns.map((fn) => calibrate(fn, roundNs));
  const samples = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const n = iterations[k];
      const t0 = cpuNs();
      for (let i = 0; i < n; i++) fn();
      samples[k].push((cpuNs() - t0) / n);
    });
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]);
}

module.exports = { compareCpu };
