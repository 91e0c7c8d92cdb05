// Small progressive enhancements; every page works without this file.
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
  if (!button) return;
  const field = document.getElementById(button.getAttribute('data-copy') || '');
  if (!field) return;
  const text = 'value' in field ? field.value : field.textContent;
  navigator.clipboard.writeText(text || '').then(() => {
    const old = button.textContent;
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = old; }, 1200);
  }, () => {
    if ('select' in field) { field.select(); return; }
    const range = document.createRange();
    range.selectNodeContents(field);
    window.getSelection()?.removeAllRanges();
    window.getSelection()?.addRange(range);
  });
});
const filter = document.getElementById('repo-filter');
if (filter) {
  filter.hidden = false;
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const item of document.querySelectorAll('[data-repo]')) item.hidden = q !== '' && !item.getAttribute('data-repo').toLowerCase().includes(q);
    for (const group of document.querySelectorAll('[data-group]')) group.hidden = group.querySelectorAll('[data-repo]:not([hidden])').length === 0;
  });
}
for (const b of document.querySelectorAll('[data-copy]')) b.hidden = false;
