/** Kysely table types of this module; merged into the database type in db/schema.ts. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface WebhookTables {}
