import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { EventTopic } from './catalogue';
import { EVENT_TOPICS, topicSchemas } from './topics';
import { registerAvroSchema, registerEventSchemas, SchemaRegistrationError } from './registration';

// Against the real registry found by test/setup/global-setup.ts (SCHEMA_REGISTRY_URL).
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? '';
// A prefix no other run uses, as a deployment's PASSERELLE_TOPIC_PREFIX would be.
const prefix = () => `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}.`;

async function getJson(path: string): Promise<unknown> {
  const res = await fetch(`${registryUrl}${path}`);
  expect(res.status).toBe(200);
  return res.json();
}

beforeAll(() => {
  expect(registryUrl).toMatch(/^http/);
});

describe('registerEventSchemas', () => {
  it('registers each LGO topic under <prefix><topic>-value with BACKWARD compatibility, idempotently', async () => {
    const topicPrefix = prefix();
    const ids = await registerEventSchemas(registryUrl, { topicPrefix });
    expect(Object.keys(ids).sort()).toEqual(Object.values(EVENT_TOPICS).sort());
    for (const [topic, id] of Object.entries(ids) as [EventTopic, number][]) {
      const subject = `${topicPrefix}${topic}-value`;
      expect(await getJson(`/config/${subject}`)).toEqual({ compatibilityLevel: 'BACKWARD' });
      const latest = (await getJson(`/subjects/${subject}/versions/latest`)) as { id: number; schema: string; version: number };
      expect(latest.id).toBe(id);
      expect(latest.version).toBe(1);
      expect(JSON.parse(latest.schema)).toEqual(topicSchemas[topic].schema);
    }
    // Again: same ids, no new version.
    expect(await registerEventSchemas(registryUrl, { topicPrefix })).toEqual(ids);
    expect(await getJson(`/subjects/${topicPrefix}${EVENT_TOPICS.vaccination}-value/versions`)).toEqual([1]);
  });

  it("refuses, with code SCHEMA_INCOMPATIBLE, a schema the subject's earlier version cannot be read with", async () => {
    const topicPrefix = prefix();
    const subject = `${topicPrefix}${EVENT_TOPICS.vaccination}-value`;
    // An earlier version of the same record holding none of today's required fields: today's schema, as a
    // reader, could not fill them in from old events, so BACKWARD refuses it.
    const name = topicSchemas[EVENT_TOPICS.vaccination].schema.name as string;
    const namespace = topicSchemas[EVENT_TOPICS.vaccination].schema.namespace as string | undefined;
    await registerAvroSchema(registryUrl, subject, { type: 'record', name, namespace, fields: [{ name: 'legacy', type: 'string' }] });
    const failure = registerEventSchemas(registryUrl, { topicPrefix });
    await expect(failure).rejects.toBeInstanceOf(SchemaRegistrationError);
    await expect(failure).rejects.toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', subject, status: 409 });
    expect(await getJson(`/subjects/${subject}/versions`)).toEqual([1]);
  });

  it('fails fast with code REGISTRY_UNREACHABLE when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const started = Date.now();
    const error = await registerEventSchemas(`http://127.0.0.1:${port}/apis/ccompat/v7`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaRegistrationError);
    expect(error).toMatchObject({ code: 'REGISTRY_UNREACHABLE', subject: `${EVENT_TOPICS.vaccination}-value` });
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
