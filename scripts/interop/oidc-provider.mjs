// An OpenID provider nobody on this project wrote: panva's certified `oidc-provider` (version
// pinned in package.json / package-lock.json), configured as a campus provider would be.
//   node scripts/interop/oidc-provider.mjs PORT REDIRECT_URI[,REDIRECT_URI...] POST_LOGOUT_URI[,...] [BACKCHANNEL_LOGOUT_URI]
// Client `syllabus` / `s3cret` (client_secret_basic), PKCE required, the dev login form
// (any password) and the consent prompt, RP-initiated logout; with BACKCHANNEL_LOGOUT_URI, OpenID Connect
// Back-Channel Logout 1.0 (a signed logout token with sub and sid, posted there when the session ends). Accounts: ada (faculty), bob
// (student). Claims follow the scopes: profile and email from userinfo, `groups` by its scope.
// Its signing key is made at each start (RS256, a new random kid): a restart is a key rotation.
// Environment: OP_CLIENT_SECRET (default s3cret); OP_ID_TOKEN_ALG=HS256 registers the client for ID tokens
// signed with HS256 and the client secret (id_token_signed_response_alg), which the provider then lists.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const [port, redirects = '', postLogout = '', backchannel = ''] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const accounts = {
  ada: { given_name: 'Ada', family_name: 'Lovelace', email: 'ada@uni.example', email_verified: true,
         preferred_username: 'ada', groups: ['faculty'] },
  bob: { given_name: 'Bob', family_name: 'Student', email: 'bob@uni.example', email_verified: true,
         preferred_username: 'bob', groups: ['student'] },
};

const idTokenAlg = process.env.OP_ID_TOKEN_ALG || '';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  enabledJWA: { idTokenSigningAlgValues: ['RS256', ...(idTokenAlg ? [idTokenAlg] : [])] },
  clients: [{
    client_id: 'syllabus', client_secret: process.env.OP_CLIENT_SECRET || 's3cret', token_endpoint_auth_method: 'client_secret_basic',
    ...(idTokenAlg ? { id_token_signed_response_alg: idTokenAlg } : {}),
    redirect_uris: redirects.split(',').filter(Boolean),
    post_logout_redirect_uris: postLogout.split(',').filter(Boolean),
    grant_types: ['authorization_code'], response_types: ['code'],
    ...(backchannel ? { backchannel_logout_uri: backchannel, backchannel_logout_session_required: true } : {}),
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: { openid: ['sub'], profile: ['given_name', 'family_name', 'preferred_username'],
            email: ['email', 'email_verified'], groups: ['groups'] },
  cookies: { keys: ['interop-only-not-a-secret'] },
  // the back-channel logout URI is on 127.0.0.1 here: let it through the provider's SSRF guard, as an
  // operator would for a relying party on the campus network (Syllabus's OUTBOUND_PRIVATE_HOSTS)
  fetch: (url, options) => { delete options.dispatcher; return fetch(url, options); },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true },
              backchannelLogout: { enabled: Boolean(backchannel) } },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: `u-${id}`, ...account }; } };
  },
});
// the dev login form takes the login as the account id; the subject is u-<login>
provider.on('backchannel.success', (ctx, client) => console.log(`back-channel logout sent to ${client.clientId}`));
provider.on('backchannel.error', (ctx, error, client) => console.error(`back-channel logout to ${client.clientId} failed: ${error} ${error.cause || ""}`));
provider.listen(Number(port), '127.0.0.1', () => console.log(`oidc-provider listening at ${issuer}, signing key ${signingKey.kid}`));
