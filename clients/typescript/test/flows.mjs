// The library's flows against a live server, written once for Node and for a browser page:
// each takes the library module and the server URL, checks as it goes, returns a summary.

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`)
}

function near(actual, expected, message) {
  check(Math.abs(actual - expected) < 1e-3, `${message}: ${actual} != ${expected}`)
}

const PASSWORD = 'a typescript password 1'

function uniqueEmail(name) {
  return `${name}-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.com`
}

async function newAccount(lib, server, name) {
  const email = uniqueEmail(name)
  const keys = await lib.generateKeyMaterial(email)
  const client = new lib.ReflectiveClient(keys, server)
  await client.auth.register(email, PASSWORD, { timezone: 'Europe/Paris' })
  await client.auth.login(email, PASSWORD)
  return { email, keys, client }
}

/** Login, refresh rotation (the old refresh token dies), logout, tokens in a caller's store. */
export async function authFlow(lib, server) {
  const saved = []
  const store = {
    value: null,
    load() {
      return this.value
    },
    save(tokens) {
      this.value = tokens
      saved.push(tokens)
    }
  }
  const email = uniqueEmail('auth')
  const keys = await lib.generateKeyMaterial(email)
  const client = new lib.ReflectiveClient(keys, server, { tokens: store })
  await client.auth.register(email, PASSWORD)
  await client.auth.login(email, PASSWORD)
  const first = store.value.refreshToken
  await client.auth.refresh()
  check(store.value.refreshToken !== first, 'refresh rotates the refresh token')
  let refused = null
  try {
    await client.api.call('POST', '/api/auth/token/refresh', { json: { refresh_token: first }, authenticated: false })
  } catch (error) {
    refused = error
  }
  check(refused instanceof lib.ServerError && refused.status === 401, 'a used refresh token is refused')
  // Reuse detection: a replayed rotated token ends its whole session, the newest pair too.
  let revoked = null
  try {
    await client.auth.refresh()
  } catch (error) {
    revoked = error
  }
  check(revoked instanceof lib.ServerError && revoked.status === 401, 'a replayed refresh token ends its session')
  await client.auth.login(email, PASSWORD)
  // An expired or unknown access token: one refresh, then the call goes through.
  store.value = { ...store.value, accessToken: 'not-a-token' }
  const me = await client.auth.me()
  check(me.email === email, 'the call after a 401 succeeds with a refreshed token')
  check(me.logs_count === 0 && me.writing_streak === 0 && me.total_words_written === null, 'user facts')
  const last = store.value.refreshToken
  await client.auth.logout()
  check(store.value === null, 'logout forgets the tokens')
  let afterLogout = null
  try {
    await client.api.call('POST', '/api/auth/token/refresh', { json: { refresh_token: last }, authenticated: false })
  } catch (error) {
    afterLogout = error
  }
  check(afterLogout?.status === 401, 'logout ends the refresh token')
  return { rotations: saved.length }
}

/** Two devices of one account: push, pull, conflict, merge, tombstone, digest check. */
export async function syncFlow(lib, server) {
  const { email, keys, client: laptop } = await newAccount(lib, server, 'sync')
  await laptop.account.setTier('full_sync', 'seal')
  const phone = new lib.ReflectiveClient(lib.forDevice(keys), server)
  await phone.auth.login(email, PASSWORD)

  const first = await laptop.journal.write('day-1', 'Walked to the lake.')
  check(first.status === 'stored' && first.revision === 1, 'a new entry is revision 1')
  await laptop.journal.writeMany({ 'day-2': 'Rain all day.', 'day-3': 'Café au lait ☕' })
  await phone.journal.pull()
  check(phone.journal.entries.get('day-3').text === 'Café au lait ☕', 'the phone reads the laptop entry')
  const created = phone.journal.entries.get('day-2').createdAt
  await phone.journal.write('day-2', 'Rain all day, then sun.')
  await laptop.journal.pull()
  check(laptop.journal.entries.get('day-2').createdAt === created, 'an edit keeps the entry creation time')

  // Both edit revision 1 of day-1: the second push is a conflict, listed decrypted.
  await phone.journal.write('day-1', 'Walked to the lake with Sam.')
  const stale = await laptop.journal.write('day-1', 'Walked to the lake, cold.')
  check(stale.status === 'conflict' && stale.conflictId, 'a stale push is a conflict')
  const [conflict] = await laptop.journal.conflicts()
  check(conflict.local.text === 'Walked to the lake, cold.', 'the refused version is decrypted')
  check(conflict.remote.text === 'Walked to the lake with Sam.', 'the server version is decrypted')
  const resolved = await laptop.journal.resolve(conflict, 'merged', 'Walked to the lake with Sam; cold.')
  check(resolved.revision === 3, 'a merge is a new revision')
  check((await laptop.journal.conflicts()).length === 0, 'no open conflict is left')

  // A lost answer: the push reached the server, the reply did not; the retry is harmless.
  const body = await laptop.journal.seal('day-4', 'Lost in the mail.')
  await laptop.api.call('POST', '/api/sync/entries', { json: body })
  const retried = await laptop.journal.push(body)
  check(retried.status === 'unchanged' && retried.revision === 1, 'a retried push is unchanged')

  // The same, inside the session: the answer is dropped once and the same bytes are resent.
  let dropped = 0
  const flaky = async (url, init) => {
    const response = await fetch(url, init)
    if (init?.method === 'POST' && url.endsWith('/api/sync/entries') && dropped === 0) {
      dropped += 1
      await response.arrayBuffer()
      throw new TypeError('the connection was reset')
    }
    return response
  }
  const tablet = new lib.ReflectiveClient(lib.forDevice(keys), server, { fetch: flaky, retryBaseMs: 1 })
  await tablet.auth.login(email, PASSWORD)
  const lost = await tablet.journal.write('day-5', 'The first answer was lost.')
  check(dropped === 1 && lost.status === 'unchanged' && lost.revision === 1, 'a lost answer is retried safely')
  check(tablet.journal.pending.size === 0, 'nothing is left pending')

  await phone.journal.pull()
  const deleted = await phone.journal.delete('day-2')
  check(deleted.status === 'stored', 'a delete is a stored tombstone')
  check(await laptop.journal.verify(), 'the laptop holds exactly the server entries')
  check(laptop.journal.entries.get('day-2').text === null, 'the delete reached the laptop')
  check(await phone.journal.verify(), 'the phone holds exactly the server entries')
  const state = await phone.journal.serverState()
  const me = await phone.auth.me()
  check(me.logs_count === 4 && me.writing_streak >= 1, 'the user object counts live entries')
  return { entries: state.entry_count, digest: state.digest, days: laptop.journal.live().map((entry) => entry.id) }
}

/** Encrypted names and HMAC digests: the same name twice is one tag. */
export async function tagsFlow(lib, server) {
  const { client } = await newAccount(lib, server, 'tags')
  await client.account.setTier('full_sync', 'seal')
  const work = await client.tags.add('Work')
  const again = await client.tags.add('  WORK ')
  check(again.id === work.id, 'the same normalized name is the same tag')
  const street = await client.tags.add('Straße')
  check((await client.tags.add('STRASSE')).id === street.id, 'case folding matches Python casefold')
  await client.tags.rename(work.id, 'Office')
  const names = (await client.tags.list()).map((tag) => tag.name)
  check(JSON.stringify(names) === JSON.stringify(['Office', 'Straße']), `tags are decrypted: ${names}`)
  await client.tags.delete(street.id)
  return { names }
}

/** Raw SEAL keys: upload, sum, average and day buckets, packed values, decrypted here. */
export async function analyticsFlow(lib, server) {
  const { client } = await newAccount(lib, server, 'analytics')
  const privacy = await client.account.setTier('analytics_sync', 'seal')
  const ckks = await client.ckks()
  check(privacy.analytics_key_id === (await ckks.keyIds()).seal, 'the raw SEAL public key is the epoch')
  const insights = await client.insights()
  check((await insights.epochFormat()) === 'seal', 'the epoch format is found from the key id')
  const points = [
    { metricType: 'writing', values: [120, 0.5], timestamp: '2026-05-01T08:00:00Z', logId: 'a' },
    { metricType: 'writing', values: [80, -0.25], timestamp: '2026-05-01T20:00:00Z', logId: 'b' },
    { metricType: 'writing', values: [200, 1], timestamp: '2026-05-03T09:00:00Z', logId: 'c' }
  ]
  check((await insights.upload(points)) === 3, 'three metrics uploaded')
  const sum = await insights.aggregate('writing', { size: 2 })
  check(sum.count === 3, 'three values summed')
  near(sum.values[0], 400, 'words summed')
  near(sum.values[1], 1.25, 'sentiment summed')
  const average = await insights.aggregate('writing', { operation: 'average', size: 2 })
  near(average.values[0], 400 / 3, 'average words')
  const days = await insights.aggregate('writing', { bucket: 'day', timezone: 'UTC', size: 2 })
  check(days.buckets.length === 2, 'empty days are omitted')
  near(days.buckets[0].values[0], 200, 'first day')
  check(days.buckets[0].count === 2 && days.buckets[1].count === 1, 'bucket counts')
  return { sum: sum.values, buckets: days.buckets.map((bucket) => [bucket.start, bucket.count]) }
}

/** The key file round trip: export, import on another device, read the same entries and sums. */
export async function keyFileFlow(lib, server) {
  const { email, keys, client } = await newAccount(lib, server, 'keyfile')
  await client.account.setTier('full_sync')
  await client.journal.write('secret', 'Only my devices read this.')
  const insights = await client.insights()
  await insights.upload([{ metricType: 'word_count', values: [5], timestamp: new Date() }])
  const text = lib.exportKeyFile(keys)
  const parsed = JSON.parse(text)
  check(parsed.format === 'reflective-keyfile/1', 'the Python key file format')
  const restored = lib.importKeyFile(text)
  const other = new lib.ReflectiveClient(lib.forDevice(restored), server)
  await other.auth.login(email, PASSWORD)
  await other.journal.pull()
  check(other.journal.entries.get('secret').text === 'Only my devices read this.', 'the restored keys read entries')
  const sum = await (await other.insights()).aggregate('word_count')
  check((await (await other.insights()).epochFormat()) === 'tenseal', 'the default epoch format is TenSEAL')
  near(sum.values[0], 5, 'the restored keys decrypt sums')
  return { deviceIds: [keys.deviceId, other.keys.deviceId] }
}

export const FLOWS = { authFlow, syncFlow, tagsFlow, analyticsFlow, keyFileFlow }
