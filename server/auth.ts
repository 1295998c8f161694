// Who may do what on the dashboard's API: a bearer JWT verified with jose against a shared
// secret (HS256/384/512) or a JWKS URL (RS/PS/ES/EdDSA). Writes need an admin token; reads need
// any valid token when the server is started with --read-auth token. Every token must expire.

import { JWTPayload, createRemoteJWKSet, errors, jwtVerify } from "jose";

/** How tokens are checked. Exactly one of secret and jwksUrl. */
export interface AuthConfig {
    /** The shared HMAC secret (at least 32 bytes). */
    readonly secret?: string;
    /** Where the issuer publishes its signing keys. */
    readonly jwksUrl?: string;
    /** When set, the token's `iss` must equal it. */
    readonly issuer?: string;
    /** When set, the token's `aud` must include it. */
    readonly audience?: string;
}

/** The caller, once the token checked out. */
export interface Caller {
    /** The token's `sub`, recorded in the pull request as who asked. */
    readonly subject: string;
    readonly admin: boolean;
}

/** A request the server will not serve as asked: 401 (no valid token) or 403 (not allowed). */
export class AuthError extends Error {
    constructor(
        public readonly status: 401 | 403,
        message: string,
    ) {
        super(message);
        this.name = "AuthError";
    }
}

/** The JWKS URL did not answer with keys: no token can be checked until it does (503). */
export class KeysUnavailable extends Error {
    constructor(message: string) {
        super(message);
        this.name = "KeysUnavailable";
    }
}

/** The admin rule: `admin: true`, or `"admin"` among the token's `roles`. */
export function isAdmin(payload: JWTPayload): boolean {
    const roles = payload.roles;
    return payload.admin === true || (Array.isArray(roles) && roles.includes("admin"));
}

const HMAC = ["HS256", "HS384", "HS512"];
const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** Problems with an AuthConfig, one sentence each, for the server to refuse to start with. */
export function authProblems(config: AuthConfig): string[] {
    if (config.secret !== undefined && config.jwksUrl !== undefined) return ["give either SLOTS_JWT_SECRET or --jwks-url, not both"];
    if (config.secret === undefined && config.jwksUrl === undefined) {
        return ["writes need a way to check tokens: set SLOTS_JWT_SECRET (a random secret of at least 32 bytes) or pass --jwks-url URL"];
    }
    if (config.secret !== undefined && Buffer.byteLength(config.secret) < 32) return ["SLOTS_JWT_SECRET is shorter than 32 bytes; generate one with: openssl rand -base64 48"];
    if (config.jwksUrl !== undefined && !/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(config.jwksUrl)) {
        return [`--jwks-url must be an https:// URL (got ${config.jwksUrl})`];
    }
    return [];
}

/** A verifier: the Authorization header in, the caller out, or an AuthError. */
export type Verify = (authorization: string | undefined) => Promise<Caller>;

/** The verifier for `config` (check it with authProblems first). */
export function verifier(config: AuthConfig): Verify {
    const key = config.secret !== undefined ? new TextEncoder().encode(config.secret) : createRemoteJWKSet(new URL(config.jwksUrl as string));
    const algorithms = config.secret !== undefined ? HMAC : ASYMMETRIC;
    return async (authorization) => {
        const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(authorization ?? "");
        if (!m) throw new AuthError(401, authorization ? "the Authorization header must be: Bearer <JWT>" : "this needs a token: send Authorization: Bearer <JWT>");
        let payload: JWTPayload;
        try {
            // A Uint8Array and a JWKS function are jwtVerify's two overloads; the branch picks one.
            const options = { algorithms, requiredClaims: ["exp"], ...(config.issuer ? { issuer: config.issuer } : {}), ...(config.audience ? { audience: config.audience } : {}) };
            payload = (typeof key === "function" ? await jwtVerify(m[1], key, options) : await jwtVerify(m[1], key, options)).payload;
        } catch (e) {
            if (typeof key === "function" && (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid || !(e instanceof errors.JOSEError))) {
                // The issuer's keys could not be fetched: the server's problem, not the caller's token.
                throw new KeysUnavailable(`the token issuer's keys could not be fetched from ${config.jwksUrl as string}; try again later`);
            }
            if (e instanceof errors.JWTExpired) throw new AuthError(401, "the token has expired; get a new one");
            if (e instanceof errors.JWTClaimValidationFailed) throw new AuthError(401, `the token was refused: ${e.message}`);
            if (e instanceof errors.JOSEError) throw new AuthError(401, "the token's signature or format is not valid for this server");
            throw e;
        }
        return { subject: typeof payload.sub === "string" && payload.sub !== "" ? payload.sub : "unknown", admin: isAdmin(payload) };
    };
}

/** The caller for a write, or an AuthError: 401 without a valid token, 403 without the admin claim. */
export async function requireAdmin(verify: Verify, authorization: string | undefined): Promise<Caller> {
    const caller = await verify(authorization);
    if (!caller.admin) throw new AuthError(403, `the token of ${caller.subject} has no admin claim; claims and releases need admin: true (or "admin" in roles)`);
    return caller;
}
