// Bundle every js/src/*.js entry point into convviz_widgets/static/<name>.js (ESM, minified)
// and record a content hash of the sources in static/manifest.json.
//
// Why a hash manifest and not file mtimes: git checkouts reset mtimes, so "bundle older than
// source" cannot be decided from the file system. tests/test_bundle.py recomputes the same
// hash (sha256 over the sorted relative paths and bytes of js/src/**) and fails when it differs.
//
//   npm --prefix js run build         build the bundles
//   npm --prefix js run check         exit 1 when the bundles are stale (no writing)

import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, "src");
const outDir = join(here, "..", "convviz_widgets", "static");
const manifestPath = join(outDir, "manifest.json");

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
function sourceHash() {
  const files = walk(srcDir)
    .map((f) => relative(srcDir, f).split(sep).join("/"))
    .sort();
  const h = createHash("sha256");
  for (const rel of files) {
    h.update(rel + "\0");
    h.update(readFileSync(join(srcDir, rel)));
    h.update("\0");
  }
  return { hash: h.digest("hex"), files };
}

const entries = readdirSync(srcDir).filter((f) => f.endsWith(".js") && statSync(join(srcDir, f)).isFile());
const { hash, files } = sourceHash();

if (process.argv.includes("--check")) {
  let manifest = null;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch {
    console.error("no manifest: run `npm --prefix js run build`");
    process.exit(1);
  }
  if (manifest.source_sha256 !== hash) {
    console.error("bundles are stale: run `npm --prefix js run build`");
    process.exit(1);
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
