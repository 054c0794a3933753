export type Availability = {
    ok: true;
} | {
    ok: false;
    why: string;
};
/** The executable file `name` on PATH or in the system directories, if there is one. */
export declare function findExecutable(name: string): string | undefined;
export declare function missingOf(availabilities: readonly Availability[]): string[];
/**
 * Call inside a describe block: true when the suite can run. Otherwise it registers one test
 * that fails under CI=true (where an end-to-end suite must never be skipped) and is skipped
 * elsewhere, and returns false so that the block returns.
 */
export declare function prerequisitesMet(missing: readonly string[]): boolean;
