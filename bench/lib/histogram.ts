/**
 * A fixed-size log-linear latency histogram (HdrHistogram's layout, 2 significant digits):
 * exact below 128 µs, then 128 linear sub-buckets per power of two, so any recorded value is
 * off by less than 0.8 %. Memory is bounded whatever the request count, and histograms from
 * several load workers merge by adding counts.
 */
const SUB_BUCKETS = 128
const SUB_BITS = 7
/** Values are clamped to 2^31 µs (about 36 minutes); no request in a bench lasts that long. */
const MAX_EXPONENT = 31
const BUCKETS = SUB_BUCKETS + (MAX_EXPONENT - SUB_BITS) * SUB_BUCKETS

export interface HistogramSnapshot {
  counts: number[]
  total: number
  sumMicros: number
  minMicros: number
  maxMicros: number
}

export interface LatencySummary {
  count: number
  meanMs: number
  minMs: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
}

function bucketIndex(micros: number): number {
  if (micros < SUB_BUCKETS) return micros
  const exponent = 31 - Math.clz32(micros)
  const shift = exponent - SUB_BITS
  return SUB_BUCKETS + shift * SUB_BUCKETS + ((micros >>> shift) - SUB_BUCKETS)
}

/** The highest value that lands in a bucket: percentiles err on the slow side. */
function bucketUpperMicros(index: number): number {
  if (index < SUB_BUCKETS) return index
  const shift = Math.floor((index - SUB_BUCKETS) / SUB_BUCKETS)
  const sub = ((index - SUB_BUCKETS) % SUB_BUCKETS) + SUB_BUCKETS
  return (sub + 1) * 2 ** shift - 1
}

export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKETS)
  #total = 0
  #sumMicros = 0
  #minMicros = Number.POSITIVE_INFINITY
  #maxMicros = 0

  get count(): number {
    return this.#total
  }

  /** Records one latency in milliseconds (fractions kept to the microsecond). */
  recordMs(ms: number): void {
    const micros = Math.min(Math.max(Math.round(ms * 1000), 0), 2 ** MAX_EXPONENT - 1)
    this.#counts[bucketIndex(micros)]! += 1
    this.#total += 1
    this.#sumMicros += micros
    if (micros < this.#minMicros) this.#minMicros = micros
    if (micros > this.#maxMicros) this.#maxMicros = micros
  }

  /** The latency (ms) at or below which `percent` % of the recorded requests completed. */
  percentileMs(percent: number): number {
    if (this.#total === 0) return 0
    const rank = Math.max(1, Math.ceil((percent / 100) * this.#total))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!
      if (seen >= rank) return Math.min(bucketUpperMicros(i), this.#maxMicros) / 1000
    }
    return this.#maxMicros / 1000
  }

  merge(other: HistogramSnapshot): void {
    for (let i = 0; i < BUCKETS; i++) this.#counts[i]! += other.counts[i] ?? 0
    this.#total += other.total
    this.#sumMicros += other.sumMicros
    if (other.total > 0) {
      this.#minMicros = Math.min(this.#minMicros, other.minMicros)
      this.#maxMicros = Math.max(this.#maxMicros, other.maxMicros)
    }
  }

  /** A structured-clone-friendly copy (for worker threads). */
  snapshot(): HistogramSnapshot {
    return {
      counts: Array.from(this.#counts),
      total: this.#total,
      sumMicros: this.#sumMicros,
      minMicros: this.#total === 0 ? 0 : this.#minMicros,
      maxMicros: this.#maxMicros,
    }
  }

  summary(): LatencySummary {
    const round = (ms: number) => Math.round(ms * 1000) / 1000
    return {
      count: this.#total,
      meanMs: this.#total === 0 ? 0 : round(this.#sumMicros / this.#total / 1000),
      minMs: this.#total === 0 ? 0 : round(this.#minMicros / 1000),
      p50Ms: round(this.percentileMs(50)),
      p90Ms: round(this.percentileMs(90)),
      p99Ms: round(this.percentileMs(99)),
      p999Ms: round(this.percentileMs(99.9)),
      maxMs: round(this.#maxMicros / 1000),
    }
  }
}
