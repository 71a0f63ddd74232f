// The little of Node's API the unit tests use (the project has no @types/node).
declare const process: { env: Record<string, string | undefined>; exitCode?: number };
declare module "node:fs" {
  export function readFileSync(path: string): Uint8Array;
  export function readFileSync(path: string, encoding: "utf8"): string;
}
