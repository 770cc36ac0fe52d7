import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider';

/** A person the issuer knows, with the claims it hands out about them. */
export interface IssuerUser {
  sub: string;
  email?: string;
  name?: string;
  preferred_username?: string;
  groups?: string[];
}

export interface OidcIssuer {
  url: string;
  /** Register (or replace) a client; the issuer is rebuilt with the same signing key. */
  addClient(client: ClientMetadata): void;
  /** Who signs in at the next login prompt (the issuer's login step is completed for them). */
  signInAs(sub: string): void;
  /** How many logins the issuer completed. */
  logins: number;
  close(): Promise<void>;
}

/**
 * A real OpenID Provider (panva's oidc-provider, certified) on a free loopback
 * port. Its login step is completed automatically for the user chosen with
 * signInAs(); consent is implied (first-party client). With
 * `claimsInIdToken: false` it follows the spec's default and puts scope claims
 * (email, groups) only in userinfo.
 */
export async function startOidcIssuer(o: { users: IssuerUser[]; claimsInIdToken?: boolean }): Promise<OidcIssuer> {
  const users = new Map(o.users.map((u) => [u.sub, u]));
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const cookieKeys = [randomBytes(32).toString('hex')];
  const clients = new Map<string, ClientMetadata>();
  let nextUser = o.users[0]?.sub ?? '';
  let provider: Provider | null = null;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;

  const server: Server = createServer((req, res) => {
    if (!provider || !handler) {
      res.writeHead(503).end('no client registered yet');
      return;
    }
    if (req.url?.startsWith('/interaction/')) {
      void finishInteraction(provider, req, res);
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const state = {
    url,
    logins: 0,
    addClient(client: ClientMetadata) {
      clients.set(client.client_id, client);
      provider = build();
      handler = provider.callback();
    },
    signInAs(sub: string) {
      if (!users.has(sub)) throw new Error(`unknown user ${sub}`);
      nextUser = sub;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  async function finishInteraction(p: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const details = await p.interactionDetails(req, res);
      if (details.prompt.name !== 'login') throw new Error(`unexpected prompt ${details.prompt.name}`);
      state.logins++;
      await p.interactionFinished(req, res, { login: { accountId: nextUser } }, { mergeWithLastSubmission: false });
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
    }
  }

  function build(): Provider {
    const config: Configuration = {
      clients: [...clients.values()],
      jwks: { keys: [jwk as never] },
      cookies: { keys: cookieKeys },
      claims: { openid: ['sub'], email: ['email'], profile: ['name', 'preferred_username'], groups: ['groups'] },
      scopes: ['openid', 'profile', 'email', 'groups'],
      conformIdTokenClaims: !(o.claimsInIdToken ?? true),
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      pkce: { required: () => true },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
      async findAccount(_ctx, sub) {
        const u = users.get(sub);
        if (!u) return undefined;
        return { accountId: sub, claims: async () => ({ ...u }) };
      },
      // A first-party client: the user's consent to the requested scopes is implied.
      async loadExistingGrant(ctx) {
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
        grant.addOIDCScope('openid profile email groups');
        await grant.save();
        return grant;
      },
    };
    return new Provider(url, config);
  }

  return state;
}
