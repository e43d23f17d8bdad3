// Encrypted metrics: CKKS-encrypt here, upload, let the server add what it cannot read,
// decrypt the sums here. A ciphertext may pack several values (sums are slot-wise).
import { b64decode, b64encode } from './bytes.js'
import { CkksFormat, CkksKeys } from './ckks.js'
import { JsonObject, KeyMismatchError } from './errors.js'
import { ApiSession } from './http.js'

export const METRICS_PER_REQUEST = 500
/** The server takes at most 64 MiB on the metrics endpoint; stay well under it. */
export const UPLOAD_BODY_BUDGET = 48 * 1024 * 1024

export interface MetricPoint {
  metricType: string
  values: number[]
  timestamp: Date | string
  logId?: string // the entry it describes: a later upload for it replaces it
}

export interface AggregateQuery {
  operation?: 'sum' | 'average' | 'count'
  bucket?: 'day' | 'week' | 'month'
  start?: Date | string
  end?: Date | string
  timezone?: string
  /** How many packed values to decrypt from raw SEAL results (TenSEAL results carry it). */
  size?: number
}

export interface Bucket {
  start: string
  end: string
  count: number
  values: number[]
}

export interface Aggregate {
  metricType: string
  operation: string
  count: number
  keyId: string | null
  values: number[] | null
  buckets: Bucket[]
}

export class Insights {
  private format: CkksFormat | null = null

  constructor(
    private readonly api: ApiSession,
    private readonly keys: CkksKeys
  ) {}

  /**
   * The current key epoch's format, found by matching the server's key id against this
   * key's ids in both formats: a ciphertext in the other format would be refused.
   */
  async epochFormat(): Promise<CkksFormat> {
    if (this.format) return this.format
    const privacy = await this.api.call('GET', '/api/users/me/privacy')
    const format = await this.keys.formatOf(privacy.analytics_key_id)
    if (!format) throw new KeyMismatchError('the server holds another analytics key than this key file')
    this.format = format
    return format
  }

  /** Encrypt and upload, split under the server's count and size limits; returns how many were sent. */
  async upload(points: MetricPoint[]): Promise<number> {
    const format = await this.epochFormat()
    const keyId = (await this.keys.keyIds())[format]
    const items = points.map((point) => ({
      metric_type: point.metricType,
      encrypted_value: b64encode(this.keys.encrypt(point.values, format)),
      timestamp: point.timestamp instanceof Date ? point.timestamp.toISOString() : point.timestamp,
      key_id: keyId,
      ...(point.logId ? { log_id: point.logId } : {})
    }))
    let sent = 0
    for (const batch of uploadBatches(items)) {
      // Not repeated after a lost answer: an upload without log_id would count twice.
      await this.api.call('POST', '/api/encryption/metrics', { json: { metrics: batch } })
      sent += batch.length
    }
    return sent
  }

  async aggregate(metricType: string, query: AggregateQuery = {}): Promise<Aggregate> {
    const body: JsonObject = { metric_type: metricType, operation: query.operation ?? 'sum' }
    if (query.start || query.end) {
      body.time_range = {
        ...(query.start ? { start: iso(query.start) } : {}),
        ...(query.end ? { end: iso(query.end) } : {})
      }
    }
    if (query.bucket) body.bucket = query.bucket
    if (query.timezone) body.timezone = query.timezone
    const result = await this.api.call('POST', '/api/encryption/aggregate', { json: body, idempotent: true })
    return this.decryptResult(result, query.size ?? 1)
  }

  private async decryptResult(result: JsonObject, size: number): Promise<Aggregate> {
    if (result.key_id && !(await this.keys.formatOf(result.key_id))) {
      throw new KeyMismatchError(`the result is under key ${result.key_id}, this client holds another`)
    }
    const open = (encoded: string) => this.keys.decrypt(b64decode(encoded), size)
    return {
      metricType: result.metric_type,
      operation: result.operation,
      count: result.count ?? 0,
      keyId: result.key_id ?? null,
      values: result.encrypted_result ? open(result.encrypted_result) : null,
      buckets: (result.buckets ?? []).map((item: JsonObject) => ({
        start: item.start,
        end: item.end,
        count: item.count,
        values: open(item.encrypted_result)
      }))
    }
  }
}

export function* uploadBatches<T extends { encrypted_value: string }>(items: T[]): Generator<T[]> {
  let batch: T[] = []
  let size = 0
  for (const item of items) {
    const itemSize = item.encrypted_value.length + 200
    if (batch.length && (batch.length === METRICS_PER_REQUEST || size + itemSize > UPLOAD_BODY_BUDGET)) {
      yield batch
      batch = []
      size = 0
    }
    batch.push(item)
    size += itemSize
  }
  if (batch.length) yield batch
}

function iso(moment: Date | string): string {
  return moment instanceof Date ? moment.toISOString() : moment
}
