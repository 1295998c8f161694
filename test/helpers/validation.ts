// The validator's input and output as the validation tests use them: the plain values of a valid
// stack, every problem a config has, and the row of a table of configs the validator refuses.

import { Problem, validateSettings } from "../../components/validation";
import { NOW, baseValues } from "./config";

/** Plain values as the validator receives them; the secret key is present as the engine gives it. */
export function values(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { ...baseValues(), deployPrivateKey: "[secret]", ...overrides };
}

/** Every problem the validator finds in `raw`, judged at NOW. */
export function errorsOf(raw: Record<string, unknown>): Problem[] {
    return [...validateSettings(raw, NOW).errors];
}

/** A config the validator must refuse, and the problem it must report. */
export interface BadCase {
    readonly name: string;
    readonly raw: Record<string, unknown>;
    /** The slot the problem must name, or undefined for a stack-level key. */
    readonly slot?: number;
    /** The field path the problem must name. */
    readonly field: string;
    /**
     * What the problem says is wrong or how to fix it. Each table's test says what it is matched
     * against: the message, or the whole line as the user reads it (formatProblem).
     */
    readonly says: RegExp;
}
