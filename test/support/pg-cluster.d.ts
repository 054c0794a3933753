import type { Availability } from './prerequisites.js';
export declare function postgresAvailability(): Availability;
export interface PgCluster {
    port: number;
    /** A URL for a new, empty database in this cluster. */
    createDatabase(): Promise<string>;
    /** Stops the server by its PID (the data stays), e.g. to see what the filter does while it is down. */
    stopServer(): Promise<void>;
    /** Starts it again on the same port with the same data. */
    startServer(): Promise<void>;
    /** Stops the server by its PID and deletes the cluster. */
    destroy(): Promise<void>;
}
export declare function startPgCluster(): Promise<PgCluster>;
