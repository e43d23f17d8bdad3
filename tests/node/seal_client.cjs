// A node-seal client against a running Reflective server, as a JavaScript app would be:
// it makes CKKS keys, registers, logs in, moves to analytics_sync with its SEAL PublicKey,
// uploads 30 encrypted metrics, asks for their sum and average and decrypts both.
// Usage: node seal_client.cjs <server url> <email> <password>. Prints one JSON object.
'use strict'
const SEAL = require('node-seal')

const METRICS = 30
const DEGREE = 8192
const BIT_SIZES = [60, 40, 40, 60]
const SCALE = Math.pow(2, 40)

async function call(server, method, path, body, token) {
  const headers = { 'Content-Type': 'application/json' }
  if (token) headers.Authorization = `Bearer ${token}`
  const response = await fetch(server + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`)
  return JSON.parse(text)
}

function makeKeys(seal) {
  const parms = seal.EncryptionParameters(seal.SchemeType.ckks)
  parms.setPolyModulusDegree(DEGREE)
  parms.setCoeffModulus(seal.CoeffModulus.Create(DEGREE, Int32Array.from(BIT_SIZES)))
  const context = seal.Context(parms, true, seal.SecurityLevel.tc128)
  const keygen = seal.KeyGenerator(context)
  return { context, publicKey: keygen.createPublicKey(), secretKey: keygen.secretKey() }
}

function decryptSlot0(seal, keys, encoded) {
  const ciphertext = seal.CipherText()
  ciphertext.load(keys.context, encoded)
  const plain = seal.Decryptor(keys.context, keys.secretKey).decrypt(ciphertext)
  return seal.CKKSEncoder(keys.context).decode(plain)[0]
}

async function main() {
  const [server, email, password] = process.argv.slice(2)
  const seal = await SEAL()
  const keys = makeKeys(seal)
  const encoder = seal.CKKSEncoder(keys.context)
  const encryptor = seal.Encryptor(keys.context, keys.publicKey)

  await call(server, 'POST', '/api/auth/register', { email, password })
  const login = await call(server, 'POST', '/api/auth/token', { email, password })
  const token = login.access_token
  const privacy = await call(server, 'PUT', '/api/users/me/privacy', {
    privacy_tier: 'analytics_sync',
    consent_timestamp: new Date().toISOString(),
    he_public_key: keys.publicKey.save()
  }, token)

  const values = Array.from({ length: METRICS }, (_, i) => (i + 1) * 1.5)
  const metrics = values.map((value, i) => ({
    metric_type: 'word_count',
    encrypted_value: encryptor.encrypt(encoder.encode(Float64Array.from([value]), SCALE)).save(),
    timestamp: new Date(Date.UTC(2024, 4, 1 + (i % 10), 8, i)).toISOString(),
    log_id: `entry-${i}`
  }))
  const stored = await call(server, 'POST', '/api/encryption/metrics', { metrics }, token)

  const ask = (operation) =>
    call(server, 'POST', '/api/encryption/aggregate', { metric_type: 'word_count', operation }, token)
  const total = await ask('sum')
  const average = await ask('average')
  process.stdout.write(JSON.stringify({
    tier: privacy.current_tier,
    key_id: privacy.analytics_key_id,
    stored: stored.details.count,
    count: total.count,
    expected_sum: values.reduce((a, b) => a + b, 0),
    sum: decryptSlot0(seal, keys, total.encrypted_result),
    average: decryptSlot0(seal, keys, average.encrypted_result)
  }))
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`)
  process.exit(1)
})
