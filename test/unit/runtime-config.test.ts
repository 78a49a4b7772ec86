/** The runtime's config reader: the asset file deployed; locally, JSON in the environment or a file path. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { devConfig } from '../../lambda/config/schema';
import { writeTempFile } from '../support/local-server';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  vi.resetModules();
});

/** A fresh module: runtimeConfig() reads once per container (module instance). */
async function freshRuntime(env: Record<string, string | undefined>) {
  delete process.env.TOKEN_VENDING_CONFIG;
  delete process.env.TOKEN_VENDING_CONFIG_FILE;
  Object.assign(process.env, env);
  vi.resetModules();
  return import('../../lambda/config/runtime');
}

describe('runtimeConfig', () => {
  const config = { ...devConfig(), channels: [{ id: 'from-file', arn: 'arn:aws:ivs:us-east-1:123456789012:channel/FromFile' }] };

  it('reads a config file named by TOKEN_VENDING_CONFIG_FILE, validated, once', async () => {
    const path = writeTempFile('config.json', JSON.stringify({ ...config, entitlements: [{ name: 'e', channels: ['from-file'] }] }));
    const { runtimeConfig } = await freshRuntime({ TOKEN_VENDING_CONFIG_FILE: path });
    expect(runtimeConfig().config.channels.map((c) => c.id)).toEqual(['from-file']);
    expect(runtimeConfig()).toBe(runtimeConfig());
    expect(Object.isFrozen(runtimeConfig().config.channels[0])).toBe(true);
  });

  it('reads the config JSON from TOKEN_VENDING_CONFIG (what bin/serve.ts sets)', async () => {
    const { runtimeConfig } = await freshRuntime({ TOKEN_VENDING_CONFIG: JSON.stringify(devConfig()) });
    expect(runtimeConfig().config.channels.map((c) => c.id)).toEqual(['demo']);
  });

  it('without either, looks for the asset file beside the code and says so when it is missing', async () => {
    const { runtimeConfig, CONFIG_ASSET_FILE } = await freshRuntime({});
    expect(() => runtimeConfig()).toThrow(new RegExp(`config not found: .*lambda/config/${CONFIG_ASSET_FILE.replace('.', '\\.')} \\(ENOENT\\)`));
  });

  it('refuses an invalid carried config with the schema message', async () => {
    const path = writeTempFile('bad.json', JSON.stringify({ ...config, entitlements: [] }));
    const { runtimeConfig } = await freshRuntime({ TOKEN_VENDING_CONFIG_FILE: path });
    expect(() => runtimeConfig()).toThrow(/runtime config \(.*bad\.json\)[\s\S]*nobody gets a token/);
  });
});
