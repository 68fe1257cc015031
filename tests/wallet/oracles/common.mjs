// Shared by the oracle scripts: loading the npm packages from the ignored .cache/, JWS with node's own
// crypto, and x5c chains checked against CA certificates. Input is one JSON object on stdin; output
// one JSON object on stdout ({"error": "..."} when the library refused).
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import crypto from 'node:crypto'

const ORACLES = process.env.WALLET_ORACLES
const require = createRequire(`${ORACLES}/package.json`)

export async function need(name) {
  return import(pathToFileURL(require.resolve(name)).href)
}

export async function input() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

export function output(value) {
  process.stdout.write(JSON.stringify(value))
}

export function fail(error) {
  output({ error: String(error && error.message ? error.message : error) })
}

export const b64url = (bytes) => Buffer.from(bytes).toString('base64url')
export const fromB64url = (text) => Buffer.from(text, 'base64url')
export const decodePart = (part) => JSON.parse(fromB64url(part).toString('utf8'))

const HASH = { ES256: 'sha256', ES384: 'sha384', RS256: 'sha256', PS256: 'sha256' }

function keyOptions(alg, key) {
  if (alg.startsWith('ES')) return { key, dsaEncoding: 'ieee-p1363' }
  if (alg === 'PS256') return { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
  return { key }
}

export function verifyJws(alg, data, signature, publicKey) {
  if (!HASH[alg]) return false
  return crypto.verify(HASH[alg], Buffer.from(data), keyOptions(alg, publicKey), fromB64url(signature))
}

export function signJws(alg, data, privateKey) {
  return b64url(crypto.sign(HASH[alg], Buffer.from(data), keyOptions(alg, privateKey)))
}

export function signJwt(header, payload, jwk) {
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' })
  const data = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  return `${data}.${signJws(header.alg, data, key)}`
}

export function publicJwk(jwk) {
  const { d, ...rest } = jwk
  return rest
}

// The leaf of an x5c chain once every certificate is valid now and the chain ends at one of the CAs.
export function trustedLeaf(x5c, caPems) {
  if (!Array.isArray(x5c) || x5c.length === 0) throw new Error('no x5c')
  const chain = x5c.map((der) => new crypto.X509Certificate(Buffer.from(der, 'base64')))
  const anchors = caPems.map((pem) => new crypto.X509Certificate(pem))
  const now = Date.now()
  for (const cert of chain) {
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) throw new Error('certificate not valid now')
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) throw new Error('broken chain')
  }
  const top = chain[chain.length - 1]
  const trusted = anchors.some(
    (ca) => ca.fingerprint256 === top.fingerprint256 || (top.checkIssued(ca) && top.verify(ca.publicKey)),
  )
  if (!trusted) throw new Error('x5c does not chain to a trusted CA')
  return chain[0]
}

export const callbacks = {
  fetch,
  hash: (data, alg) => crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  generateRandom: (bytes) => crypto.randomBytes(bytes),
}
