// The live server the tests talk to: REFLECTIVE_SERVER_URL when set (the pytest wrapper
// passes gunicorn on PostgreSQL), otherwise one started here: the repository's server on
// a fresh SQLite file (migrated first), stopped when the tests end.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..')
const PYTHON = process.env.REFLECTIVE_PYTHON || join(REPO, '.venv', 'bin', 'python')

function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer()
    probe.unref()
    probe.on('error', fail)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => done(port))
    })
  })
}

async function waitHealthy(url, child, deadlineMs) {
  const deadline = Date.now() + deadlineMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`)
    try {
      if ((await fetch(`${url}/api/health`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error('the server did not become healthy')
}

/** Returns {url, stop()}. */
export async function liveServer() {
  if (process.env.REFLECTIVE_SERVER_URL) return { url: process.env.REFLECTIVE_SERVER_URL, stop: async () => {} }
  const directory = mkdtempSync(join(tmpdir(), 'reflective-ts-'))
  mkdirSync(join(directory, 'prometheus'))
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite:///${join(directory, 'db.sqlite3')}`,
    CACHE_URL: 'locmemcache://',
    PROMETHEUS_MULTIPROC_DIR: join(directory, 'prometheus'), // gunicorn empties it at start
    THROTTLE_REGISTER_IP: '1000/hour'
  }
  const migrated = spawnSync(PYTHON, ['manage.py', 'migrate', '--noinput'], { cwd: REPO, env, encoding: 'utf8' })
  if (migrated.status !== 0) throw new Error(`migrate failed: ${migrated.stderr.slice(-2000)}`)
  const logFile = openSync(join(directory, 'server.log'), 'w')
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(
    PYTHON,
    ['-m', 'gunicorn', 'reflective.wsgi:application', '-c', 'gunicorn.conf.py', '--bind', `127.0.0.1:${port}`, '--workers', '1'],
    { cwd: REPO, env, stdio: ['ignore', logFile, logFile] }
  )
  await waitHealthy(url, child, 60000)
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM')
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)))
      if (!process.env.REFLECTIVE_KEEP_SERVER_LOG) rmSync(directory, { recursive: true, force: true })
    }
  }
}
