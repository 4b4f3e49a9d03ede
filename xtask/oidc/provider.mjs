// A real OpenID provider for Portcullis' OAuth tests: panva's certified
// `oidc-provider` on 127.0.0.1, one confidential client and a few
// accounts. Sign-in and consent are automatic (the test drives Portcullis,
// not this provider's pages): an authorization request logs in as the
// account chosen last by `POST /_test/account {"sub": …}` (default "jo").
//
//   node provider.mjs <port> [client_id] [client_secret]
//
// Prints `READY http://127.0.0.1:<port>` when it listens.
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK } from 'jose';

const port = Number(process.argv[2] || 0);
const clientId = process.argv[3] || 'portcullis';
const clientSecret = process.argv[4] || 'portcullis-test-secret';
const issuer = `http://127.0.0.1:${port}`;

const accounts = {
  jo: { email: 'jo@example.com', email_verified: true },
  tf: { email: 'tf@example.com', email_verified: true },
  stranger: { email: 'stranger@example.com', email_verified: true },
  unverified: { email: 'unverified@example.com', email_verified: false },
  disabled: { email: 'disabled@example.com', email_verified: true },
};
let current = 'jo';

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    application_type: 'native',
    // Loopback redirect URIs match on any port (RFC 8252 §7.3).
    redirect_uris: [
      'http://127.0.0.1/login/oauthresponse/local',
      'http://127.0.0.1/login/oauth-verify-response/local',
      'http://localhost/login/oauthresponse/local',
      'http://localhost/login/oauth-verify-response/local',
    ],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  findAccount: async (_ctx, sub) => accounts[sub] && {
    accountId: sub,
    claims: async () => ({ sub, ...accounts[sub] }),
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/_test/account') {
    const body = await new Promise((resolve) => {
      let data = '';
      ctx.req.on('data', (c) => { data += c; });
      ctx.req.on('end', () => resolve(data));
    });
    const sub = JSON.parse(body || '{}').sub;
    if (!accounts[sub]) { ctx.status = 404; return; }
    current = sub;
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'GET' && ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const result = details.prompt.name === 'login'
      ? { login: { accountId: current } }
      : { consent: {} };
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    return;
  }
  await next();
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`READY ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
