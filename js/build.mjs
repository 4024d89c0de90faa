// Bundle every js/src/*.js entry point into convviz_widgets/static/<name>.js (ESM, minified)
// and record a content hash of the sources in static/manifest.json; and the static site of
// cv.publish, js/site/ -> convviz_widgets/static/site/{site.js,site.css,index.html} with its own
// static/site/manifest.json (same recipe over js/site/**).
//
// Why a hash manifest and not file mtimes: git checkouts reset mtimes, so "bundle older than
// source" cannot be decided from the file system. tests/test_bundle.py recomputes the same
// hash (sha256 over the sorted relative paths and bytes of js/src/**) and fails when it differs.
//
//   npm --prefix js run build         build the bundles
//   npm --prefix js run check         exit 1 when the bundles are stale (no writing)

import { createHash } from "node:crypto";
import { copyFileSync, readFileSync, readdirSync, writeFileSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, "src");
const outDir = join(here, "..", "convviz_widgets", "static");
const manifestPath = join(outDir, "manifest.json");
// The site is a separate build: a classic script (IIFE), not an ES module, because Chromium
// refuses <script type="module"> from file:// (a module needs CORS, file:// has no origin).
const siteSrc = join(here, "site");
const siteOut = join(outDir, "site");
const siteManifestPath = join(siteOut, "manifest.json");

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}

function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

// Must match tests/test_bundle.py: for each file in sorted POSIX relative-path order,
// hash "<path>\0<bytes>\0".
function sourceHash(dir = srcDir) {
  const files = walk(dir)
    .map((f) => relative(dir, f).split(sep).join("/"))
    .sort();
  const h = createHash("sha256");
  for (const rel of files) {
    h.update(rel + "\0");
    h.update(readFileSync(join(dir, rel)));
    h.update("\0");
  }
  return { hash: h.digest("hex"), files };
}

const entries = readdirSync(srcDir).filter((f) => f.endsWith(".js") && statSync(join(srcDir, f)).isFile());
const { hash, files } = sourceHash();
const site = sourceHash(siteSrc);

if (process.argv.includes("--check")) {
  for (const [path, want] of [[manifestPath, hash], [siteManifestPath, site.hash]]) {
    let manifest = null;
    try {
      manifest = JSON.parse(readFileSync(path, "utf8"));
    } catch {
      console.error(`no ${path}: run \`npm --prefix js run build\``);
      process.exit(1);
    }
    if (manifest.source_sha256 !== want) {
      console.error(`${path}: bundles are stale: run \`npm --prefix js run build\``);
      process.exit(1);
    }
  }
  console.log("bundles are up to date");
  process.exit(0);
}

mkdirSync(outDir, { recursive: true });
const result = await esbuild.build({
  entryPoints: entries.map((e) => join(srcDir, e)),
  outdir: outDir,
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020"],
  // Deterministic output: no source maps with absolute paths, no banner with a date.
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
  write: true,
  metafile: true,
});

const bundles = {};
for (const out of Object.keys(result.metafile.outputs).sort()) {
  const abs = join(process.cwd(), out);
  const rel = relative(outDir, abs).split(sep).join("/");
  bundles[rel] = sha256(readFileSync(abs));
}

const manifest = {
  comment: "Written by js/build.mjs; checked by tests/test_bundle.py. Do not edit.",
  esbuild: esbuild.version,
  source_sha256: hash,
  sources: files,
  bundles,
};
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
console.log(`built ${Object.keys(bundles).join(", ")} (sources ${hash.slice(0, 12)})`);

// ---- the static site ----
mkdirSync(siteOut, { recursive: true });
const common = { bundle: true, minify: true, target: ["es2020"], sourcemap: false, legalComments: "none",
  logLevel: "warning", write: true };
await esbuild.build({ ...common, entryPoints: [join(siteSrc, "main.js")], outfile: join(siteOut, "site.js"),
  format: "iife" });
await esbuild.build({ ...common, entryPoints: [join(siteSrc, "site.css")], outfile: join(siteOut, "site.css") });
copyFileSync(join(siteSrc, "index.html"), join(siteOut, "index.html"));
const siteBundles = {};
for (const name of ["index.html", "site.css", "site.js"]) siteBundles[name] = sha256(readFileSync(join(siteOut, name)));
writeFileSync(siteManifestPath, JSON.stringify({
  comment: "Written by js/build.mjs from js/site/; checked by tests/browser/test_publish_site.py. Do not edit.",
  esbuild: esbuild.version,
  source_sha256: site.hash,
  sources: site.files,
  bundles: siteBundles,
}, null, 2) + "\n");
console.log(`built site/index.html, site/site.css, site/site.js (sources ${site.hash.slice(0, 12)})`);
