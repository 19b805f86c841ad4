import { Prisma } from '../generated/prisma/client.js';

/** Request JSON as Prisma's Json input type (the request param types are interfaces, which lack its index signature). */
export const toJson = (v: unknown): Prisma.InputJsonValue => v as Prisma.InputJsonValue;

/** Prisma spells SQL NULL for a Json column as `DbNull`; undefined leaves the column alone. */
export function jsonOrDbNull(v: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull | undefined {
  return v === null ? Prisma.DbNull : (v as Prisma.InputJsonValue | undefined);
}
