// How workerd stores a JavaScript boolean bound to sql.exec: what kuratchi-sdk's Worker did with every JSON boolean
// parameter, since it passed params to sql.exec unchanged. The gateway's per-database boolean encoding (database.js,
// booleanEncoding) rests on this; if a workerd release changes it, this test says so first.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Miniflare } from "miniflare";
import { manifest } from "./support/gateway.mjs";

const script = `
import { DurableObject } from "cloudflare:workers";
export class Probe extends DurableObject {
  fetch() {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, int_col INTEGER, text_col TEXT, bool_col BOOLEAN, any_col)");
    sql.exec("INSERT INTO t (int_col, text_col, bool_col, any_col) VALUES (?, ?, ?, ?)", true, true, true, true);
    sql.exec("INSERT INTO t (int_col, text_col, bool_col, any_col) VALUES (?, ?, ?, ?)", false, false, false, false);
    const count = (where, ...params) => sql.exec("SELECT count(*) AS n FROM t WHERE " + where, ...params).one().n;
    return Response.json({
      stored: sql.exec("SELECT int_col, typeof(int_col) AS int_type, bool_col, typeof(bool_col) AS bool_type, " +
        "any_col, typeof(any_col) AS any_type FROM t ORDER BY id").toArray(),
      equalsBoundTrue: count("int_col = ?", true),
      equalsOne: count("int_col = 1"),
      truthy: count("int_col"),
    });
  }
}
export default { fetch(request, env) { return env.PROBE.get(env.PROBE.idFromName("x")).fetch(request); } };`;

let mf;
let answer;
before(async () => {
  mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: manifest.compatibilityDate,
    durableObjects: { PROBE: { className: "Probe", useSQLite: true } },
  });
  answer = await (await mf.dispatchFetch("http://probe/")).json();
});
after(() => mf?.dispose());

test("workerd stores a bound JavaScript boolean as the TEXT 'true'/'false', whatever the column's affinity", () => {
  assert.deepEqual(answer.stored, [
    { int_col: "true", int_type: "text", bool_col: "true", bool_type: "text", any_col: "true", any_type: "text" },
    { int_col: "false", int_type: "text", bool_col: "false", bool_type: "text", any_col: "false", any_type: "text" },
  ]);
});

test("such rows match a bound boolean, but not 1, nor a boolean test in SQL", () => {
  assert.equal(answer.equalsBoundTrue, 1, "kuratchi-sdk's ORM filter found them: both sides are the text 'true'");
  assert.equal(answer.equalsOne, 0);
  assert.equal(answer.truthy, 0, "'true' is 0 as a number, so WHERE int_col is false for every row");
});
