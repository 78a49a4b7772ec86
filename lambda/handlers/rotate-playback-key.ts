/**
 * Secrets Manager rotation function of the managed playback key: createSecret, setSecret,
 * testSecret, finishSecret (lambda/keys/lifecycle.ts). Invoked by Secrets Manager on the
 * schedule and on `aws secretsmanager rotate-secret`.
 */
import { keyLifecycleEnv } from '../config/runtime';
import { rotate, type RotationEvent } from '../keys/lifecycle';

export const handler = async (event: RotationEvent): Promise<void> => {
  await rotate(event, keyLifecycleEnv());
};
