/**
 * A loopback OIDC issuer for tests: discovery document + JWKS over real HTTP, and a minting
 * helper that can produce every kind of bad token a caller might send.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface Issuer {
  issuer: string;
  audience: string;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  mint(claims?: JWTPayload, opts?: MintOptions): Promise<string>;
  publicKeyPem: string;
  close(): Promise<void>;
}

export interface MintOptions {
  alg?: string;
  kid?: string | null;
  key?: CryptoKey | Uint8Array;
  expiresIn?: number;
  notBefore?: number;
  issuedAt?: number;
}

export async function startIssuer(audience = 'test-app-client'): Promise<Issuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
  let fetches = 0;
  let issuer = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] }));
    } else if (req.url === '/jwks.json') {
      fetches++;
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const spki = await crypto.subtle.exportKey('spki', publicKey);
  const publicKeyPem = `-----BEGIN PUBLIC KEY-----\n${Buffer.from(spki).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`;

  return {
    issuer,
    audience,
    publicKeyPem,
    jwksFetches: () => fetches,
    async mint(claims = {}, opts = {}) {
      const now = Math.floor(Date.now() / 1000);
      const header: Record<string, unknown> = { alg: opts.alg ?? 'RS256', typ: 'JWT' };
      if (opts.kid !== null) header.kid = opts.kid ?? 'test-key-1';
      const jwt = new SignJWT({ sub: 'user-1', aud: audience, iss: issuer, ...claims })
        .setProtectedHeader(header as { alg: string })
        .setIssuedAt(opts.issuedAt ?? now)
        .setExpirationTime((opts.issuedAt ?? now) + (opts.expiresIn ?? 300));
      if (opts.notBefore !== undefined) jwt.setNotBefore(opts.notBefore);
      return jwt.sign(opts.key ?? privateKey);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
