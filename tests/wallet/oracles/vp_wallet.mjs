// @openid4vc/openid4vp as a third-party wallet: resolve our signed request object (x509_san_dns),
// present the credential with @sd-jwt/sd-jwt-vc for the DCQL query, and send the response encrypted
// (direct_post.jwt, ECDH-ES with jose) to our verifier.
import crypto from 'node:crypto'
import { callbacks, decodePart, fail, input, need, output, signJws, verifyJws } from './common.mjs'

const { Openid4vpClient } = await need('@openid4vc/openid4vp')
const { setGlobalConfig } = await need('@openid4vc/oauth2')
const { SDJwtVcInstance } = await need('@sd-jwt/sd-jwt-vc')
const { digest } = await need('@sd-jwt/crypto-nodejs')
const jose = await need('jose')

const request = await input()
setGlobalConfig({ allowInsecureUrls: true })

const client = new Openid4vpClient({
  callbacks: {
    ...callbacks,
    verifyJwt: async (signer, { compact }) => {
      if (signer.method !== 'x5c') return { verified: false }
      const leaf = new crypto.X509Certificate(Buffer.from(signer.x5c[0], 'base64'))
      const [head, body, signature] = compact.split('.')
      const verified = verifyJws(signer.alg, `${head}.${body}`, signature, leaf.publicKey)
      return verified ? { verified, signerJwk: leaf.publicKey.export({ format: 'jwk' }) } : { verified: false }
    },
    getX509CertificateMetadata: (certificate) => {
      const names = (new crypto.X509Certificate(Buffer.from(certificate, 'base64')).subjectAltName ?? '').split(', ')
      return {
        sanDnsNames: names.filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4)),
        sanUriNames: names.filter((n) => n.startsWith('URI:')).map((n) => n.slice(4)),
      }
    },
    encryptJwe: async (encryptor, payload) => {
      const key = await jose.importJWK(encryptor.publicJwk, encryptor.alg)
      const header = { alg: encryptor.alg, enc: encryptor.enc, kid: encryptor.publicJwk.kid }
      if (encryptor.apu) header.apu = encryptor.apu
      if (encryptor.apv) header.apv = encryptor.apv
      const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(payload)).setProtectedHeader(header).encrypt(key)
      return { jwe, encryptionJwk: encryptor.publicJwk }
    },
  },
})

// A presentation frame for the DCQL claims; null in a path (every element) becomes every raw position.
function frameFor(claims, payload) {
  const frame = {}
  for (const claim of claims ?? []) {
    let node = frame
    let data = payload
    claim.path.forEach((step, i) => {
      const last = i === claim.path.length - 1
      if (step === null) {
        const positions = Array.isArray(data) ? data.map((_, index) => index) : []
        for (const index of positions) node[index] = last ? true : (node[index] ?? {})
        data = undefined
        return
      }
      node[step] = last ? true : (node[step] ?? {})
      node = node[step]
      data = data?.[step]
    })
  }
  return frame
}

try {
  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: request.link })
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params })
  const ask = resolved.authorizationRequestPayload
  const query = resolved.dcql.query.credentials[0]
  const holder = crypto.createPrivateKey({ key: request.holderJwk, format: 'jwk' })
  const sdjwt = new SDJwtVcInstance({ hasher: digest, kbSigner: (d) => signJws('ES256', d, holder), kbSignAlg: 'ES256' })
  const raw = decodePart(request.credential.split('~')[0].split('.')[1])
  const claims = query.claim_sets ? query.claims.filter((c) => query.claim_sets[0].includes(c.id)) : query.claims
  const frame = frameFor(claims, raw)
  const kb = { payload: { aud: request.aud ?? ask.client_id, nonce: request.nonce ?? ask.nonce, iat: Math.floor(Date.now() / 1000) } }
  const presentation = await sdjwt.present(request.credential, frame, { kb })
  const response = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: ask,
    authorizationResponsePayload: { vp_token: { [query.id]: [presentation] } },
    jarm: {
      encryption: { nonce: crypto.randomBytes(16).toString('base64url') },
      serverMetadata: {
        authorization_signing_alg_values_supported: ['ES256'],
        authorization_encryption_alg_values_supported: ['ECDH-ES'],
        authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'],
      },
    },
  })
  const submitted = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: ask,
    authorizationResponsePayload: response.authorizationResponsePayload,
    jarm: response.jarm ? { responseJwt: response.jarm.responseJwt } : undefined,
  })
  output({
    status: submitted.response.status,
    body: await submitted.response.json().catch(() => null),
    clientId: ask.client_id,
    encHeader: response.jarm ? decodePart(response.jarm.responseJwt.split('.')[0]) : null,
  })
} catch (error) {
  fail(error)
}
