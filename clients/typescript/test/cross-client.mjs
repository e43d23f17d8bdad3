// The TypeScript side of the cross-client test (tests/e2e/test_typescript_client.py drives it
// against the Python reference client). Prints one JSON object.
//   node test/cross-client.mjs read-python <server> <key file> <password>
//     import the Python client's key file as a new device, read its entry, write one,
//     upload a metric and decrypt the sum over both clients' metrics.
//   node test/cross-client.mjs make-account <server> <key file to write> <email> <password>
//     a TypeScript-born account and key file (TenSEAL epoch), one entry and one metric.
//   node test/cross-client.mjs sum <server> <key file> <password>
//     log in with a key file and decrypt the word_count sum and the entries.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import * as lib from '../dist/index.js'

async function device(server, keyFile, password) {
  const keys = lib.forDevice(lib.importKeyFile(readFileSync(keyFile, 'utf8')))
  const client = new lib.ReflectiveClient(keys, server)
  await client.auth.login(keys.email, password)
  return client
}

async function entries(client) {
  await client.journal.pull()
  return Object.fromEntries(client.journal.live().map((entry) => [entry.id, entry.text]))
}

async function readPython([server, keyFile, password]) {
  const client = await device(server, keyFile, password)
  const seen = await entries(client)
  await client.journal.write('from-typescript', 'Written in TypeScript ✓')
  const insights = await client.insights()
  await insights.upload([{ metricType: 'word_count', values: [4.5], timestamp: '2026-06-02T10:00:00Z', logId: 'from-typescript' }])
  const sum = await insights.aggregate('word_count')
  return { entries: seen, format: await insights.epochFormat(), count: sum.count, sum: sum.values[0] }
}

async function makeAccount([server, keyFile, email, password]) {
  const keys = await lib.generateKeyMaterial(email)
  const client = new lib.ReflectiveClient(keys, server)
  await client.auth.register(email, password)
  await client.auth.login(email, password)
  const privacy = await client.account.setTier('full_sync', 'tenseal')
  await client.journal.write('born-in-typescript', 'Ein Eintrag aus TypeScript.')
  const insights = await client.insights()
  await insights.upload([{ metricType: 'word_count', values: [2], timestamp: '2026-06-01T10:00:00Z', logId: 'born-in-typescript' }])
  writeFileSync(keyFile, lib.exportKeyFile(keys), { mode: 0o600 })
  chmodSync(keyFile, 0o600)
  return { key_id: privacy.analytics_key_id, key_ids: await (await client.ckks()).keyIds() }
}

async function sum([server, keyFile, password]) {
  const client = await device(server, keyFile, password)
  const total = await (await client.insights()).aggregate('word_count')
  return { entries: await entries(client), count: total.count, sum: total.values[0] }
}

const MODES = { 'read-python': readPython, 'make-account': makeAccount, sum }
const [mode, ...args] = process.argv.slice(2)
MODES[mode](args)
  .then((result) => process.stdout.write(JSON.stringify(result)))
  .catch((error) => {
    process.stderr.write(`${error.stack || error}\n`)
    process.exit(1)
  })
