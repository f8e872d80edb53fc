'use strict';

/**
 * The package's environment variables, read once when it loads, in one
 * place. A value that cannot be read is not ignored in silence: the package
 * warns once per variable (code SOCKET_IO_NATIVE_INVALID_ENV) and keeps the
 * default, so a typo is seen rather than taken for a measurement.
 *
 *  - SOCKET_IO_NATIVE_DISABLE: a flag; true uses socket.io's own adapter and
 *    parser (default false).
 *  - SOCKET_IO_NATIVE_FANOUT: a flag; false keeps the native rooms but writes
 *    every broadcast through socket.io (default true).
 *  - SOCKET_IO_NATIVE_FLUSH_BUDGET: an integer >= 0, connections the native
 *    fan-out flushes per event-loop iteration (0: all at once).
 *  - SOCKET_IO_NATIVE_REGISTRATION_BUDGET: an integer >= 0, connections the
 *    native fan-out registers per JS turn (0: no limit).
 *  - SOCKET_IO_NATIVE_FD_RESERVE: descriptors the fan-out's registrations
 *    leave free, a count ("256") or a share of the soft open-files limit
 *    ("10%"); default 10%, at least 64.
 *
 * Flags take the usual spellings, in any case and with surrounding blanks:
 * 1/true/yes/on and 0/false/no/off. An empty value counts as unset.
 */

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** Variables already warned about in this process. */
const warned = new Set();

/**
 * Warns once per variable that its value is not used.
 *
 * @param {string} name
 * @param {string} raw
 * @param {string} expected
 * @param {unknown} fallback
 */
function warnInvalid(name, raw, expected, fallback) {
  if (warned.has(name)) return;
  warned.add(name);
  process.emitWarning(
    `socket.io-native: ${name}=${JSON.stringify(raw)} is not ${expected}; using the default (${fallback})`,
    { code: 'SOCKET_IO_NATIVE_INVALID_ENV' }
  );
}

/**
 * A boolean variable.
 *
 * @param {string} name
 * @param {boolean} fallback when unset, empty or unreadable
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ value: boolean, raw: string | undefined }}
 */
function envFlag(name, fallback, env = process.env) {
  const raw = env[name];
  if (raw === undefined) return { value: fallback, raw };
  const text = raw.trim().toLowerCase();
  if (text === '') return { value: fallback, raw };
  if (TRUE.has(text)) return { value: true, raw };
  if (FALSE.has(text)) return { value: false, raw };
  warnInvalid(name, raw, 'one of 1, true, yes, on, 0, false, no, off', fallback);
  return { value: fallback, raw };
}

/**
 * A non-negative integer variable (at most 2^32 - 1).
 *
 * @param {string} name
 * @param {number} fallback when unset, empty or unreadable
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {number}
 */
function envCount(name, fallback, env = process.env) {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const text = raw.trim();
  const value = Number(text);
  if (/^[0-9]+$/.test(text) && value <= 0xffffffff) return value;
  warnInvalid(name, raw, 'an integer from 0 to 4294967295', fallback);
  return fallback;
}

/**
 * Parses SOCKET_IO_NATIVE_FD_RESERVE: a count of descriptors ("256") or a
 * share of the soft open-files limit ("10%", "2.5%"), strictly. undefined:
 * unset or empty (the default: 10% of the soft limit, at least 64); null:
 * not a valid setting.
 *
 * @param {string | undefined} text
 * @returns {number | { share: number } | undefined | null} count, or share in hundredths of a percent
 */
function parseDescriptorReserve(text) {
  if (text === undefined || text === '') return undefined;
  if (/^[0-9]{1,9}$/.test(text)) return Number(text);
  const match = /^([0-9]{1,3}(?:\.[0-9]{1,2})?)%$/.exec(text);
  if (match !== null && Number(match[1]) <= 100) return { share: Math.round(Number(match[1]) * 100) };
  return null;
}

/**
 * The descriptor reserve the environment asks for: a count, a share, or null
 * for the default (also when the value cannot be read, which warns once).
 *
 * @param {string} name
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {number | { share: number } | null}
 */
function envReserve(name, env = process.env) {
  const raw = env[name];
  const setting = parseDescriptorReserve(raw === undefined ? undefined : raw.trim());
  if (setting === null) {
    warnInvalid(name, String(raw), 'a number of descriptors ("256") or a share of the open-files limit ("10%")',
      '10%, at least 64');
  }
  return setting === undefined || setting === null ? null : setting;
}

/**
 * Connections the per-iteration flush writes at most before it lets the
 * event loop run again (the rest follow in the next iterations, in order).
 * One loopback write costs 5-7 us of CPU here, so a share is a few
 * milliseconds; measured at 10,000 clients, the longest event-loop blocking
 * fell from 150-260 ms (everything at once) to 16-24 ms (bench/RESULTS.md).
 * SOCKET_IO_NATIVE_FLUSH_BUDGET overrides it (0: everything at once).
 */
const DEFAULT_FLUSH_BUDGET = 1000;

/**
 * Connections registered with the native fan-out at most per JS turn. Registering
 * costs a dup() and a few listeners, about 6 us here: done for every
 * connection at the first broadcast it blocked the loop for about 60 ms at
 * 10,000 connections. Past the budget a recipient takes socket.io's own path
 * for the rest of the turn, which is what stock does for every recipient, and
 * is registered in a later turn. SOCKET_IO_NATIVE_REGISTRATION_BUDGET
 * overrides it (0: no limit).
 */
const DEFAULT_REGISTRATION_BUDGET = 1000;

const disable = envFlag('SOCKET_IO_NATIVE_DISABLE', false);
const fanout = envFlag('SOCKET_IO_NATIVE_FANOUT', true);

/** What the environment asks for, read when the package loaded. */
const settings = {
  /** SOCKET_IO_NATIVE_DISABLE, and its text as given (for messages). */
  disable: disable.value,
  disableRaw: disable.raw,
  /** SOCKET_IO_NATIVE_FANOUT. */
  fanout: fanout.value,
  /** SOCKET_IO_NATIVE_FLUSH_BUDGET. */
  flushBudget: envCount('SOCKET_IO_NATIVE_FLUSH_BUDGET', DEFAULT_FLUSH_BUDGET),
  /** SOCKET_IO_NATIVE_REGISTRATION_BUDGET. */
  registrationBudget: envCount('SOCKET_IO_NATIVE_REGISTRATION_BUDGET', DEFAULT_REGISTRATION_BUDGET),
  /** SOCKET_IO_NATIVE_FD_RESERVE: a count, a share, or null for the default. */
  fdReserve: envReserve('SOCKET_IO_NATIVE_FD_RESERVE'),
};

module.exports = {
  settings, envFlag, envCount, envReserve, parseDescriptorReserve, DEFAULT_FLUSH_BUDGET, DEFAULT_REGISTRATION_BUDGET,
};
