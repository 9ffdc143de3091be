// Ranking for sort=best: the lower bound of the 95 % Wilson score interval of up/(up+down).
// It rewards many votes over few (3 of 3 ranks below 90 of 100) and is what readers expect "best" to mean.

const Z = 1.96;

/** 0 for no votes; otherwise in (0, 1). Deterministic, so a cursor can carry it and compare equal later. */
export function wilsonLowerBound(up: number, down: number): number {
  const n = up + down;
  if (n <= 0) return 0;
  const p = up / n;
  const z2 = Z * Z;
  return (p + z2 / (2 * n) - Z * Math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)) / (1 + z2 / n);
}
