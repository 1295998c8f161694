// An exclusive lock beside the stack file, so that claims from separate processes (two terminals,
// a script claiming for several tasks) each see the other's write: read, validate and write happen
// under the lock, and a second process waits a bounded time instead of overwriting the first.

import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import * as path from "node:path";

import { UserError } from "./io";

/** How long to wait for another process's lock, and how often to look. */
export interface LockOptions {
    /** Default 10 seconds: an edit holds the lock for milliseconds. */
    readonly timeoutMs?: number;
    /** Default 25 ms, with jitter so waiting processes do not retry in step. */
    readonly pollMs?: number;
}

interface Holder {
    readonly pid: number;
    readonly host: string;
    readonly at: string;
    readonly token: string;
}

function readHolder(lockFile: string): Holder | undefined {
    try {
        const parsed = JSON.parse(readFileSync(lockFile, "utf8")) as Partial<Holder>;
        if (typeof parsed.pid === "number" && typeof parsed.host === "string") return parsed as Holder;
    } catch {
        // Gone, or caught half-written: the next attempt sorts it out.
    }
    return undefined;
}

// A lock is written within milliseconds of being created, and an edit holds it for milliseconds:
// an empty lock this old was left by a process that died taking it, and a lock from another
// host this old is not a command still running there.
const EMPTY_LOCK_STALE_MS = 5_000;
const FOREIGN_LOCK_STALE_MS = 10 * 60_000;

function ageMs(lockFile: string, now: number): number | undefined {
    try {
        return now - statSync(lockFile).mtimeMs;
    } catch {
        return undefined;
    }
}

function isRunning(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

function tryCreate(lockFile: string, holder: Holder): boolean {
    let fd: number;
    try {
        fd = openSync(lockFile, "wx", 0o644);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw new UserError([`cannot create ${path.basename(lockFile)}: ${(e as Error).message}`]);
    }
    try {
        writeSync(fd, JSON.stringify(holder));
    } finally {
        closeSync(fd);
    }
    return true;
}

/** Runs `fn` holding `<target>.lock`; throws a UserError naming the holder when it cannot. */
export async function withLock<T>(target: string, fn: () => T | Promise<T>, options: LockOptions = {}): Promise<T> {
    const lockFile = `${target}.lock`;
    const name = path.basename(lockFile);
    const timeoutMs = options.timeoutMs ?? 10_000;
    const pollMs = options.pollMs ?? 25;
    const me: Holder = { pid: process.pid, host: hostname(), at: new Date().toISOString(), token: `${process.pid}-${Math.random().toString(36).slice(2)}` };
    const deadline = Date.now() + timeoutMs;
    const remove = `rm ${JSON.stringify(lockFile)}`;
    while (!tryCreate(lockFile, me)) {
        const holder = readHolder(lockFile);
        const age = ageMs(lockFile, Date.now());
        // A lock whose process is gone is left alone rather than broken: two waiters breaking the
        // same stale lock at once could each end up believing they hold it. The user is told
        // what it is and how to remove it.
        if (holder && holder.host === me.host && !isRunning(holder.pid)) {
            throw new UserError([
                `${name} was left by process ${holder.pid} (since ${holder.at}), which is no longer running; if no slots command is running, delete ${name} and try again: ${remove}`,
            ]);
        }
        if (!holder && age !== undefined && (age >= EMPTY_LOCK_STALE_MS || Date.now() >= deadline)) {
            throw new UserError([
                `${name} is empty or not a lock this command wrote (a slots command stopped while taking it?); nothing was written. If no slots command is running, remove it and try again: ${remove}`,
            ]);
        }
        if (holder && holder.host !== me.host && ((age !== undefined && age >= FOREIGN_LOCK_STALE_MS) || Date.now() >= deadline)) {
            throw new UserError([
                `${name} is held by process ${holder.pid} on another host, ${holder.host} (since ${holder.at}), whose processes this machine cannot see; nothing was written. If no slots command is running there, remove it and try again: ${remove}`,
            ]);
        }
        if (Date.now() >= deadline) {
            const who = holder ? `process ${holder.pid} on ${holder.host} since ${holder.at}` : "another process";
            throw new UserError([`${name} is held by ${who}; nothing was written. Try again in a moment`]);
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs / 2 + Math.random() * pollMs));
    }
    try {
        return await fn();
    } finally {
        // Remove the lock only if it is still ours.
        if (readHolder(lockFile)?.token === me.token) unlinkSync(lockFile);
    }
}
