// @sd-jwt/sd-jwt-vc as an independent SD-JWT VC implementation: verify what we issue and present,
// present what we issue (for our verifier to accept), and issue SD-JWTs of its own.
import crypto from 'node:crypto'
import { decodePart, fail, input, need, output, publicJwk, signJws, trustedLeaf, verifyJws } from './common.mjs'

const { SDJwtVcInstance, TypeMetadataFormatSchema } = await need('@sd-jwt/sd-jwt-vc')
const { digest, generateSalt } = await need('@sd-jwt/crypto-nodejs')

const request = await input()

function issuerVerifier(caPems) {
  return async (data, signature) => {
    const header = decodePart(data.split('.')[0])
    const leaf = trustedLeaf(header.x5c, caPems)
    return verifyJws(header.alg, data, signature, leaf.publicKey)
  }
}

async function kbVerifier(data, signature, payload) {
  const header = decodePart(data.split('.')[0])
  const key = crypto.createPublicKey({ key: payload.cnf.jwk, format: 'jwk' })
  return verifyJws(header.alg, data, signature, key)
}

try {
  if (request.command === 'verify') {
    const sdjwt = new SDJwtVcInstance({
      hasher: digest,
      verifier: issuerVerifier(request.ca),
      kbVerifier,
      statusListFetcher: async (uri) => {
        if (!request.status || !(uri in request.status)) throw new Error(`no status list for ${uri}`)
        return request.status[uri]
      },
    })
    const options = request.nonce ? { keyBindingNonce: request.nonce } : {}
    const result = await sdjwt.verify(request.sdjwt, options)
    if (request.aud && result.kb?.payload.aud !== request.aud) throw new Error('key binding for another audience')
    output({ payload: result.payload, kb: result.kb?.payload ?? null, header: result.header })
  } else if (request.command === 'present') {
    const holder = crypto.createPrivateKey({ key: request.holderJwk, format: 'jwk' })
    const sdjwt = new SDJwtVcInstance({
      hasher: digest,
      kbSigner: (data) => signJws('ES256', data, holder),
      kbSignAlg: 'ES256',
    })
    const kb = { payload: { aud: request.aud, nonce: request.nonce, iat: Math.floor(Date.now() / 1000) } }
    output({ presentation: await sdjwt.present(request.credential, request.frame, { kb }) })
  } else if (request.command === 'issue') {
    const key = crypto.createPrivateKey(request.issuerKeyPem)
    const sdjwt = new SDJwtVcInstance({
      hasher: digest,
      saltGenerator: generateSalt,
      signer: (data) => signJws('ES256', data, key),
      signAlg: 'ES256',
    })
    const claims = { ...request.claims, cnf: { jwk: publicJwk(request.holderJwk) } }
    const credential = await sdjwt.issue(claims, request.frame, { header: { x5c: request.x5c } })
    output({ credential })
  } else if (request.command === 'typemeta') {
    output({ parsed: TypeMetadataFormatSchema.parse(request.metadata) })
  } else {
    throw new Error(`unknown command ${request.command}`)
  }
} catch (error) {
  fail(error)
}
