import { PGlite } from "@electric-sql/pglite";

const db = await PGlite.create();
await db.exec(`create table t(id int); create function f() returns trigger language plpgsql as $$ begin raise exception 'deferred boom'; end $$;
create constraint trigger c after insert on t deferrable initially deferred for each row execute function f();`);
try {
  await db.transaction(async (tx) => {
    await tx.query("insert into t values (1)");
  });
  console.log("transaction(): committed?!", (await db.query("select count(*) from t")).rows);
} catch (e) {
  console.log("transaction() threw", (e as Error).message);
}
try {
  await db.exec("begin; insert into t values (2); commit;");
  console.log("exec: committed?!");
} catch (e) {
  console.log("exec threw", (e as Error).message);
}
try {
  await db.query("begin");
  await db.query("insert into t values (3)");
  await db.query("commit");
  console.log("query commit ok?!");
} catch (e) {
  console.log("query commit threw", (e as Error).message);
}
console.log((await db.query("select * from t")).rows);
