/**
 * The files the container image holds under its WORKDIR, as the Dockerfile's last stage copies
 * them, laid out from a built checkout into a plain directory: the entrypoint test runs Ferry
 * from there, so a file that Ferry reads at run time and the image lacks (as `src/web/static/`
 * once was) fails every test run, not only the opt-in image build.
 */
import { cpSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

/** One `COPY` of the runtime stage: a path in the checkout and where it lands under WORKDIR. */
export interface ImageCopy {
  readonly from: string;
  readonly to: string;
}

/** What the image's runtime stage puts under its WORKDIR. */
export interface ImageLayout {
  readonly workdir: string;
  readonly copies: readonly ImageCopy[];
}

/**
 * Reads the last stage of `dockerfile` (a Dockerfile's text): its `WORKDIR` and every `COPY`
 * whose destination is under it. `COPY --from=build /src/X D` is the checkout's X (the build
 * stage's WORKDIR `/src` holds the checkout, built); `COPY X D` is X from the build context.
 * Copies to absolute paths outside WORKDIR (the node binary) are the host's own here.
 * Throws when the stage has no WORKDIR or a COPY form it does not know (so the test says it).
 */
export function imageLayout(dockerfile: string): ImageLayout {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim());
  const stage = lines.slice(lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true));
  const workdir = stage.find((l) => /^WORKDIR\s/i.test(l))?.split(/\s+/)[1];
  if (!workdir) throw new Error('the Dockerfile\'s last stage has no WORKDIR');
  const copies: ImageCopy[] = [];
  for (const line of stage.filter((l) => /^COPY\s/i.test(l))) {
    const words = line.split(/\s+/).slice(1);
    const fromBuild = words[0]?.startsWith('--from=') ?? false;
    if (fromBuild && words[0] !== '--from=build') throw new Error(`unknown COPY source in the Dockerfile: ${line}`);
    const args = fromBuild ? words.slice(1) : words;
    if (args.length !== 2 || args.some((a) => a.startsWith('--'))) throw new Error(`COPY form this test does not know: ${line}`);
    const [source, target] = args as [string, string];
    const to = posix.isAbsolute(target) ? posix.relative(workdir, target) : posix.normalize(target);
    if (to.startsWith('..')) continue;
    if (fromBuild && !source.startsWith('/src/')) throw new Error(`COPY from the build stage outside /src: ${line}`);
    const from = fromBuild ? source.slice('/src/'.length) : source;
    copies.push({ from, to: to === '.' ? posix.basename(from) : to.endsWith('/') ? posix.join(to, posix.basename(from)) : to });
  }
  return { workdir, copies };
}

/**
 * Lays out the image's WORKDIR in `dest` from the built checkout at `root` (`dist/`, `build/`,
 * `node_modules/` present): every COPY of the runtime stage, files copied; `node_modules` is a
 * symlink (140MB; packages resolve through it as in the image). In the image `dist/` holds only
 * `dist/src` (the build compiles src/ alone), so only that is copied. Returns the layout used.
 */
export function stageImageFiles(root: string, dest: string): ImageLayout {
  const layout = imageLayout(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  for (const { from, to } of layout.copies) {
    const target = join(dest, to);
    mkdirSync(dirname(target), { recursive: true });
    if (from === 'node_modules') symlinkSync(join(root, from), target);
    else if (from === 'dist') cpSync(join(root, 'dist', 'src'), join(target, 'src'), { recursive: true });
    else cpSync(join(root, from), target, { recursive: true });
  }
  return layout;
}
