// @openid4vc/openid4vci as a third-party wallet: take a credential offer from our issuer with the
// pre-authorized code flow (transaction code, nonce endpoint, jwt proof) and print the credential.
import { callbacks, fail, input, need, output, publicJwk, signJwt } from './common.mjs'

const { Openid4vciClient } = await need('@openid4vc/openid4vci')
const { clientAuthenticationNone, setGlobalConfig } = await need('@openid4vc/oauth2')

const request = await input()
setGlobalConfig({ allowInsecureUrls: true }) // the test issuer listens on http://localhost

const holder = request.holderJwk
const client = new Openid4vciClient({
  callbacks: {
    ...callbacks,
    clientAuthentication: clientAuthenticationNone({ clientId: 'oracle-wallet' }),
    signJwt: async (signer, { header, payload }) => ({ jwt: signJwt(header, payload, holder), signerJwk: signer.publicJwk }),
  },
})

try {
  const offer = await client.resolveCredentialOffer(request.offer)
  const metadata = await client.resolveIssuerMetadata(offer.credential_issuer)
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer,
    issuerMetadata: metadata,
    txCode: request.txCode,
  })
  const { c_nonce } = await client.requestNonce({ issuerMetadata: metadata })
  const configurationId = offer.credential_configuration_ids[0]
  const { jwt } = await client.createCredentialRequestJwtProof({
    issuerMetadata: metadata,
    credentialConfigurationId: configurationId,
    signer: { method: 'jwk', alg: 'ES256', publicJwk: publicJwk(holder) },
    nonce: request.wrongNonce ? 'not-the-nonce' : c_nonce,
  })
  const answer = await client.retrieveCredentials({
    issuerMetadata: metadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: configurationId,
    proofs: { jwt: [jwt] },
  })
  if (!answer.ok) {
    const body = answer.credentialErrorResponseResult?.data ?? (await answer.response.text())
    throw new Error(`credential request refused: ${JSON.stringify(body)}`)
  }
  output({
    credential: answer.credentialResponse.credentials[0].credential,
    version: metadata.originalDraftVersion,
    display: metadata.credentialIssuer.credential_configurations_supported[configurationId].credential_metadata,
  })
} catch (error) {
  fail(error)
}
