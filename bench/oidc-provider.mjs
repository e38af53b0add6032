// The comparison server of `make bench`'s token benchmark: npm oidc-provider
// with one client for the client_credentials grant, issuing JWT access tokens
// signed with Ed25519 (EdDSA) for one resource server, like our
// POST /v1/auth/token does.
//
//   node bench/oidc-provider.mjs <port> <client_id> <client_secret>
//
// Listens on 127.0.0.1:<port> and prints "ready <url>" once it accepts
// requests. Run with NODE_ENV=production (no dev interactions, no pretty JSON).

import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const [port = '0', clientId = 'bench-client', clientSecret = 'bench-secret-0123456789abcdef'] =
  process.argv.slice(2);

const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });

const RESOURCE = 'urn:bench';
const resourceServer = {
  scope: 'read',
  audience: RESOURCE,
  accessTokenFormat: 'jwt',
  accessTokenTTL: 1800,
  jwt: { sign: { alg: 'EdDSA' } },
};

const server = createServer();
server.keepAliveTimeout = 60_000;

server.listen(Number(port), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...jwk, kid: 'bench-ed25519', alg: 'EdDSA', use: 'sig' }] },
    // The only key is Ed25519, so the clients' defaults sign with it too.
    clientDefaults: { id_token_signed_response_alg: 'EdDSA' },
    scopes: ['read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        getResourceServerInfo: () => resourceServer,
        useGrantedResource: () => true,
      },
    },
    // Nothing in this benchmark needs cookies; the keys silence the warning.
    cookies: { keys: ['bench-cookie-key-not-secret'] },
  });
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(`ready ${issuer}`);
});
