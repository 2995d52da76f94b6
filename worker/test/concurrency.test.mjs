// Many clients at once, many databases at once: every answer is the right one for its database.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startGateway } from "./support/gateway.mjs";

const DATABASES = 50;
const REQUESTS = 200;
let gateway;
before(async () => {
  gateway = await startGateway({ apiKey: "concurrency-key" });
});
after(() => gateway?.dispose());

test(`${REQUESTS} concurrent requests across ${DATABASES} databases are all answered correctly`, async () => {
  const names = Array.from({ length: DATABASES }, (_, i) => `tenant-${i}`);
  const tokens = new Map(await Promise.all(names.map(async (name) => [name, await gateway.issueToken(name)])));
  const statement = {
    query:
      "CREATE TABLE IF NOT EXISTS hits (n INTEGER NOT NULL); INSERT INTO hits VALUES (1); " +
      "SELECT count(*) AS hits FROM hits",
  };
  const responses = await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) => {
      const name = names[i % DATABASES];
      return gateway.data("exec", name, statement, tokens.get(name)).then((response) => ({ name, response }));
    }),
  );
  for (const { name, response } of responses) assert.equal(response.status, 200, `${name}: ${JSON.stringify(response.body)}`);

  // Each database saw exactly its own requests: none lost, none sent to another database.
  const perDatabase = REQUESTS / DATABASES;
  for (const name of names) {
    const seen = responses.filter((r) => r.name === name).map((r) => r.response.body.results[0].hits);
    assert.deepEqual(seen.sort(), Array.from({ length: perDatabase }, (_, i) => i + 1), name);
  }
});
