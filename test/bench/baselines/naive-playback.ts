/**
 * The bench's cold-start baseline: the function of the IVS blog post ("Setting up for
 * streaming with Amazon IVS private channels") written with SDK v3: a Secrets Manager
 * client, jsonwebtoken signing with the PEM string, nothing else (no config, no validation,
 * no logger, no metrics, no deadline). It caches the PEM for the container, which is the
 * most a naive function does. Bundled by lib/token-function.ts exactly like ours.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import jwt from 'jsonwebtoken';

const client = new SecretsManagerClient({});
let pem: string | undefined;

export const handler = async (event: { body?: string }) => {
  pem ??= (await client.send(new GetSecretValueCommand({ SecretId: process.env.PLAYBACK_KEY_SECRET_ID }))).SecretString!;
  const { channel } = JSON.parse(event.body ?? '{}') as { channel?: string };
  const token = jwt.sign(
    { 'aws:channel-arn': process.env.CHANNEL_ARN, 'aws:access-control-allow-origin': '*', exp: Math.floor(Date.now() / 1000) + 300 },
    pem,
    { algorithm: 'ES384' },
  );
  return { statusCode: 200, body: JSON.stringify({ channel, token, playbackUrl: `${process.env.PLAYBACK_URL}?token=${token}` }) };
};
