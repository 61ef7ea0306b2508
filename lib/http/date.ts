// The Date header's IMF-fixdate (RFC 9110 section 5.6.7), e.g.
// "Sun, 06 Nov 1994 08:49:37 GMT", from nanoseconds since the Unix epoch.

const DAYS: string[] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]; // 1970-01-01 was a Thursday
const MONTHS: string[] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function two(n: i64): string { return n < 10 ? "0" + n.toString() : n.toString(); }

/** IMF-fixdate of `ns` nanoseconds since 1970-01-01T00:00:00Z (UTC, no leap seconds). */
export function imfFixdate(ns: i64): string {
  let secs = ns / 1_000_000_000;
  if (ns < 0 && secs * 1_000_000_000 != ns) secs--;
  let days = secs / 86400;
  let rem = secs - days * 86400;
  if (rem < 0) { rem += 86400; days--; }
  const weekday = <i32>(((days % 7) + 7) % 7);
  // Count from 0000-03-01 so that February, with its leap day, ends each
  // year; a 400-year era has a fixed 146097 days.
  const z = days + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = z - era * 146097;                                  // day of era, 0..146096
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; // year of era, 0..399
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // day of the March-based year
  const mp = (5 * doy + 2) / 153;                                // March = 0
  const day = doy - (153 * mp + 2) / 5 + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;                       // 1..12
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hh = rem / 3600, mm = (rem / 60) % 60, ss = rem % 60;
  return DAYS[weekday] + ", " + two(day) + " " + MONTHS[<i32>month - 1] + " " + year.toString() + " " + two(hh) + ":" + two(mm) + ":" + two(ss) + " GMT";
}

/** The Date header's value, formatted at most once a second. */
export class DateCache {
  private second: i64 = i64.MIN_VALUE;
  private value: string = "";
  /** `wall` gives nanoseconds since the epoch (the wall clock; a fixed function in tests). */
  constructor(private wall: () => i64) {}

  /** The current IMF-fixdate. */
  now(): string {
    const ns = this.wall();
    const s = ns / 1_000_000_000;
    if (s != this.second) {
      this.second = s;
      this.value = imfFixdate(ns);
    }
    return this.value;
  }
}
