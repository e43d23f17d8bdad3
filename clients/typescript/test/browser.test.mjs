// The same flows in headless Chromium: the built library is loaded into a page served at
// the API's own origin (Playwright answers the library's paths from this directory), so
// WebCrypto, fetch and node-seal's web build run exactly as in a web app.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { extname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { chromium } from 'playwright-core'
import { FLOWS } from './flows.mjs'
import { liveServer } from './server.mjs'

const PACKAGE = resolve(fileURLToPath(new URL('.', import.meta.url)), '..')
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const PREFIX = '/__reflective_client__/'
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html' }
const PAGE = `<!doctype html>
<script type="importmap">
{"imports": {
  "node-seal": "${PREFIX}node_modules/node-seal/throws_wasm_web_es.js",
  "fzstd": "${PREFIX}node_modules/fzstd/esm/index.mjs"
}}
</script>
<script type="module">
  import * as lib from '${PREFIX}dist/index.js'
  import { FLOWS } from '${PREFIX}test/flows.mjs'
  window.runFlow = (name) => FLOWS[name](lib, location.origin)
  window.libraryReady = true
</script>`

let server
let browser
let page

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM} (apt-get install chromium)`)
  server = await liveServer()
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
  page = await browser.newPage()
  const errors = []
  page.on('pageerror', (error) => errors.push(error))
  await page.route(`${server.url}${PREFIX}**`, (route) => {
    const path = new URL(route.request().url()).pathname.slice(PREFIX.length)
    if (path === 'index.html') return route.fulfill({ contentType: 'text/html', body: PAGE })
    const file = resolve(PACKAGE, path)
    const allowed = ['dist', 'test', 'node_modules'].some((top) => file.startsWith(join(PACKAGE, top)))
    if (!allowed || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' })
    return route.fulfill({ contentType: TYPES[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) })
  })
  await page.goto(`${server.url}${PREFIX}index.html`)
  await page.waitForFunction(() => window.libraryReady === true, null, { timeout: 30000 }).catch((error) => {
    throw new Error(`the library did not load in the page: ${errors.join('; ') || error}`)
  })
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

for (const name of Object.keys(FLOWS)) {
  test(`${name} in Chromium`, async () => {
    const summary = await page.evaluate((flow) => window.runFlow(flow), name)
    assert.ok(summary)
  })
}

test('the page really is a browser: WebCrypto, no Node globals', async () => {
  const facts = await page.evaluate(() => ({
    subtle: typeof crypto.subtle.encrypt,
    process: typeof globalThis.process,
    secure: window.isSecureContext
  }))
  assert.deepEqual(facts, { subtle: 'function', process: 'undefined', secure: true })
})
