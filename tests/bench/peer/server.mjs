// The benchmark's peer: PostGraphile v5 with its amber preset, in library mode on Node's own
// HTTP server, over the database the benchmark seeded. The bench runner (tests/src/bench/peer.rs)
// starts it with DATABASE_URL and PORT and sends it tests/bench/peer/q1.graphql under the same
// wrk load as our server's Q1.
//
// Settings are PostGraphile's defaults for a production server (no GraphiQL, no watch mode,
// no EXPLAIN), with a pool of 10 connections like ours.
import { createServer } from "node:http";

import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { pgSmartTags } from "postgraphile/utils";

const connectionString = process.env.DATABASE_URL;
const port = Number(process.env.PORT ?? "5678");
if (!connectionString) {
  console.error("peer: DATABASE_URL is not set");
  process.exit(2);
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  // PostGraphile offers conditions only on indexed columns; `deleted_at` is indexed only
  // through partial indexes (`WHERE deleted_at IS NULL`), which it does not count, and
  // Q1 needs the live todos as ours reads them.
  plugins: [
    pgSmartTags({
      kind: "attribute",
      match: "todos.deleted_at",
      tags: { behavior: "+filterBy" },
    }),
  ],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      poolConfig: { max: 10 },
    }),
  ],
  grafserv: { graphiql: false, watch: false, websockets: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (err) => {
  console.error("peer:", err);
  process.exit(1);
});
await serv.addTo(server);
// The schema is built from the database's catalogue before the first request is answered,
// so that the runner's readiness probe waits for it and the warm-up does not pay for it.
await pgl.getSchema();
server.listen(port, "127.0.0.1", () => {
  console.error(`peer: PostGraphile listening on 127.0.0.1:${port}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close();
    Promise.resolve(pgl.release()).finally(() => process.exit(0));
  });
}
