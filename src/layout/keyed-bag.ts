/**
 * A multiset of items filed under a hash key, from which items equal to a query are taken one at a time: the
 * key narrows the search, an exact comparison decides (keys may collide). Used to pair identical shapes or
 * rings of two sides; what is left in the bag after all queries had no partner.
 */
export class KeyedBag<T> {
  private readonly byKey = new Map<number, T[]>()

  add(key: number, item: T): void {
    const list = this.byKey.get(key)
    if (list) list.push(item)
    else this.byKey.set(key, [item])
  }

  /** Removes and returns the first item under `key` that `same` accepts, or undefined. */
  take(key: number, same: (item: T) => boolean): T | undefined {
    const list = this.byKey.get(key)
    if (!list) return undefined
    for (let j = 0; j < list.length; j++) {
      const item = list[j]!
      if (same(item)) {
        list.splice(j, 1)
        return item
      }
    }
    return undefined
  }

  /** The items not taken. */
  *rest(): IterableIterator<T> {
    for (const list of this.byKey.values()) yield* list
  }
}
