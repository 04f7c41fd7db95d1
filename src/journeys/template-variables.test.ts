import { describe, expect, it } from 'vitest';
import { unguardedVariables } from './template-variables.js';

describe('unguardedVariables (the scan behind the publish warning on variables with no source)', () => {
  const paths = (content: unknown) => unguardedVariables(content, 'content').map((v) => `${v.field}: ${v.path}`);

  it('reports the variable at the start of each output, with its root, first key and field', () => {
    expect(unguardedVariables({ text: 'Hi {{ data.coupon_code | upcase }}' }, 'content')).toEqual([
      { path: 'data.coupon_code', root: 'data', key: 'coupon_code', field: 'content.text' },
    ]);
    expect(paths({ params: ['{{- order.total -}}', '{{ data["x y"] }}'] })).toEqual(['content.params[0]: order.total', 'content.params[1]: data["x y"]']);
  });

  it('leaves out outputs with a default, guarded variables, names the template defines, literals', () => {
    const text = [
      '{{ a | default: "x" }} {{ b | upcase | default }}',
      '{% if data.coupon %}{{ data.coupon.code }}{% endif %} {% unless vip %}{{ vip }}{% endunless %}',
      '{% case tier %}{% when "gold" %}{{ tier }}{% endcase %}',
      '{% for item in data.items %}{{ item.name }} {{ forloop.index }}{% endfor %}',
      '{% assign n = 1 %}{{ n }} {% capture c %}x{% endcapture %}{{ c }} {{ "literal" }} {{ 3 }} {{ true }}',
    ].join('');
    expect(paths({ text })).toEqual([]);
  });

  it('a guard covers what lies under it, not its siblings', () => {
    expect(paths('{% if data.coupon %}{{ data.coupon_code }}{% endif %}')).toEqual(['content: data.coupon_code']);
    expect(paths('{% if data %}{{ data.anything }}{% endif %}')).toEqual([]);
  });
});
