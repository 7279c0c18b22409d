// KerberosTime <-> milliseconds since the epoch without Date objects.
// RFC 4120 §5.2.3: KerberosTime is GeneralizedTime restricted to "YYYYMMDDHHMMSSZ" (UTC, whole
// seconds, no fraction). Date.UTC maps two-digit years (0..99) into the 1900s, so the civil
// calendar is computed directly (proleptic Gregorian, days counted in 400-year eras of 146097
// days, with the year taken to start on 1 March so the leap day falls at the end of it).

const DAYS_PER_ERA = 146097;
/** Days from 0000-03-01 to 1970-01-01. */
const EPOCH_SHIFT = 719468;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = month > 2 ? month - 3 : month + 9; // March = 0 ... February = 11
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * DAYS_PER_ERA + dayOfEra - EPOCH_SHIFT;
}

/** Inverse of daysFromCivil: [year, month 1..12, day 1..31]. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + EPOCH_SHIFT;
  const era = Math.floor(z / DAYS_PER_ERA);
  const dayOfEra = z - era * DAYS_PER_ERA;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Smallest and largest KerberosTime representable in four year digits (0000-01-01 .. 9999-12-31T23:59:59Z). */
export const MIN_KERBEROS_TIME = daysFromCivil(0, 1, 1) * 86400000;
export const MAX_KERBEROS_TIME = daysFromCivil(9999, 12, 31) * 86400000 + 86399000;
