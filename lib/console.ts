import { console_write } from "./abi";

/** A console: where an application's text output goes. */
export abstract class Console {
  /** Writes `text` as it is. */
  abstract write(text: string): void;

  /** Writes `text` followed by a newline. */
  log(text: string): void {
    this.write(text + "\n");
  }
}

/** The console of the platform ABI: stdout on unix and node, serial on kvm. */
export class AbiConsole extends Console {
  write(text: string): void {
    const bytes = String.UTF8.encode(text);
    console_write(changetype<usize>(bytes), <usize>bytes.byteLength);
  }
}
