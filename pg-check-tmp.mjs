import { PGlite } from "@electric-sql/pglite"
import { readFileSync } from "node:fs"
const db = new PGlite()
await db.exec(readFileSync("sql/001_init.sql", "utf8"))
await db.exec(readFileSync("sql/030_zfs.sql", "utf8"))
await db.exec(readFileSync("sql/030_zfs.sql", "utf8"))
await db.query("insert into devices(name, host) values ('a','b')")
await db.query("insert into zfs_snapshots(time, device_id, dataset, snapshot, used_bytes, refer_bytes, created_at, data) values (now(), 1, 'd', 's', 1, null, $1, $2)", [new Date(1596950323000), { a: 1 }])
await db.query("insert into zfs_status(time, device_id, pool, size_bytes, capacity_percent, data) values (now(), 1, 'rpool', $1, 30, $2)", [9981503995904, {x: 1}])
console.log((await db.query("select created_at, size_bytes from zfs_snapshots, zfs_status")).rows)
