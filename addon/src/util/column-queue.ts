/**
 * For indexes kept as parallel typed arrays ("columns") whose live entries are the slots
 * `head..tail-1`: entries are added at the tail and dropped from the head, so the space before
 * `head` is free again once the live entries slide back to the front.
 */

export type Column = Float64Array | Uint32Array;

/**
 * The live entries of every column moved to slot 0, in arrays grown to twice the size only when
 * more than half of them is in use: a queue that drops about as fast as it adds slides in place
 * instead of growing without end. Returns the columns in the order given, the same arrays where
 * they did not grow; afterwards the live entries are the slots `0..tail-head-1`.
 */
export function slideToFront<Columns extends readonly Column[]>(columns: Columns, head: number, tail: number): Columns {
  const size = columns[0]?.length ?? 0;
  const capacity = (tail - head) * 2 > size ? size * 2 : size;
  return columns.map((column) => {
    if (capacity === column.length) {
      column.copyWithin(0, head, tail);
      return column;
    }
    const grown = new (column.constructor as new (length: number) => Column)(capacity);
    grown.set(column.subarray(head, tail));
    return grown;
  }) as unknown as Columns;
}
