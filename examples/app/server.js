// The example app's two services in one file: `node server.js campaign-ui` plays the Campaign UI,
// `node server.js airflow` the Airflow webserver. Each answers GET /api/version (the UI) or
// GET /health (Airflow) with the commit the image was built from and whether the slot's
// database answers. Settings come from the environment compose passes in: PORT, APP_COMMIT
// (a build argument baked into the image), APP_BRANCH, STAGING_SLOT, DATABASE_URL.
"use strict";

const http = require("node:http");

const role = process.argv[2] || "campaign-ui";
const port = Number(process.env.PORT || (role === "airflow" ? 8080 : 8000));
const commit = process.env.APP_COMMIT || "unknown";

/** node-postgres settings with libpq's meaning of sslmode (node-postgres alone verifies for "require" too). */
function databaseConfig(url) {
    const u = new URL(url);
    const mode = u.searchParams.get("sslmode") || "prefer";
    const rootCert = u.searchParams.get("sslrootcert");
    u.searchParams.delete("sslmode");
    u.searchParams.delete("sslrootcert");
    let ssl = false;
    if (mode === "require" || mode === "prefer" || mode === "allow") ssl = { rejectUnauthorized: false };
    if (mode === "verify-ca" || mode === "verify-full") {
        ssl = { rejectUnauthorized: true, ...(rootCert ? { ca: require("node:fs").readFileSync(rootCert, "utf8") } : {}) };
        if (mode === "verify-ca") ssl.checkServerIdentity = () => undefined;
    }
    return { connectionString: u.toString(), ssl, connectionTimeoutMillis: 3000, query_timeout: 3000 };
}

/** "ok", "not configured", or "unreachable: <why>" (never the URL: it holds the password). */
async function databaseStatus() {
    if (!process.env.DATABASE_URL) return "not configured";
    let client;
    try {
        const { Client } = require("pg");
        client = new Client(databaseConfig(process.env.DATABASE_URL));
        await client.connect();
        await client.query("SELECT 1");
        return "ok";
    } catch (e) {
        return `unreachable: ${e && e.code ? e.code : "error"}`;
    } finally {
        if (client) await client.end().catch(() => undefined);
    }
}

const routes = { "campaign-ui": "/api/version", airflow: "/health" };

const server = http.createServer(async (req, res) => {
    if (req.method !== "GET" || req.url !== routes[role]) {
        res.writeHead(404, { "Content-Type": "text/plain" });
        res.end("not found\n");
        return;
    }
    const body = {
        service: role,
        commit,
        branch: process.env.APP_BRANCH || null,
        slot: process.env.STAGING_SLOT || null,
        database: await databaseStatus(),
    };
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(`${JSON.stringify(body)}\n`);
});

server.listen(port, () => {
    process.stdout.write(`${role} ${commit} listening on port ${port}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
