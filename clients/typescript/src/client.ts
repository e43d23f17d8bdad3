// One device of one account: the key material, a session, and the parts that use them.
import { Account } from './account.js'
import { Insights } from './analytics.js'
import { Auth } from './auth.js'
import { CkksKeys } from './ckks.js'
import { ApiSession, SessionOptions } from './http.js'
import { KeyMaterial } from './keyfile.js'
import { Journal } from './sync.js'
import { TagBook } from './tags.js'

export class ReflectiveClient {
  readonly api: ApiSession
  readonly auth: Auth
  readonly journal: Journal
  readonly tags: TagBook
  readonly account: Account
  private ckksKeys: Promise<CkksKeys> | null = null
  private insightsPart: Insights | null = null

  constructor(
    readonly keys: KeyMaterial,
    server: string,
    options: SessionOptions = {}
  ) {
    this.api = new ApiSession(server, options)
    this.auth = new Auth(this.api)
    this.journal = new Journal(this.api, keys)
    this.tags = new TagBook(this.api, keys)
    this.account = new Account(this.api, () => this.ckks())
  }

  /** The CKKS keys of the key file, loaded into node-seal on first use. */
  ckks(): Promise<CkksKeys> {
    this.ckksKeys ??= CkksKeys.fromSecretContext(this.keys.ckksSecretContext)
    return this.ckksKeys
  }

  async insights(): Promise<Insights> {
    this.insightsPart ??= new Insights(this.api, await this.ckks())
    return this.insightsPart
  }
}
