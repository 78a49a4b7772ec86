/**
 * The managed playback key's custom resource (onEvent of the CDK provider framework):
 * Create/Update generate the key inside AWS if the secret holds none and import what may
 * sign into every region; Update also empties regions no longer listed; Delete removes the
 * key pairs this secret imported.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import * as z from '../config/zod';
import { ensureManagedKey, removeKeyPairs } from '../keys/lifecycle';

const properties = z.object({
  SecretArn: z.string().check(z.minLength(1)),
  Regions: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  // CloudFormation passes numbers as strings.
  GraceSeconds: z.coerce.number().check(z.int(), z.positive()),
});

export const handler = async (event: CloudFormationCustomResourceEvent) => {
  const props = properties.parse(event.ResourceProperties);
  const physicalId = `playback-key:${props.SecretArn}`;
  if (event.RequestType === 'Delete') {
    await removeKeyPairs(props.SecretArn, props.Regions);
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  if (event.RequestType === 'Update') {
    const old = properties.safeParse(event.OldResourceProperties);
    const dropped = old.success ? old.data.Regions.filter((r) => !props.Regions.includes(r)) : [];
    if (old.success && dropped.length) await removeKeyPairs(old.data.SecretArn, dropped);
  }
  const result = await ensureManagedKey(props.SecretArn, { regions: props.Regions, graceSeconds: props.GraceSeconds });
  return { PhysicalResourceId: physicalId, Data: { KeyPairArns: result.keyPairArns.join(','), Thumbprint: result.thumbprint } };
};
