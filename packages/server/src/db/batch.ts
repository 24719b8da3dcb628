/**
 * Coalesces the lookups that requests make in one turn of the event loop into one query
 * (the DataLoader pattern). Every round trip to the database costs a socket write and a wake-up
 * on both sides; under concurrency, one `WHERE id = ANY(…)` serves many requests for the price
 * of one. The batch is sent on `setImmediate`, after the requests parsed in the same poll phase
 * have queued their keys; a lone request waits for nothing but that turn.
 */
export class BatchLoader<K, V> {
  readonly #load: (keys: K[]) => Promise<V[]>
  readonly #maxBatch: number
  #queue: { key: K; resolve: (value: V) => void; reject: (error: unknown) => void }[] = []
  #scheduled = false

  /** `load` answers one value per key, in the keys' order. */
  constructor(load: (keys: K[]) => Promise<V[]>, options: { maxBatch?: number } = {}) {
    this.#load = load
    this.#maxBatch = options.maxBatch ?? 256
  }

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.#queue.push({ key, resolve, reject })
      if (this.#queue.length >= this.#maxBatch) {
        this.#flush()
      } else if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.#flush())
      }
    })
  }

  #flush(): void {
    this.#scheduled = false
    const batch = this.#queue
    if (batch.length === 0) return
    this.#queue = []
    this.#load(batch.map((item) => item.key)).then(
      (values) => {
        if (values.length !== batch.length) {
          const error = new Error(
            `batch loader answered ${values.length} values for ${batch.length} keys`,
          )
          for (const item of batch) item.reject(error)
          return
        }
        batch.forEach((item, i) => item.resolve(values[i] as V))
      },
      (error: unknown) => {
        for (const item of batch) item.reject(error)
      },
    )
  }
}
