// Privacy tiers: moving up sends consent and the public CKKS key; moving down purges.
import { b64encode } from './bytes.js'
import { CkksFormat, CkksKeys } from './ckks.js'
import { ApiSession } from './http.js'

export type PrivacyTier = 'local_only' | 'analytics_sync' | 'full_sync'

export class Account {
  constructor(
    private readonly api: ApiSession,
    private readonly keys: () => Promise<CkksKeys>
  ) {}

  privacy(): Promise<any> {
    return this.api.call('GET', '/api/users/me/privacy')
  }

  /**
   * Change tier. Above local_only the server needs the public key: `format` 'seal' sends
   * the raw SEAL PublicKey (node-seal's own), 'tenseal' the TenSEAL public context that
   * Python devices of the same key file also use. The format holds for the whole key epoch.
   */
  async setTier(tier: PrivacyTier, format: CkksFormat = 'tenseal'): Promise<any> {
    const body: Record<string, unknown> = { privacy_tier: tier, consent_timestamp: new Date().toISOString() }
    if (tier !== 'local_only') {
      const privacy = await this.privacy()
      const keys = await this.keys()
      if (!(await keys.formatOf(privacy.analytics_key_id))) body.he_public_key = b64encode(keys.publicKeyFor(format))
    }
    return this.api.call('PUT', '/api/users/me/privacy', { json: body })
  }

  /** Start a new key epoch with this key (re-key); older metrics stay under the old one. */
  async uploadPublicKey(format: CkksFormat = 'tenseal'): Promise<any> {
    const keys = await this.keys()
    return this.api.call('PUT', '/api/encryption/public-context', { json: { he_public_key: b64encode(keys.publicKeyFor(format)) } })
  }
}
