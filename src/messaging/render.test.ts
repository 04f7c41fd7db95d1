import { describe, expect, it } from 'vitest';
import { MessagingError } from './errors.js';
import { RENDER_LIMITS } from './liquid-engine.js';
import { renderContent } from './render.js';
import { HOSTILE_TEMPLATES as HOSTILE } from './test-kit.js';

/** Renders and returns the TEMPLATE_RENDER_FAILED error, with the time it took and the growth of the heap. */
async function failure(content: Record<string, unknown>, scope: Record<string, unknown> = {}) {
  const heap = process.memoryUsage().heapUsed;
  const started = performance.now();
  const err = await renderContent(content, scope).then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = performance.now() - started;
  expect(err).toBeInstanceOf(MessagingError);
  const e = err as InstanceType<typeof MessagingError>;
  expect(e.code).toBe('TEMPLATE_RENDER_FAILED');
  return { message: e.message, details: e.details as { limit?: string }, ms, heapMb: (process.memoryUsage().heapUsed - heap) / 1e6 };
}

describe('template render limits', () => {
  it('stops a doubling string at the output limit, fast and with bounded memory, whether built by append or by capture', async () => {
    for (const [kind, text] of Object.entries(HOSTILE)) {
      const f = await failure({ text });
      expect(f.details.limit, kind).toBe('output');
      expect(f.message, kind).toContain(`content.text (line 1, column`);
      expect(f.message, kind).toContain(`more than ${RENDER_LIMITS.outputChars.toLocaleString('en')} characters`);
      // The budget is 2 million characters: nothing near the 268 million the template asks for.
      expect(f.ms, kind).toBeLessThan(3000);
      expect(f.heapMb, kind).toBeLessThan(100);
    }
  });

  it('counts output written in a loop, and one budget covers every field of a message', async () => {
    const loop = await failure({ text: '{% for i in (1..1000) %}{{ data.s }}{% endfor %}' }, { data: { s: 'x'.repeat(10_000) } });
    expect(loop.details.limit).toBe('output');
    // Twenty fields of 200,000 characters each: each alone fits, together they do not.
    const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, '{% for i in (1..20) %}{{ data.s }}{% endfor %}']));
    const shared = await failure({ body: fields }, { data: { s: 'x'.repeat(10_000) } });
    expect(shared.details.limit).toBe('output');
    expect(shared.message).toMatch(/content\.body\.f(9|1\d)/);
  });

  it('stops a template that spins at the time limit', async () => {
    const f = await failure({ text: '{% for i in (1..1000000) %}{% for j in (1..1) %}{% endfor %}{% endfor %}' });
    expect(f.details.limit).toBe('time');
    expect(f.message).toContain(`longer than ${RENDER_LIMITS.renderMs} ms`);
    expect(f.ms).toBeLessThan(3000);
  });

  it('still renders a normal template, loops and captures included', async () => {
    const out = await renderContent(
      {
        subject: '{{ profile.name | default: "朋友" }}，您好',
        text: '{% capture c %}{% for p in data.items %}{{ p }};{% endfor %}{% endcapture %}{{ c }} {{ 1250 | yuan }}',
      },
      { profile: { name: '小王' }, data: { items: ['拿铁', '美式'] } },
    );
    expect(out).toEqual({ subject: '小王，您好', text: '拿铁;美式; 12.50' });
  });
});
