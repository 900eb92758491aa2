import { describe, expect, it } from 'vitest';
import { parseUriTemplate } from './uri-template.js';

describe('parseUriTemplate', () => {
  it('matches simple variables', () => {
    const t = parseUriTemplate('test://template/{id}/data');
    expect(t.variables).toEqual(['id']);
    expect(t.match('test://template/42/data')).toEqual({ id: '42' });
    expect(t.match('test://template/4/2/data')).toBeUndefined();
    expect(t.match('other://template/42/data')).toBeUndefined();
  });

  it('decodes percent-encoded values and keeps invalid encodings as they are', () => {
    const t = parseUriTemplate('demo://greeting/{name}');
    expect(t.match('demo://greeting/J%C3%BCrgen')).toEqual({ name: 'Jürgen' });
    expect(t.match('demo://greeting/100%')).toEqual({ name: '100%' });
  });

  it('supports reserved expansion and comma lists', () => {
    expect(parseUriTemplate('file:///{+path}').match('file:///a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(parseUriTemplate('geo://{lat,lon}').match('geo://1.5,2.5')).toEqual({ lat: '1.5', lon: '2.5' });
  });

  it('supports query expansion', () => {
    expect(parseUriTemplate('search://items{?q,page}').match('search://items?q=cat&page=2')).toEqual({
      q: 'cat',
      page: '2',
    });
  });

  it('escapes regex characters in literals', () => {
    expect(parseUriTemplate('a.b://{x}').match('aXb://1')).toBeUndefined();
  });
});
