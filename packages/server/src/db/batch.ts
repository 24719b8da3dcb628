/**
 * Coalesces the lookups and writes that requests make at the same moment into one query (the
 * DataLoader pattern). Every round trip to the database costs a socket write and a wake-up on
 * both sides, and every statement a parse, a plan and (for writes) a commit; under concurrency one
 * `WHERE id = ANY(…)` or one multi-row insert serves many requests for the price of one.
 *
 * A batch is sent on `setImmediate`, after the requests parsed in the same poll phase have queued
 * their keys, so a lone request waits for nothing but that turn. With `maxInFlight`, keys that
 * arrive while that many batches are running wait for one of them to finish and then go together:
 * under load, batches grow instead of statements piling up.
 */
export class BatchLoader<K, V> {
  readonly #load: (keys: K[]) => Promise<V[]>
  readonly #maxBatch: number
  readonly #maxInFlight: number
  #queue: { key: K; resolve: (value: V) => void; reject: (error: unknown) => void }[] = []
  #scheduled = false
  #inFlight = 0

  /** `load` answers one value per key, in the keys' order. */
  constructor(load: (keys: K[]) => Promise<V[]>, options: { maxBatch?: number; maxInFlight?: number } = {}) {
    this.#load = load
    this.#maxBatch = options.maxBatch ?? 256
    this.#maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY
  }

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.#queue.push({ key, resolve, reject })
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#scheduled || this.#queue.length === 0 || this.#inFlight >= this.#maxInFlight) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#flush()
    })
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      const batch = this.#queue.splice(0, this.#maxBatch)
      this.#inFlight += 1
      void this.#run(batch).finally(() => {
        this.#inFlight -= 1
        this.#schedule()
      })
    }
  }

  async #run(batch: { key: K; resolve: (value: V) => void; reject: (error: unknown) => void }[]): Promise<void> {
    let values: V[]
    try {
      values = await this.#load(batch.map((item) => item.key))
    } catch (error) {
      for (const item of batch) item.reject(error)
      return
    }
    if (values.length !== batch.length) {
      const error = new Error(`batch loader answered ${values.length} values for ${batch.length} keys`)
      for (const item of batch) item.reject(error)
      return
    }
    batch.forEach((item, i) => item.resolve(values[i] as V))
  }
}
