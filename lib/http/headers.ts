// Header fields: names compare case-insensitively (RFC 9110 section 5.1),
// order is kept, and a name may repeat. Comparisons fold ASCII case in
// place: a request's fields are looked up several times, and allocating a
// lower-case copy per look-up was most of a small request's cost.

/** True when `a` and `b` are equal but for ASCII case (field names and tokens are ASCII). */
export function equalsIgnoreCase(a: string, b: string): bool {
  const n = a.length;
  if (n != b.length) return false;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x == y) continue;
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x != y) return false;
  }
  return true;
}

/** One field line: the name as sent and the value without surrounding whitespace. */
export class Header {
  constructor(readonly name: string, public value: string) {}

  /** True when the field is named `name`, in any case. */
  is(name: string): bool { return equalsIgnoreCase(this.name, name); }
}

/** An ordered list of header fields. */
export class Headers {
  readonly list: Header[] = [];

  /** How many field lines there are. */
  get length(): i32 { return this.list.length; }

  /** The value of the first field named `name` (any case), or null. */
  get(name: string): string | null {
    for (let i = 0; i < this.list.length; i++) if (this.list[i].is(name)) return this.list[i].value;
    return null;
  }

  /** How many fields are named `name`. */
  count(name: string): i32 {
    let n = 0;
    for (let i = 0; i < this.list.length; i++) if (this.list[i].is(name)) n++;
    return n;
  }

  /** True when some field is named `name`. */
  has(name: string): bool {
    for (let i = 0; i < this.list.length; i++) if (this.list[i].is(name)) return true;
    return false;
  }

  /** Appends a field, keeping any of the same name. */
  add(name: string, value: string): Headers {
    this.list.push(new Header(name, value));
    return this;
  }

  /** Replaces every field named `name` with one field. */
  set(name: string, value: string): Headers {
    this.remove(name);
    return this.add(name, value);
  }

  /** Drops every field named `name`. */
  remove(name: string): void {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i].is(name)) this.list.splice(i, 1);
  }

  /** True when a comma-separated list field (Connection, Transfer-Encoding...) holds `token`, in any case, in any of its lines (RFC 9110 section 5.6.1). */
  hasToken(name: string, token: string): bool {
    for (let i = 0; i < this.list.length; i++) {
      if (!this.list[i].is(name)) continue;
      const items = this.list[i].value.split(",");
      for (let j = 0; j < items.length; j++) if (equalsIgnoreCase(items[j].trim(), token)) return true;
    }
    return false;
  }
}
