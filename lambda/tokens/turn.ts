/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest-00, as coturn's `use-auth-secret`
 * checks them), pure: `username = "<expiry unix seconds>:<user>"`,
 * `password = base64(HMAC-SHA1(secret, username))`, standard base64 with padding.
 */
import { createHmac, type KeyObject } from 'node:crypto';
import { epochSeconds } from './ttl';

export interface TurnCredentialInput {
  /** Opaque id of the caller; travels in clear, must not contain ':'. */
  userId: string;
  now: Date;
  ttlSeconds: number;
  /** The shared secret to sign with (the first configured one). */
  key: KeyObject;
  uris: readonly string[];
}

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface TurnCredentials {
  username: string;
  password: string;
  ttl: number;
  uris: string[];
  expiresAt: string;
  iceServers: IceServer[];
}

export function turnPassword(key: KeyObject, username: string): string {
  return createHmac('sha1', key).update(username, 'utf8').digest('base64');
}

export function turnCredentials(input: TurnCredentialInput): TurnCredentials {
  if (input.userId.length === 0 || input.userId.includes(':')) {
    throw new RangeError('TURN user id must be non-empty and must not contain ":"');
  }
  const expiry = epochSeconds(input.now) + input.ttlSeconds;
  const username = `${expiry}:${input.userId}`;
  const password = turnPassword(input.key, username);
  const stun = input.uris.filter((u) => /^stuns?:/i.test(u));
  const turn = input.uris.filter((u) => /^turns?:/i.test(u));
  const iceServers: IceServer[] = [];
  if (stun.length) iceServers.push({ urls: stun });
  iceServers.push({ urls: turn, username, credential: password });
  return {
    username,
    password,
    ttl: input.ttlSeconds,
    uris: turn,
    expiresAt: new Date(expiry * 1000).toISOString(),
    iceServers,
  };
}
