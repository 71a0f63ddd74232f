// A minimal test harness for node: `check(name, fn)` runs fn and reports; failures set the exit code.

export function check(name: string, fn: () => void): void {
  try {
    fn();
    console.log(`ok    ${name}`);
  } catch (err) {
    console.log(`FAIL  ${name}\n      ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  }
}

export function equal<T>(actual: T, expected: T, what = "value"): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export function close(actual: number, expected: number, tol: number, what = "value"): void {
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: expected ${expected} ± ${tol}, got ${actual}`);
}

export function throws(fn: () => void, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    if (pattern.test(String((err as Error).message))) return;
    throw new Error(`threw ${(err as Error).message}, expected ${pattern}`);
  }
  throw new Error(`did not throw ${pattern}`);
}
