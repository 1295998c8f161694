// A slot's database on a test PostgreSQL server, as the program makes it on the shared instance:
// owned by a login role of its own, PUBLIC's CONNECT revoked. The deploy tests point a
// deployment's DATABASE_URL at it, so that a data reset runs against a real server.

import { randomBytes } from "node:crypto";
import { Client } from "pg";

import { TestPostgres } from "../helpers/postgres";

/** A slot's database and the role that owns it. */
export interface SlotDatabase {
    readonly role: string;
    readonly database: string;
    readonly password: string;
    /** The server's address as the test reaches it. */
    readonly host: string;
    readonly port: number;
    /** Connection string as the role, the form the program writes (sslmode off for the test server). */
    readonly url: string;
}

/** Runs `sql` on `url` and returns its rows. */
export async function query(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
        return (await client.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
        await client.end();
    }
}

/** A new database on `server`, owned by a new login role; the role outlives the server's databases. */
export async function createSlotDatabase(server: TestPostgres): Promise<SlotDatabase> {
    const adminOfDb = await server.freshDatabase();
    const u = new URL(adminOfDb);
    const database = u.pathname.slice(1);
    const role = `slot_role_${randomBytes(5).toString("hex")}`;
    const password = randomBytes(12).toString("hex");
    await query(adminOfDb, `CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await query(adminOfDb, `ALTER DATABASE ${database} OWNER TO ${role}`);
    await query(adminOfDb, `REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC`);
    const port = Number(u.port);
    return { role, database, password, host: u.hostname, port, url: `postgresql://${role}:${password}@${u.hostname}:${port}/${database}?sslmode=disable` };
}
