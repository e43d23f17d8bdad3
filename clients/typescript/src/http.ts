// The HTTP session: JSON over fetch, bearer tokens kept where the caller chooses,
// one refresh (with rotation) on a 401, and retries only where repeating is safe.
import { JsonObject, ServerError } from './errors.js'

export interface Tokens {
  accessToken: string | null
  refreshToken: string | null
}

/** Where tokens live: memory, localStorage, a keychain, the key file... the caller decides. */
export interface TokenStore {
  load(): Tokens | null | Promise<Tokens | null>
  save(tokens: Tokens | null): void | Promise<void>
}

export class MemoryTokenStore implements TokenStore {
  private tokens: Tokens | null = null
  load(): Tokens | null {
    return this.tokens
  }
  save(tokens: Tokens | null): void {
    this.tokens = tokens
  }
}

export interface CallOptions {
  json?: unknown
  query?: Record<string, string | number | undefined>
  authenticated?: boolean
  /** Safe to send again after a lost answer (pushes of the same bytes, reads). */
  idempotent?: boolean
}

export interface SessionOptions {
  tokens?: TokenStore
  fetch?: typeof fetch
  maxRetries?: number
  retryBaseMs?: number
}

const RETRIED_STATUSES = new Set([429, 502, 503, 504])
const MAX_RETRY_WAIT_MS = 30_000

export class ApiSession {
  readonly server: string
  readonly tokens: TokenStore
  private readonly fetcher: typeof fetch
  private readonly maxRetries: number
  private readonly retryBaseMs: number
  private refreshing: Promise<void> | null = null

  constructor(server: string, options: SessionOptions = {}) {
    this.server = server.replace(/\/+$/, '')
    this.tokens = options.tokens ?? new MemoryTokenStore()
    this.fetcher = options.fetch ?? globalThis.fetch.bind(globalThis)
    this.maxRetries = options.maxRetries ?? 4
    this.retryBaseMs = options.retryBaseMs ?? 250
  }

  async call(method: string, path: string, options: CallOptions = {}): Promise<any> {
    const authenticated = options.authenticated ?? true
    let response = await this.send(method, path, options, authenticated)
    if (response.status === 401 && authenticated && (await this.canRefresh())) {
      await this.refresh()
      response = await this.send(method, path, options, authenticated)
    }
    const text = await response.text()
    const body: JsonObject = text ? safeJson(text) : {}
    if (!response.ok) throw new ServerError(response.status, body)
    return body
  }

  /** Trade the refresh token for a new pair; the old refresh token stops working (rotation). */
  async refresh(): Promise<void> {
    this.refreshing ??= this.rotate().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }

  async storeTokenPair(pair: JsonObject): Promise<void> {
    await this.tokens.save({ accessToken: pair.access_token, refreshToken: pair.refresh_token })
  }

  private async rotate(): Promise<void> {
    const stored = await this.tokens.load()
    if (!stored?.refreshToken) throw new ServerError(401, { code: 'not_authenticated', detail: 'Log in first.' })
    const pair = await this.call('POST', '/api/auth/token/refresh', {
      json: { refresh_token: stored.refreshToken },
      authenticated: false
    })
    await this.storeTokenPair(pair)
  }

  private async canRefresh(): Promise<boolean> {
    return Boolean((await this.tokens.load())?.refreshToken)
  }

  private async send(method: string, path: string, options: CallOptions, authenticated: boolean): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (options.json !== undefined) headers['Content-Type'] = 'application/json'
    if (authenticated) {
      const stored = await this.tokens.load()
      if (stored?.accessToken) headers.Authorization = `Bearer ${stored.accessToken}`
    }
    const init: RequestInit = { method, headers }
    if (options.json !== undefined) init.body = JSON.stringify(options.json)
    const url = this.server + path + queryString(options.query)
    for (let attempt = 0; ; attempt++) {
      let response: Response
      try {
        response = await this.fetcher(url, init)
      } catch (error) {
        // A dropped connection: the request may have taken effect, so only safe calls repeat.
        const safe = options.idempotent || method === 'GET'
        if (!safe || attempt >= this.maxRetries) throw error
        await sleep(this.retryBaseMs * 2 ** attempt)
        continue
      }
      if (!RETRIED_STATUSES.has(response.status) || attempt >= this.maxRetries) return response
      const delay = retryDelay(response, this.retryBaseMs * 2 ** attempt)
      if (delay > MAX_RETRY_WAIT_MS) return response // the caller decides about long waits
      await response.arrayBuffer()
      await sleep(delay)
    }
  }
}

function queryString(query: CallOptions['query']): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

function retryDelay(response: Response, fallbackMs: number): number {
  const seconds = Number(response.headers.get('Retry-After'))
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : fallbackMs
}

function safeJson(text: string): JsonObject {
  try {
    return JSON.parse(text)
  } catch {
    return { code: 'not_json', detail: text.slice(0, 200) }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
