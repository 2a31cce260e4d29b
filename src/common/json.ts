// `any` rather than `unknown` inside: TypeORM's insert typing cannot walk into `unknown`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonObject = Record<string, any>;
