/** Smallest value, or null for an empty list. */
export function min(values: readonly number[]): number | null {
  return values.length === 0 ? null : Math.min(...values);
}

/** Median (mean of the two middle values for an even count), or null for an empty list. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
