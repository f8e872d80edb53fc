'use strict';

/**
 * Command lines of the benchmark scripts: `--help` (or `-h`) prints the
 * script's usage and exits 0; a mistake (an unknown option, a missing or bad
 * value) prints one line saying what is wrong, then the usage, and exits 2,
 * without a stack trace. Nothing is measured in either case.
 */

/** A mistake on the command line (not a failure of the benchmark). */
class UsageError extends Error {}

/**
 * Parses `--name value` and `--flag` options.
 *
 * @param {string[]} argv
 * @param {{ flags?: string[], values?: string[], positional?: number }} spec
 *   `positional`: how many leading bare arguments are allowed
 * @returns {{ options: Record<string, string | true>, positional: string[] }}
 */
function parseOptions(argv, spec) {
  const flags = spec.flags || [];
  const values = spec.values || [];
  /** @type {Record<string, string | true>} */
  const options = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      if (Object.keys(options).length > 0 || positional.length >= (spec.positional || 0)) {
        throw new UsageError(`unexpected argument ${a}`);
      }
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (flags.includes(name)) options[name] = true;
    else if (!values.includes(name)) throw new UsageError(`unknown option ${a}`);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) options[name] = argv[++i];
    else throw new UsageError(`${a} needs a value`);
  }
  return { options, positional };
}

/**
 * A number from the command line: a finite number, and an integer >= `min`
 * when asked.
 *
 * @param {string} what e.g. "--rounds"
 * @param {string | number} raw
 * @param {{ integer?: boolean, min?: number }} [rules]
 * @returns {number}
 */
function numberArg(what, raw, rules = {}) {
  const n = Number(raw);
  const min = rules.min ?? -Infinity;
  if (String(raw).trim() === '' || !Number.isFinite(n) || (rules.integer && !Number.isInteger(n)) || n < min) {
    throw new UsageError(`${what} must be ${rules.integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}, not ${JSON.stringify(String(raw))}`);
  }
  return n;
}

/**
 * Runs `parse` on the command line: `--help` / `-h` prints `usage` and
 * exits 0, a UsageError prints what is wrong and the usage and exits 2.
 *
 * @template T
 * @param {string} usage
 * @param {(argv: string[]) => T} parse
 * @param {string[]} [argv]
 * @returns {T}
 */
function commandLine(usage, parse, argv = process.argv.slice(2)) {
  const text = usage.trim() + '\n';
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(text);
    process.exit(0);
  }
  try {
    return parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${text}`);
    process.exit(2);
  }
}

module.exports = { UsageError, parseOptions, numberArg, commandLine };
