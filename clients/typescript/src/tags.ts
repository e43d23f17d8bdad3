// Zero-knowledge tags: names sealed with AES-GCM (tag appended), de-duplicated by an HMAC digest.
import { b64decode, b64encode, concat, utf8 } from './bytes.js'
import { GCM_TAG_BYTES, TAG_NAME_CONTEXT, aesOpen, aesSeal, tagDigest } from './crypto.js'
import { JsonObject } from './errors.js'
import { ApiSession } from './http.js'
import { KeyMaterial } from './keyfile.js'

export interface Tag {
  id: string
  name: string
  color: string
  createdAt: string | null
  lastUsedAt: string | null
}

const PAGE_SIZE = 200

export class TagBook {
  constructor(
    private readonly api: ApiSession,
    private readonly keys: KeyMaterial
  ) {}

  /** Every tag, decrypted, sorted by name. */
  async list(): Promise<Tag[]> {
    const found: Tag[] = []
    for (;;) {
      const page = await this.api.call('GET', '/api/tags', { query: { limit: PAGE_SIZE, offset: found.length } })
      for (const item of page.tags) found.push(await this.open(item))
      if (!page.has_more || page.tags.length === 0) return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    }
  }

  /** Create a tag, or touch the existing one with the same normalized name (safe to retry). */
  async add(name: string, color?: string): Promise<Tag> {
    const body = await this.sealedName(name)
    if (color) body.color = color
    return this.open(await this.api.call('POST', '/api/tags', { json: body, idempotent: true }))
  }

  async rename(tagId: string, name: string): Promise<Tag> {
    return this.open(await this.api.call('PATCH', `/api/tags/${tagId}`, { json: await this.sealedName(name) }))
  }

  async touch(tagId: string): Promise<Tag> {
    return this.open(await this.api.call('POST', `/api/tags/${tagId}/touch`, { idempotent: true }))
  }

  async delete(tagId: string): Promise<void> {
    await this.api.call('DELETE', `/api/tags/${tagId}`)
  }

  private async sealedName(name: string): Promise<JsonObject> {
    const sealed = await aesSeal(this.keys.aesKey, utf8.encode(name.trim()), TAG_NAME_CONTEXT)
    return {
      encrypted_name: b64encode(concat(sealed.ciphertext, sealed.tag)),
      name_iv: b64encode(sealed.iv),
      name_digest: b64encode(await tagDigest(this.keys.hmacKey, name))
    }
  }

  private async open(item: JsonObject): Promise<Tag> {
    const combined = b64decode(item.encrypted_name)
    const split = combined.length - GCM_TAG_BYTES
    const plain = await aesOpen(
      this.keys.aesKey,
      { ciphertext: combined.slice(0, split), tag: combined.slice(split), iv: b64decode(item.name_iv) },
      TAG_NAME_CONTEXT
    )
    return {
      id: String(item.id),
      name: utf8.decode(plain),
      color: item.color ?? '',
      createdAt: item.created_at ?? null,
      lastUsedAt: item.last_used_at ?? null
    }
  }
}
