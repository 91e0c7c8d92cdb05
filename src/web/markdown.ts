import MarkdownIt from 'markdown-it';
import { trustedHtml, type SafeHtml } from './html.js';

/** README rendering: raw HTML is off (escaped as text), links only http(s), mailto and relative. */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
const SAFE_LINK = /^(https?:|mailto:|#|\/|\.{0,2}[^:]*$)/i;
md.validateLink = (url: string) => SAFE_LINK.test(url.trim());

/** Relative links and images point into the repo's file views at the same ref. */
export function renderMarkdown(source: string, base: { files: string; raw: string }): SafeHtml {
  const env = {};
  const tokens = md.parse(source, env);
  const fix = (url: string, prefix: string): string => (/^[a-z][a-z0-9+.-]*:|^[#/]/i.test(url) ? url : `${prefix}/${url.replace(/^\.\//, '')}`);
  const walk = (list: typeof tokens): void => {
    for (const t of list) {
      if (t.type === 'link_open') {
        const href = t.attrGet('href');
        if (typeof href === 'string') t.attrSet('href', fix(href, base.files));
        if (typeof href === 'string' && /^https?:/i.test(href)) t.attrSet('rel', 'nofollow noopener');
      }
      if (t.type === 'image') {
        const src = t.attrGet('src');
        if (typeof src === 'string') t.attrSet('src', fix(src, base.raw));
      }
      if (t.children) walk(t.children);
    }
  };
  walk(tokens);
  return trustedHtml(md.renderer.render(tokens, md.options, env));
}
