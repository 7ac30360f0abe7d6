import { ConfigError } from '@passerelle/errors';
import { FAMILIES } from '@passerelle/schemas';
import { composerFromEnv, loadComposerConfig } from './service';

describe("the composer's configuration", () => {
  it('accepts the INS test OIDs only on a test platform (false by default)', () => {
    expect(loadComposerConfig({})).toEqual({ testPlatform: false });
    expect(loadComposerConfig({ PASSERELLE_TEST_PLATFORM: 'true' })).toEqual({ testPlatform: true });
  });

  it('refuses a value it does not know with one line naming the variable and what it accepts', () => {
    expect(() => loadComposerConfig({ PASSERELLE_TEST_PLATFORM: 'TRUE' })).toThrow(ConfigError);
    expect(() => composerFromEnv({ PASSERELLE_TEST_PLATFORM: 'yes' })).toThrow(
      'PASSERELLE_TEST_PLATFORM must be one of true, false (default false)',
    );
  });

  it("is the catalogue's composer stage: it reads every family's topic", () => {
    const def = composerFromEnv({});
    const config = { topicPrefix: 'p.', tiers: [] } as never;
    expect(def.name).toBe('composer');
    expect(def.inputTopics({ config, logger: undefined as never })).toEqual(FAMILIES.map((f) => `p.${f.topic}`));
  });
});
