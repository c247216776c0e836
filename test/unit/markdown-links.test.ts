// No relative link in any Markdown file of the repository points nowhere: the file exists, and
// its #anchor is a heading or an id of that file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { anchors, brokenLinks, markdownFiles, slug } from '../../scripts/docs/markdown-links.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('Markdown links', () => {
  test('every relative link of every Markdown file resolves, anchors included', () => {
    const files = markdownFiles(REPO);
    assert.ok(files.includes('README.md') && files.includes('docs/configuration.md'), `found: ${files.join(', ')}`);
    const broken = brokenLinks(REPO, files);
    assert.deepEqual(broken.map((b) => `${b.file}:${b.line}: (${b.target}) ${b.reason}`), []);
  });

  describe('the checker', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'dfe-links-'));
    after(() => rmSync(tmp, { recursive: true, force: true }));

    test('slugs headings as GitHub does', () => {
      assert.equal(slug('Family `docker_exporter`: docker_exporter\'s names (labels `host`, `name`)'),
        'family-docker_exporter-docker_exporters-names-labels-host-name');
      assert.equal(slug('Docker hosts over SSH (`ssh://`)'), 'docker-hosts-over-ssh-ssh');
      assert.deepEqual([...anchors('# A\n## A\n```\n# not a heading\n```\n<a id="x"></a>\n')], ['a', 'a-1', 'x']);
    });

    test('reports a missing file, a missing anchor, and nothing for code or external links', () => {
      mkdirSync(join(tmp, 'docs'));
      writeFileSync(join(tmp, 'docs', 'b.md'), '# Bee\n\n## Two words\n');
      writeFileSync(join(tmp, 'a.md'), [
        '# A', '',
        '[ok](docs/b.md#two-words) [self](#a) [dir](docs/) [web](https://example.com/x.md)',
        '[gone](docs/c.md) [no anchor](docs/b.md#three) `[code](nowhere.md)`',
        '```', '[fenced](nowhere.md)', '```',
        '[ref]: docs/missing.md',
      ].join('\n'));
      const broken = brokenLinks(tmp, markdownFiles(tmp));
      assert.deepEqual(broken.map((b) => `${b.file}:${b.line} ${b.target}`),
        ['a.md:4 docs/c.md', 'a.md:4 docs/b.md#three', 'a.md:8 docs/missing.md']);
    });
  });
});
