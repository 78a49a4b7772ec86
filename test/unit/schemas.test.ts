import { toJSONSchema } from 'zod/v4/core';
import { describe, expect, it } from 'vitest';
import { configSchema, parseConfig } from '../../lambda/config/schema';
import * as z from '../../lambda/config/zod';
import { playbackTokenRequest, roomTokenRequest, turnCredentialsRequest } from '../../lambda/http/schemas';

describe('the zod/mini schemas', () => {
  it('speak English, as full zod does', () => {
    expect(playbackTokenRequest.safeParse({ channel: '' }).error?.issues[0]?.message).toBe('Too small: expected string to have >=1 characters');
    expect(() => parseConfig({ entitlements: [] })).toThrow('entitlements: at least one entitlement is needed, or nobody gets a token');
  });

  it('emit JSON Schema with zod 4 (request bodies strict, unknown fields refused)', () => {
    for (const emit of [z.toJSONSchema, toJSONSchema]) {
      expect(emit(playbackTokenRequest)).toMatchObject({
        type: 'object',
        required: ['channel'],
        additionalProperties: false,
        properties: { channel: { type: 'string', minLength: 1, maxLength: 256 }, maximumResolution: { enum: ['SD', 'HD', 'FULL_HD'] } },
      });
      expect(emit(turnCredentialsRequest)).toMatchObject({ properties: { ttlSeconds: { type: 'integer', exclusiveMinimum: 0 } } });
      expect(emit(roomTokenRequest)).toMatchObject({ required: ['room_name'], properties: { room_name: { pattern: '^[A-Za-z0-9_-]{1,128}$' } } });
      expect(emit(configSchema(), { io: 'input', unrepresentable: 'any' })).toMatchObject({ required: ['entitlements'] });
    }
  });
});
