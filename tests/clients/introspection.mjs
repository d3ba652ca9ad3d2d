// What a client tool built on graphql-js sees of the server, beside what schema.graphql says,
// for tests/tests/clients.rs: the full introspection query (graphql-js's own, every option
// on) against the running server, and the repository's schema.graphql, each built into a
// schema by graphql-js and printed the same way: its description, the names of all its
// types (printSchema leaves out the built-in scalars and the introspection types), then its
// SDL.
//
// usage: node introspection.mjs GRAPHQL_URL
// Prints {"introspected": "...", "written": "..."}; the test compares the two.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildClientSchema, buildSchema, getIntrospectionQuery, printSchema } from 'graphql';

const url = process.argv[2];
if (!url) {
  console.error('usage: node introspection.mjs GRAPHQL_URL');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));

const query = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
});
const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json' },
  body: JSON.stringify({ query, operationName: 'IntrospectionQuery' }),
});
const body = await response.json();
if (!response.ok || body.errors || !body.data) {
  console.error(`introspection failed (${response.status}): ${JSON.stringify(body)}`);
  process.exit(1);
}

const picture = (schema) =>
  [
    `description: ${JSON.stringify(schema.description ?? null)}`,
    `types: ${Object.keys(schema.getTypeMap()).sort().join(' ')}`,
    '',
    printSchema(schema),
  ].join('\n');

const written = buildSchema(readFileSync(resolve(here, '../../schema.graphql'), 'utf8'));
console.log(
  JSON.stringify({
    introspected: picture(buildClientSchema(body.data)),
    written: picture(written),
  }),
);
