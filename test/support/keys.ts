/** Test keys are generated at test time; none is ever committed. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SEC1, as `openssl ecparam -genkey` writes it. */
  sec1Pem: string;
  pkcs8Pem: string;
  spkiPem: string;
}

export function p384KeyPair(): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  return {
    privateKey,
    publicKey,
    sec1Pem: privateKey.export({ type: 'sec1', format: 'pem' }) as string,
    pkcs8Pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    spkiPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}
