// The library in Node (node --test): every flow against a live server.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import * as lib from '../dist/index.js'
import { FLOWS } from './flows.mjs'
import { liveServer } from './server.mjs'

let server

before(async () => {
  server = await liveServer()
})

after(async () => {
  await server?.stop()
})

for (const [name, flow] of Object.entries(FLOWS)) {
  test(name, async () => {
    const summary = await flow(lib, server.url)
    assert.ok(summary)
  })
}

test('a ciphertext moved to another entry id does not decrypt', async () => {
  const key = crypto.getRandomValues(new Uint8Array(32))
  const sealed = await lib.aesSeal(key, new TextEncoder().encode('text'), lib.entryContext('a'))
  await assert.rejects(lib.aesOpen(key, sealed, lib.entryContext('b')), lib.DecryptionError)
  const opened = await lib.aesOpen(key, sealed, lib.entryContext('a'))
  assert.equal(new TextDecoder().decode(opened), 'text')
})

test('tag names normalize like the Python client', () => {
  assert.equal(lib.normalizeTagName('  Ｗork   Life '), 'work life')
  assert.equal(lib.normalizeTagName('Straße'), 'strasse')
  assert.equal(lib.normalizeTagName('ΟΔΟΣ'), lib.normalizeTagName('οδος'))
})

test('uploads are split under the count and size limits', () => {
  const items = Array.from({ length: 1001 }, () => ({ encrypted_value: 'x' }))
  assert.deepEqual([...lib.uploadBatches(items)].map((batch) => batch.length), [500, 500, 1])
})
