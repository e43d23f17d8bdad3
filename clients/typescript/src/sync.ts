// One device's replica of an account's journal: pushes with base_revision, the paged pull
// with an opaque cursor, conflicts decrypted and resolved, and the /sync/state check.
import { b64decode, b64encode, concat, sha256Hex, utf8 } from './bytes.js'
import { GCM_TAG_BYTES, aesOpen, aesSeal, entryContext } from './crypto.js'
import { JsonObject, ServerError } from './errors.js'
import { ApiSession } from './http.js'
import { KeyMaterial } from './keyfile.js'

export const PAGE_SIZE = 200
export const BATCH_MAX_ITEMS = 100

export interface Entry {
  id: string
  text: string | null // null: deleted (a tombstone)
  revision: number
  createdAt: string | null // claimed by the writing device; kept across edits
  updatedAt: string | null
  deviceId: string | null
}

export interface PushResult {
  id: string
  status: 'stored' | 'unchanged' | 'conflict' | 'rejected'
  revision: number | null
  conflictId?: string
  resurrected?: boolean
  error?: string
}

/** A sealed push body: keep it until the server answers, and resend exactly these bytes. */
export type SealedPush = JsonObject & { id: string; base_revision: number }

export interface ConflictVersion {
  text: string | null
  deviceId: string | null
  revision: number | null
  updatedAt: string | null
}

export interface Conflict {
  id: string
  entryId: string
  local: ConflictVersion // the refused push
  remote: ConflictVersion // what the server held
  detectedAt: string | null
}

export class Journal {
  readonly entries = new Map<string, Entry>()
  cursor: string | null = null
  /** Pushes sent but not yet answered, by entry id: `retryPending()` resends them unchanged. */
  readonly pending = new Map<string, SealedPush>()

  constructor(
    private readonly api: ApiSession,
    private readonly keys: KeyMaterial
  ) {}

  // --- writes ---------------------------------------------------------------------
  /** Seal an edit of the revision this replica last saw (0 for a new entry). */
  async seal(entryId: string, text: string, createdAt?: string): Promise<SealedPush> {
    const sealed = await aesSeal(this.keys.aesKey, utf8.encode(text), entryContext(entryId))
    const now = new Date().toISOString()
    return {
      id: entryId,
      encrypted_content: b64encode(sealed.ciphertext),
      content_iv: b64encode(sealed.iv),
      content_tag: b64encode(sealed.tag),
      created_at: createdAt ?? this.entries.get(entryId)?.createdAt ?? now,
      updated_at: now,
      device_id: this.keys.deviceId,
      base_revision: this.entries.get(entryId)?.revision ?? 0
    }
  }

  async write(entryId: string, text: string, createdAt?: string): Promise<PushResult> {
    return this.push(await this.seal(entryId, text, createdAt), text)
  }

  /**
   * Send one sealed body. If the answer is lost, sending the same body again is safe: the
   * server finds the same bytes and answers `unchanged` (no second revision, no conflict).
   */
  async push(body: SealedPush, text?: string): Promise<PushResult> {
    this.pending.set(body.id, body)
    let answer: JsonObject
    try {
      answer = await this.api.call('POST', '/api/sync/entries', { json: body, idempotent: true })
    } catch (error) {
      if (error instanceof ServerError && error.status === 409 && error.code === 'conflict') {
        this.pending.delete(body.id)
        return { id: body.id, status: 'conflict', revision: error.body.current_revision ?? null, conflictId: error.body.conflict_id }
      }
      throw error // still pending: retryPending() resends the same bytes
    }
    this.pending.delete(body.id)
    const result = pushResult(answer)
    if (result.revision !== null) this.remember(body.id, text ?? (await this.openPush(body)), result.revision, body)
    return result
  }

  /** Resend every push whose answer never came, byte for byte. */
  async retryPending(): Promise<PushResult[]> {
    const results: PushResult[] = []
    for (const body of [...this.pending.values()]) results.push(await this.push(body))
    return results
  }

  /** Many entries through /sync/batch, at most 100 per request (each batch is atomic). */
  async writeMany(texts: Record<string, string>): Promise<PushResult[]> {
    const results: PushResult[] = []
    const items = Object.entries(texts)
    for (let start = 0; start < items.length; start += BATCH_MAX_ITEMS) {
      const chunk = items.slice(start, start + BATCH_MAX_ITEMS)
      const bodies = await Promise.all(chunk.map(([id, text]) => this.seal(id, text)))
      const answer = await this.api.call('POST', '/api/sync/batch', { json: { items: bodies }, idempotent: true })
      answer.results.forEach((item: JsonObject, index: number) => {
        const result = pushResult(item)
        if ((result.status === 'stored' || result.status === 'unchanged') && result.revision !== null) {
          this.remember(chunk[index][0], chunk[index][1], result.revision, bodies[index])
        }
        results.push(result)
      })
    }
    return results
  }

  /** Tombstone an entry; deleting over an edit this replica has not seen is a conflict. */
  async delete(entryId: string): Promise<PushResult> {
    const known = this.entries.get(entryId)
    const query = { device_id: this.keys.deviceId, base_revision: known?.revision }
    try {
      const answer = await this.api.call('DELETE', `/api/sync/entries/${encodeURIComponent(entryId)}`, { query, idempotent: true })
      const result = pushResult(answer)
      if (result.revision !== null) this.remember(entryId, null, result.revision)
      return result
    } catch (error) {
      if (error instanceof ServerError && error.status === 409 && error.code === 'conflict') {
        return { id: entryId, status: 'conflict', revision: error.body.current_revision ?? null, conflictId: error.body.conflict_id }
      }
      throw error
    }
  }

  // --- reads ----------------------------------------------------------------------
  /** Every change after the cursor, page by page; a 410 means: start over from scratch. */
  async pull(): Promise<Entry[]> {
    try {
      return await this.pullPages()
    } catch (error) {
      if (!(error instanceof ServerError) || error.status !== 410) throw error
      this.entries.clear()
      this.cursor = null
      return this.pullPages()
    }
  }

  private async pullPages(): Promise<Entry[]> {
    const changed: Entry[] = []
    for (;;) {
      const page = await this.api.call('GET', '/api/sync/entries', {
        query: { limit: PAGE_SIZE, cursor: this.cursor ?? undefined }
      })
      for (const item of page.backups) changed.push(await this.apply(item))
      this.cursor = page.next_cursor ?? this.cursor
      if (!page.has_more) return changed
    }
  }

  private async apply(item: JsonObject): Promise<Entry> {
    const text = item.deleted ? null : await this.openVersion(item.id, item.encrypted_content, item.content_iv, item.content_tag)
    const entry: Entry = {
      id: item.id,
      text,
      revision: item.revision,
      createdAt: item.created_at ?? null,
      updatedAt: item.updated_at ?? null,
      deviceId: item.device_id ?? null
    }
    this.entries.set(entry.id, entry)
    return entry
  }

  live(): Entry[] {
    return [...this.entries.values()].filter((entry) => entry.text !== null).sort((a, b) => compareBytes(a.id, b.id))
  }

  /** sha256 over the sorted lines "<id>:<revision>\n" of live entries, as /sync/state computes it. */
  digest(): Promise<string> {
    const lines = this.live().map((entry) => utf8.encode(`${entry.id}:${entry.revision}\n`))
    return sha256Hex(concat(...lines))
  }

  serverState(): Promise<JsonObject> {
    return this.api.call('GET', '/api/sync/state')
  }

  /** Whether this replica holds exactly the server's live entries at their latest revisions. */
  async verify(): Promise<boolean> {
    await this.pull()
    const state = await this.serverState()
    return state.digest === (await this.digest())
  }

  // --- conflicts ------------------------------------------------------------------
  async conflicts(): Promise<Conflict[]> {
    const found: Conflict[] = []
    let cursor: string | undefined
    for (;;) {
      const page = await this.api.call('GET', '/api/sync/conflicts', { query: { limit: 100, cursor } })
      for (const item of page.conflicts) found.push(await this.conflict(item))
      cursor = page.next_cursor ?? undefined
      if (!page.has_more || !cursor) return found
    }
  }

  /** Close a conflict: keep `remote`, take `local`, or store a `merged` text (a new revision). */
  async resolve(conflict: Conflict, choice: 'local' | 'remote' | 'merged', mergedText?: string): Promise<JsonObject> {
    const body: JsonObject = { chosen_version: choice, device_id: this.keys.deviceId }
    if (choice === 'merged') {
      if (mergedText === undefined) throw new Error('a merged resolution needs the merged text')
      const sealed = await aesSeal(this.keys.aesKey, utf8.encode(mergedText), entryContext(conflict.entryId))
      body.final_encrypted_content = b64encode(sealed.ciphertext)
      body.final_iv = b64encode(sealed.iv)
      body.final_tag = b64encode(sealed.tag)
    }
    const answer = await this.api.call('POST', `/api/sync/conflicts/${conflict.id}/resolve`, { json: body })
    const kept = choice === 'local' ? conflict.local.text : choice === 'merged' ? mergedText : undefined
    if (kept !== undefined && answer.revision != null) {
      this.remember(conflict.entryId, kept, answer.revision)
    }
    return answer
  }

  private async conflict(item: JsonObject): Promise<Conflict> {
    const entryId = item.log_id
    return {
      id: item.id,
      entryId,
      local: await this.version(entryId, item.local_version),
      remote: await this.version(entryId, item.remote_version),
      detectedAt: item.detected_at ?? null
    }
  }

  private async version(entryId: string, version: JsonObject): Promise<ConflictVersion> {
    const text = version.encrypted_content ? await this.openVersion(entryId, version.encrypted_content, version.iv, version.tag) : null
    return {
      text,
      deviceId: version.device_id ?? null,
      revision: version.revision ?? version.base_revision ?? null,
      updatedAt: version.updated_at ?? null
    }
  }

  private async openVersion(entryId: string, content: string, iv: string, tag: string | null | undefined): Promise<string> {
    let ciphertext = b64decode(content)
    let tagBytes: Uint8Array
    if (tag) {
      tagBytes = b64decode(tag)
    } else {
      // The tag may ride appended to the content (the server allows either).
      tagBytes = ciphertext.slice(ciphertext.length - GCM_TAG_BYTES)
      ciphertext = ciphertext.slice(0, ciphertext.length - GCM_TAG_BYTES)
    }
    const plain = await aesOpen(this.keys.aesKey, { ciphertext, iv: b64decode(iv), tag: tagBytes }, entryContext(entryId))
    return utf8.decode(plain)
  }

  private openPush(body: SealedPush): Promise<string> {
    return this.openVersion(body.id, body.encrypted_content, body.content_iv, body.content_tag)
  }

  private remember(id: string, text: string | null, revision: number, sent?: JsonObject): void {
    const createdAt = sent?.created_at ?? this.entries.get(id)?.createdAt ?? null
    const updatedAt = sent?.updated_at ?? new Date().toISOString()
    this.entries.set(id, { id, text, revision, createdAt, updatedAt, deviceId: this.keys.deviceId })
  }
}

function pushResult(item: JsonObject): PushResult {
  const result: PushResult = { id: item.id, status: item.status, revision: item.revision ?? null }
  if (item.conflict_id) result.conflictId = item.conflict_id
  if (item.resurrected) result.resurrected = true
  if (item.error) result.error = item.error
  return result
}

/** Byte order of UTF-8, as the server sorts ids for the digest. */
function compareBytes(a: string, b: string): number {
  const left = utf8.encode(a)
  const right = utf8.encode(b)
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i] - right[i]
  }
  return left.length - right.length
}
