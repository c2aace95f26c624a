// Builds the browser app into one folder: index.html, app.css and app.js, one ES module bundled
// by esbuild with the grpc-web runtime, protobufjs and the contracts the page calls (compiled
// here from proto/ to protobufjs JSON, so the browser never parses a .proto file).
//
//   node web/build.mjs [--outdir DIR]      (default: web/dist)
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import * as esbuild from 'esbuild';
import protobuf from 'protobufjs';

const kWebDir = path.dirname(fileURLToPath(import.meta.url));
const kRepo = path.resolve(kWebDir, '..');
// Where imports resolve, as buf and proto/CMakeLists.txt find them: our contracts, then
// google/api/*.proto (REST annotations) from npm. google/protobuf/* ship with protobufjs.
const kIncludeDirs = [path.join(kRepo, 'proto'), path.join(kRepo, 'node_modules', 'google-proto-files')];
const kContracts = ['switchboard/ticket/v1/ticket.proto', 'switchboard/stock/v1/stock.proto'];
const kContractsModule = 'virtual:switchboard-contracts';
const kStaticFiles = ['index.html', 'app.css'];

function loadContracts() {
  const root = new protobuf.Root();
  const builtin = root.resolvePath;
  root.resolvePath = (origin, target) => {
    for (const dir of kIncludeDirs) {
      const candidate = path.join(dir, target);
      if (protobuf.util.fs.existsSync(candidate)) return candidate;
    }
    return builtin(origin, target);  // google/protobuf/*: protobufjs's bundled common types
  };
  // keepCase: field names exactly as in the .proto files (starts_at, not startsAt).
  root.loadSync(kContracts, { keepCase: true });
  root.resolveAll();  // fails here, not in the browser, on an unresolvable type
  return root.toJSON();
}

// Serves `import contracts from 'virtual:switchboard-contracts'` from memory.
function contractsPlugin(json) {
  return {
    name: 'switchboard-contracts',
    setup(build) {
      build.onResolve({ filter: /^virtual:switchboard-contracts$/ },
        () => ({ path: kContractsModule, namespace: 'contracts' }));
      build.onLoad({ filter: /.*/, namespace: 'contracts' },
        () => ({ contents: JSON.stringify(json), loader: 'json' }));
    },
  };
}

export async function buildApp(outdir) {
  await mkdir(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(kWebDir, 'src', 'app.js')],
    outfile: path.join(outdir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    // protobufjs probes for optional node modules (long, buffer) through eval; in a browser
    // the probe fails and int64 values decode to Number, as messages.js asks.
    logOverride: { 'direct-eval': 'silent' },
    plugins: [contractsPlugin(loadContracts())],
  });
  await Promise.all(kStaticFiles.map((name) =>
    copyFile(path.join(kWebDir, name), path.join(outdir, name))));
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
  const outdir = path.resolve(values.outdir ?? path.join(kWebDir, 'dist'));
  await buildApp(outdir);
  console.log(`built ${outdir}`);
}
