// Accounts: register, login, refresh rotation, logout.
import { ApiSession } from './http.js'

export interface Profile {
  display_name?: string
  timezone?: string
  locale?: string
}

export class Auth {
  constructor(private readonly api: ApiSession) {}

  register(email: string, password: string, profile: Profile = {}): Promise<any> {
    return this.api.call('POST', '/api/auth/register', {
      json: { email, password, ...profile },
      authenticated: false
    })
  }

  async login(email: string, password: string): Promise<void> {
    const pair = await this.api.call('POST', '/api/auth/token', {
      json: { email, password },
      authenticated: false
    })
    await this.api.storeTokenPair(pair)
  }

  /** Rotate now (normally this happens by itself on a 401). */
  refresh(): Promise<void> {
    return this.api.refresh()
  }

  /** End this login: the server blacklists the refresh token; local tokens are dropped. */
  async logout(): Promise<void> {
    const stored = await this.api.tokens.load()
    if (stored?.refreshToken) {
      await this.api.call('POST', '/api/auth/logout', { json: { refresh_token: stored.refreshToken } })
    }
    await this.api.tokens.save(null)
  }

  me(): Promise<any> {
    return this.api.call('GET', '/api/users/me')
  }
}
