// Header fields: names compare case-insensitively (RFC 9110 section 5.1),
// order is kept, and a name may repeat.

/** ASCII lower case: field names and tokens are ASCII, so no Unicode folding. */
export function asciiLower(s: string): string {
  let upper = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) { upper = true; break; }
  }
  if (!upper) return s;
  const out = new Array<string>(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return out.join("");
}

/** One field line: the name as sent, its lower-case form, the value without surrounding whitespace. */
export class Header {
  readonly lower: string;
  constructor(readonly name: string, public value: string) {
    this.lower = asciiLower(name);
  }
}

/** An ordered list of header fields. */
export class Headers {
  readonly list: Header[] = [];

  /** How many field lines there are. */
  get length(): i32 { return this.list.length; }

  /** The value of the first field named `name` (any case), or null. */
  get(name: string): string | null {
    const l = asciiLower(name);
    for (let i = 0; i < this.list.length; i++) if (this.list[i].lower == l) return this.list[i].value;
    return null;
  }

  /** How many fields are named `name`. */
  count(name: string): i32 {
    const l = asciiLower(name);
    let n = 0;
    for (let i = 0; i < this.list.length; i++) if (this.list[i].lower == l) n++;
    return n;
  }

  /** True when some field is named `name`. */
  has(name: string): bool { return this.count(name) > 0; }

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
    const l = asciiLower(name);
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i].lower == l) this.list.splice(i, 1);
  }

  /** True when a comma-separated list field (Connection, Transfer-Encoding...) holds `token`, in any case, in any of its lines (RFC 9110 section 5.6.1). */
  hasToken(name: string, token: string): bool {
    const l = asciiLower(name);
    const t = asciiLower(token);
    for (let i = 0; i < this.list.length; i++) {
      if (this.list[i].lower != l) continue;
      const items = this.list[i].value.split(",");
      for (let j = 0; j < items.length; j++) if (asciiLower(items[j].trim()) == t) return true;
    }
    return false;
  }
}
