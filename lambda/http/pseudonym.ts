/**
 * Keyed pseudonyms of callers: `aws:viewer-id` in playback tokens and the TURN user id.
 * HMAC-SHA256 with a pepper secret over purpose, issuer and subject, base64url: stable per
 * user and purpose, unlinkable across purposes, and, unlike a plain hash, impossible to
 * recompute from a guessable subject (an e-mail address) without the pepper. Only the
 * functions that derive ids (playback, TURN, viewer revocation) can read the pepper.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { SecretFormatError } from '../secrets/keys';
import type { RawSecret } from '../secrets/sources';
import { runtimeSecret } from '../secrets/store';

export interface Who {
  readonly issuer: string;
  readonly subject: string;
}

export const PURPOSE = { viewer: 'ivs-viewer', turnUser: 'turn-user' } as const;
/** `aws:viewer-id` allows 40 characters; TURN user ids travel in every username. */
const LENGTH = { 'ivs-viewer': 32, 'turn-user': 22 } as const;

/** Pure: the id for `who` under `purpose` with this pepper. Never contains ':' or the subject. */
export function pseudonymousId(pepper: KeyObject, who: Who, purpose: (typeof PURPOSE)[keyof typeof PURPOSE]): string {
  return createHmac('sha256', pepper).update(`token-vending/${purpose}\0${who.issuer}\0${who.subject}`, 'utf8').digest('base64url').slice(0, LENGTH[purpose]);
}

/** The pepper: at least 32 characters (the stack generates 48). */
export function parsePepper(raw: RawSecret): KeyObject {
  const text = (typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8')).trim();
  if (text.length < 32) throw new SecretFormatError('the pseudonym pepper must be at least 32 characters');
  return createSecretKey(Buffer.from(text, 'utf8'));
}

const pepper = runtimeSecret('pepper', 'pseudonym pepper', parsePepper);

/** The `aws:viewer-id` our playback tokens carry for this user. */
export const viewerIdOf = async (who: Who): Promise<string> => pseudonymousId(await pepper.get(), who, PURPOSE.viewer);
/** The opaque user id in TURN usernames. */
export const turnUserIdOf = async (who: Who): Promise<string> => pseudonymousId(await pepper.get(), who, PURPOSE.turnUser);
