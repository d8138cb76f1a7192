// Types of bundle.mjs, for the tests and the benchmark that run FleetQL as `npm start` does.
export declare const BUNDLE_DIR: string;
export declare const BUNDLE_ENTRY: string;
export declare function bundle(): Promise<void>;
