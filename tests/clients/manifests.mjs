// Writes the trusted-documents manifests that real client builds write, for
// tests/tests/clients.rs: graphql-codegen's client preset (persistedDocuments, with sha256
// and with sha1 ids) on codegen/, and relay-compiler (persistConfig, SHA256) on relay/,
// both against the repository's schema.graphql, at the versions package-lock.json pins.
//
// usage: node manifests.mjs OUT_DIR
// Writes OUT_DIR/codegen-sha256.json, OUT_DIR/codegen-sha1.json and OUT_DIR/relay.json
// (each a JSON object of document id → document) and prints their paths as JSON.

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { generate } from '@graphql-codegen/cli';

const here = dirname(fileURLToPath(import.meta.url));
const schema = resolve(here, '../../schema.graphql');
const out = resolve(process.argv[2] ?? '');
if (!process.argv[2]) {
  console.error('usage: node manifests.mjs OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
// graphql-codegen looks its presets up from the working folder.
process.chdir(here);

const written = {};

// graphql-codegen: the preset writes persisted-documents.json next to its generated module.
for (const hashAlgorithm of ['sha256', 'sha1']) {
  const target = join(out, `codegen-${hashAlgorithm}`) + '/';
  await generate(
    {
      schema,
      documents: [join(here, 'codegen/*.ts')],
      generates: {
        [target]: {
          preset: 'client',
          presetConfig: { persistedDocuments: { hashAlgorithm } },
          config: { scalars: { DateTime: 'string' } },
        },
      },
      silent: true,
      errorsOnly: true,
    },
    true,
  );
  const manifest = join(out, `codegen-${hashAlgorithm}.json`);
  writeFileSync(manifest, readFileSync(join(target, 'persisted-documents.json')));
  written[`codegen-${hashAlgorithm}`] = manifest;
}

// relay-compiler: paths in its configuration are relative to the configuration's folder, and
// it writes its artifacts beside the sources, so both go into OUT_DIR.
const relay = join(out, 'relay');
mkdirSync(relay, { recursive: true });
cpSync(join(here, 'relay'), join(relay, 'src'), { recursive: true });
cpSync(schema, join(relay, 'schema.graphql'));
writeFileSync(
  join(relay, 'relay.config.json'),
  JSON.stringify({
    src: './src',
    schema: './schema.graphql',
    language: 'typescript',
    customScalarTypes: { DateTime: 'string' },
    persistConfig: { file: './persisted_queries.json', algorithm: 'SHA256' },
  }),
);
// relay-compiler adds to the manifest, and refuses to start when there is none yet.
writeFileSync(join(relay, 'persisted_queries.json'), '{}');
execFileSync(
  process.execPath,
  [join(here, 'node_modules/relay-compiler/cli.js'), 'relay.config.json'],
  { cwd: relay, stdio: ['ignore', 2, 2] },
);
const manifest = join(out, 'relay.json');
writeFileSync(manifest, readFileSync(join(relay, 'persisted_queries.json')));
written.relay = manifest;

console.log(JSON.stringify(written));
