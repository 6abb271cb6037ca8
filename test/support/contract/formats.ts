/**
 * The `format`s OpenAPI uses, registered on every ajv instance.
 *
 * - `format: date-time`. Real Pinterest responses carry date-times without a UTC offset (`2020-01-01T20:10:40`)
 *   where the spec says date-time. The format accepts exactly RFC 3339 `full-date "T" partial-time` with the
 *   offset optional, and still checks calendar/clock ranges, so `yesterday` or `2020-02-30T00:00:00` fail.
 * - Other formats: ajv-formats (full mode) supplies date, uri, email, password, binary... int32 is range
 *   checked; int64 is range checked against ±2^63 (ajv-formats only checks "is an integer"); float is checked
 *   against the float32 range; byte is strict single-line base64 (ajv-formats' multiline regex accepts
 *   garbage followed by a base64 line). Formats nobody defines are hints in OpenAPI and are dropped (by
 *   convert.ts, which is given the registered names), so an unknown format can never throw.
 */
import type Ajv from 'ajv';
import addFormats from 'ajv-formats';

const MAX_FLOAT32 = 3.4028234663852886e38;
const RFC3339_LOCAL_OR_OFFSET = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** RFC 3339 date-time whose time-offset may be omitted (Pinterest sends local/UTC times without one). */
export function isDateTimeWithOptionalOffset(value: string): boolean {
  const m = RFC3339_LOCAL_OR_OFFSET.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  const offset = m[8];
  if (offset && offset.length > 1) {
    const [oh, om] = offset.slice(1).split(':').map(Number) as [number, number];
    if (oh > 23 || om > 59) return false;
  }
  // A leap second only exists at 23:59:60 UTC; without an offset the time is taken as UTC.
  if (second === 60) {
    const sign = offset?.startsWith('-') ? -1 : 1;
    const [oh, om] = offset && offset.length > 1 ? (offset.slice(1).split(':').map(Number) as [number, number]) : [0, 0];
    const utcMinutes = (((hour * 60 + minute - sign * (oh * 60 + om)) % 1440) + 1440) % 1440;
    if (utcMinutes !== 23 * 60 + 59) return false;
  }
  return true;
}

export function configureFormats(ajv: Ajv): void {
  addFormats(ajv, { mode: 'full', keywords: false });
  ajv.addFormat('date-time', { type: 'string', validate: isDateTimeWithOptionalOffset });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n <= 2 ** 31 - 1 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 63 });
  ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) && Math.abs(n) <= MAX_FLOAT32 });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('byte', { type: 'string', validate: (s: string) => BASE64.test(s) });
}
