/**
 * A loopback Secrets Manager with secret versions and staging labels, speaking awsJson1_1
 * (POST / with X-Amz-Target) for the real @aws-sdk/client-secrets-manager: DescribeSecret,
 * GetSecretValue (VersionId / VersionStage), PutSecretValue (ClientRequestToken,
 * VersionStages), UpdateSecretVersionStage. Behaviour follows the Secrets Manager API
 * reference: moving AWSCURRENT puts AWSPREVIOUS on the version it left; a version without
 * labels is deprecated and not listed; PutSecretValue is idempotent for the same token and
 * value, ResourceExistsException for the same token and another value.
 */
import { randomUUID } from 'node:crypto';
import { error, serve, type FakeService, type Reply } from './fake-aws';

interface Version {
  /** Absent: a version RotateSecret labelled AWSPENDING before createSecret put its value. */
  value?: string;
  stages: string[];
  created: number;
}
interface FakeRotatingSecret {
  arn: string;
  rotationEnabled: boolean;
  versions: Map<string, Version>;
}

const target = (t: string) => `secretsmanager.${t}`;

export async function fakeSecretsRotation() {
  const secrets = new Map<string, FakeRotatingSecret>();
  /** One-shot faults: the next call to `op` answers this error instead. */
  const faults: { op: string; reply: Reply }[] = [];
  const calls: FakeService['calls'] = [];
  const find = (id: unknown) => [...secrets.values()].find((s) => s.arn === id || s.arn.split(':')[6] === id);

  function moveStage(s: FakeRotatingSecret, stage: string, to: string | undefined, from: string | undefined) {
    for (const [id, v] of s.versions) {
      if (v.stages.includes(stage) && (from === undefined || id === from)) {
        v.stages = v.stages.filter((x) => x !== stage);
        if (stage === 'AWSCURRENT' && to !== undefined && id !== to) {
          for (const o of s.versions.values()) o.stages = o.stages.filter((x) => x !== 'AWSPREVIOUS');
          v.stages.push('AWSPREVIOUS');
        }
      }
    }
    if (to !== undefined) {
      const v = s.versions.get(to)!;
      if (!v.stages.includes(stage)) v.stages.push(stage);
      if (stage === 'AWSCURRENT') v.stages = v.stages.filter((x) => x !== 'AWSPREVIOUS');
    }
  }

  const svc = await serve((req, body) => {
    const op = String(req.headers['x-amz-target']);
    const fault = faults.findIndex((f) => target(f.op) === op);
    if (fault >= 0) return faults.splice(fault, 1)[0]!.reply;
    const s = find(body.SecretId);
    if (!s) return error('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const ok = (extra: Record<string, unknown> = {}): Reply => ({ status: 200, body: { ARN: s.arn, Name: s.arn.split(':')[6], ...extra } });
    switch (op) {
      case target('DescribeSecret'):
        return ok({
          RotationEnabled: s.rotationEnabled,
          VersionIdsToStages: Object.fromEntries([...s.versions].filter(([, v]) => v.stages.length).map(([id, v]) => [id, [...v.stages]])),
        });
      case target('GetSecretValue'): {
        const stage = typeof body.VersionStage === 'string' ? body.VersionStage : body.VersionId ? undefined : 'AWSCURRENT';
        const entry = [...s.versions].find(
          ([id, v]) => v.value !== undefined && (body.VersionId === undefined || body.VersionId === id) && (stage === undefined || v.stages.includes(stage)),
        );
        if (!entry) {
          return error('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${body.VersionId ? `VersionId: ${String(body.VersionId)}` : `staging label: ${stage}`}`);
        }
        const [id, v] = entry;
        return ok({ VersionId: id, VersionStages: [...v.stages], SecretString: v.value, CreatedDate: v.created });
      }
      case target('PutSecretValue'): {
        const token = String(body.ClientRequestToken ?? '');
        if (token.length < 32) return error('InvalidParameterException', 'ClientRequestToken must be 32-64 characters');
        if (typeof body.SecretString !== 'string') return error('InvalidParameterException', 'SecretString is required here');
        const existing = s.versions.get(token);
        if (existing && existing.value === undefined) {
          existing.value = body.SecretString;
          const stages = Array.isArray(body.VersionStages) ? (body.VersionStages as string[]) : ['AWSCURRENT'];
          for (const stage of stages) moveStage(s, stage, token, undefined);
          return ok({ VersionId: token, VersionStages: [...existing.stages] });
        }
        if (existing) {
          if (existing.value !== body.SecretString) return error('ResourceExistsException', 'A resource with the ID you requested already exists.');
          return ok({ VersionId: token, VersionStages: [...existing.stages] });
        }
        const stages = Array.isArray(body.VersionStages) ? (body.VersionStages as string[]) : ['AWSCURRENT'];
        s.versions.set(token, { value: body.SecretString, stages: [], created: Date.now() / 1000 });
        for (const stage of stages) moveStage(s, stage, token, undefined);
        return ok({ VersionId: token, VersionStages: [...s.versions.get(token)!.stages] });
      }
      case target('UpdateSecretVersionStage'): {
        const stage = String(body.VersionStage);
        const to = body.MoveToVersionId as string | undefined;
        const from = body.RemoveFromVersionId as string | undefined;
        if (to !== undefined && !s.versions.has(to)) return error('ResourceNotFoundException', `version ${to} not found`);
        const holder = [...s.versions].find(([, v]) => v.stages.includes(stage))?.[0];
        if (from !== undefined && holder !== from) return error('InvalidParameterException', `The staging label ${stage} is not attached to version ${from}.`);
        if (to !== undefined && holder !== undefined && holder !== to && from === undefined) {
          return error('InvalidParameterException', `The staging label ${stage} is currently attached to version ${holder}; specify RemoveFromVersionId.`);
        }
        moveStage(s, stage, to, from);
        return ok();
      }
      default:
        return error('InvalidRequestException', `unsupported ${op}`);
    }
  }, calls);

  return Object.assign(svc, {
    /** Create a secret with one AWSCURRENT version. */
    create(arn: string, value: string, rotationEnabled = true): string {
      const id = randomUUID();
      secrets.set(arn, { arn, rotationEnabled, versions: new Map([[id, { value, stages: ['AWSCURRENT'], created: Date.now() / 1000 }]]) });
      return id;
    },
    /** Version ids with their labels (labelled versions only, as DescribeSecret lists them). */
    stages(arn: string): Record<string, string[]> {
      return Object.fromEntries([...secrets.get(arn)!.versions].filter(([, v]) => v.stages.length).map(([id, v]) => [id, [...v.stages]]));
    },
    value(arn: string, stage: string): string | undefined {
      return [...secrets.get(arn)!.versions.values()].find((v) => v.stages.includes(stage))?.value;
    },
    /**
     * What RotateSecret does before it calls the function: a new version id (the
     * ClientRequestToken) labelled AWSPENDING, with no value yet.
     */
    startRotation(arn: string): string {
      const s = secrets.get(arn)!;
      const token = randomUUID();
      for (const v of s.versions.values()) v.stages = v.stages.filter((x) => x !== 'AWSPENDING');
      s.versions.set(token, { stages: ['AWSPENDING'], created: Date.now() / 1000 });
      return token;
    },
    /** What the rotation service does after a successful finishSecret: AWSPENDING is removed. */
    clearPending(arn: string) {
      moveStage(secrets.get(arn)!, 'AWSPENDING', undefined, undefined);
    },
    failNext(op: string, type = 'InternalServiceError', status = 500) {
      faults.push({ op, reply: error(type, 'injected failure', status) });
    },
    callsTo: (op: string) => calls.filter((c) => c.target === target(op)),
  });
}
export type FakeSecretsRotation = Awaited<ReturnType<typeof fakeSecretsRotation>>;
