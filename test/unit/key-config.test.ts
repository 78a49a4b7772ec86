import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambda/config/schema';
import { keyRegions, previousKeyGraceSeconds } from '../../lambda/keys/config';

const channel = (region: string, id: string) => ({ id, arn: `arn:aws:ivs:${region}:123456789012:channel/${id}` });
const config = (playback: Record<string, unknown> = {}) =>
  parseConfig({ channels: [channel('us-east-1', 'a'), channel('eu-west-1', 'b'), channel('us-east-1', 'c')], playback, entitlements: [{ name: 'all', channels: ['*'] }] });

describe('keyRegions', () => {
  it('are the channel regions plus playback.keyRegions, each once', () => {
    expect(keyRegions(config())).toEqual(['eu-west-1', 'us-east-1']);
    expect(keyRegions(config({ keyRegions: ['ap-south-1', 'us-east-1'] }))).toEqual(['ap-south-1', 'eu-west-1', 'us-east-1']);
  });

  it('refuse something that is not a region, at synth', () => {
    expect(() => config({ keyRegions: ['us-east-1a'] })).toThrow(/playback\.keyRegions\.0: must be an AWS region/);
  });
});

describe('the previous key stays imported', () => {
  it('for the signers\' cache age and staleness plus the longest token', () => {
    expect(previousKeyGraceSeconds(config())).toBe(300 + 3600 + 3600);
    expect(previousKeyGraceSeconds(parseConfig({ ...config(), secrets: { maxAgeSeconds: 60, maxStaleSeconds: 0 }, playback: { ttlSeconds: { max: 600, default: 300 } } }))).toBe(660);
  });
});

describe('playback.rotationDays', () => {
  it('defaults to 30 and must be 1-365 days', () => {
    expect(config().playback.rotationDays).toBe(30);
    expect(() => config({ rotationDays: 0 })).toThrow(/rotationDays/);
  });
});
