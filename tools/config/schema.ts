// The shape of a valid configuration, as data: validate.ts walks it. Adding
// a field or a device kind is a row here, not a new branch of code.

/** The type of one field. */
export type FieldType =
  | { t: "string"; pattern?: RegExp; hint?: string }
  | { t: "number"; integer?: boolean; min?: number }
  | { t: "boolean" }
  | { t: "size"; min?: number }
  | { t: "array"; of: FieldType }
  | { t: "record"; of: FieldType }
  | { t: "object"; fields: Record<string, Field> }
  | { t: "union"; tag: string; variants: Record<string, Record<string, Field>> };

/** A field and whether it must be present. */
export interface Field {
  type: FieldType;
  required: boolean;
}

const req = (type: FieldType): Field => ({ type, required: true });
const opt = (type: FieldType): Field => ({ type, required: false });
const str: FieldType = { t: "string" };
const deviceName: FieldType = { t: "string", pattern: /^[a-z][a-z0-9_-]*$/, hint: "lower-case letters, digits, '-' and '_', starting with a letter" };

/**
 * An application's name: it names the folder `atoll new` makes and the
 * artefacts (dist/NAME, dist/NAME.kvm, dist/NAME.firecracker.json ...), so
 * it is a plain file name, well inside a file system's 255 bytes.
 */
export const APP_NAME = {
  maxLength: 64,
  pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
  hint: "1 to 64 letters, digits, '-' and '_', starting with a letter or digit",
} as const;

/** The device kinds and their fields. */
export const deviceSchema: FieldType = {
  t: "union",
  tag: "kind",
  variants: {
    console: {},
    clock: {},
    timers: {},
    args: {},
    block: { name: req(deviceName), size: opt({ t: "size" }), readOnly: opt({ t: "boolean" }) },
    net: { name: req(deviceName) },
    stack: {
      name: req(deviceName),
      maxConnections: opt({ t: "number", integer: true, min: 1 }),
      maxTimeWait: opt({ t: "number", integer: true, min: 0 }),
      bufferMemory: opt({ t: "size" }),
      connectionBuffer: opt({ t: "size" }),
    },
    kvRo: { name: req(deviceName), dir: req({ t: "string", pattern: /\S/, hint: "a folder relative to config.ts" }) },
  },
};

/** A runtime argument declaration. */
export const argSchema: FieldType = {
  t: "union",
  tag: "type",
  variants: {
    string: { default: req(str), doc: req(str) },
    int: { default: req({ t: "number", integer: true }), doc: req(str) },
    bool: { default: req({ t: "boolean" }), doc: req(str) },
  },
};

/** The whole unikernel description. */
export const unikernelSchema: FieldType = {
  t: "object",
  fields: {
    name: req({ t: "string", pattern: APP_NAME.pattern, hint: APP_NAME.hint }),
    main: req({ t: "string", pattern: /\.ts$/, hint: "an AssemblyScript file ending in .ts" }),
    devices: req({ t: "array", of: deviceSchema }),
    args: opt({ t: "record", of: argSchema }),
    memory: opt({ t: "size", min: 65536 }), // at least one wasm page: it also bounds linear memory
  },
};
