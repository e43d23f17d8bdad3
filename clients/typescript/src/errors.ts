// Errors the library raises: the server's {code, detail} answers, and local failures.

export type JsonObject = Record<string, any>

/** A non-2xx answer: `code` is the server's machine-readable code (`conflict`, ...). */
export class ServerError extends Error {
  readonly status: number
  readonly code: string
  readonly body: JsonObject

  constructor(status: number, body: JsonObject) {
    super(`${status} ${body.code ?? 'error'}: ${body.detail ?? JSON.stringify(body).slice(0, 200)}`)
    this.name = 'ServerError'
    this.status = status
    this.code = typeof body.code === 'string' ? body.code : 'error'
    this.body = body
  }
}

/** A ciphertext did not authenticate: wrong key, wrong entry id, or tampered bytes. */
export class DecryptionError extends Error {
  constructor(message = 'ciphertext failed authentication') {
    super(message)
    this.name = 'DecryptionError'
  }
}

/** The server answered under a key epoch this client does not hold. */
export class KeyMismatchError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KeyMismatchError'
  }
}
