import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { html, trustedHtml } from '../../src/web/html.js';
import { highlightLines } from '../../src/web/highlight.js';
import { renderMarkdown } from '../../src/web/markdown.js';

describe('web HTML helpers', () => {
  it('escapes every interpolated value unless it is already SafeHtml', () => {
    const evil = `<script>alert("x")</script>&'`;
    const out = html`<p title="${evil}">${evil}${[evil, 1]}${html`<b>${evil}</b>`}</p>`.value;
    assert.ok(!out.includes('<script>'));
    assert.equal(out.split('&lt;script&gt;').length - 1, 4);
    assert.ok(out.includes('&quot;x&quot;') && out.includes('&#39;') && out.includes('&amp;'));
    assert.ok(out.includes('<b>'), 'nested templates are kept');
    assert.equal(html`${trustedHtml('<i>ok</i>')}`.value, '<i>ok</i>');
  });

  it('renders Markdown without raw HTML or javascript: links', () => {
    const out = renderMarkdown('# Hi\n\n<script>x()</script> <img src=x onerror=y()>\n\n[a](javascript:alert(1)) [b](docs/x.md) ![i](img.png)', { files: '/r/-/files/main', raw: '/r/-/raw/main' }).value;
    assert.ok(!/<script|<img src="?x/i.test(out));
    assert.ok(out.includes('&lt;script&gt;'));
    assert.ok(!out.includes('href="javascript:'));
    assert.ok(out.includes('href="/r/-/files/main/docs/x.md"'));
    assert.ok(out.includes('src="/r/-/raw/main/img.png"'));
  });

  it('highlights code into whole lines, reopening spans that cross a line break', () => {
    const lines = highlightLines('a.ts', '/* one\ntwo */ const x = "<b>";\n').map((l) => l.value);
    assert.equal(lines.length, 2);
    for (const l of lines) assert.equal(l.split('<span').length - 1, l.split('</span>').length - 1, `balanced: ${l}`);
    assert.ok(lines[1]?.startsWith('<span class="hljs-comment">two */</span>'));
    assert.ok(lines[1]?.includes('&lt;b&gt;'));
    assert.deepEqual(highlightLines('x.unknown', '<a>\n').map((l) => l.value), ['&lt;a&gt;']);
  });
});
