// Types of bundle.mjs, for the tests and the benchmark.
export declare const DIST: string;
export declare function bundle(): Promise<string>;
export declare function stopBuilding(): Promise<void>;
