// lib/args.ts: parsing runtime arguments against declarations.
import { Args, ArgSpec, ArgKind } from "atoll/args";

const specs: ArgSpec[] = [
  new ArgSpec("port", ArgKind.Int, "80", "port"),
  new ArgSpec("name", ArgKind.String, "x", "name"),
  new ArgSpec("verbose", ArgKind.Bool, "false", "chatty"),
];

export function test_defaults_apply_when_nothing_is_given(): void {
  const a = new Args(specs, []);
  assert(a.error == "", a.error);
  assert(a.int("port") == 80);
  assert(a.string("name") == "x");
  assert(!a.bool("verbose"));
}

export function test_values_override_defaults(): void {
  const a = new Args(specs, ["--port=-8080", "--name=a=b", "--verbose"]);
  assert(a.error == "", a.error);
  assert(a.int("port") == -8080);
  assert(a.string("name") == "a=b");
  assert(a.bool("verbose"));
}

export function test_errors_name_the_argument(): void {
  assert(new Args(specs, ["--prot=1"]).error.includes("unknown runtime argument --prot"));
  assert(new Args(specs, ["--port=eighty"]).error.includes("--port takes an integer, not 'eighty'"));
  assert(new Args(specs, ["--port"]).error.includes("--port needs a value"));
  assert(new Args(specs, ["--verbose=yes"]).error.includes("--verbose takes true or false"));
  assert(new Args(specs, ["port=1"]).error.includes("does not start with --"));
  assert(new Args(specs, ["--port=99999999999999999999"]).error.includes("takes an integer"));
}
